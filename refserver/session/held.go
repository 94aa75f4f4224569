package session

import (
	"context"
	"errors"
	"time"

	"github.com/gochatproto/gochat/refserver/hub"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// Bounds of the MSGs held back between flushes: the transport flushes
// before it may block reading, so a batch is normally what one read
// brought in; these only cap a client that streams without pause.
const (
	maxHeldMsgs  = 64
	maxHeldBytes = 64 << 10
)

// heldMsgs are MSGs to online recipients that were accepted but not yet
// answered. Flush writes each recipient's RECIVs in one Deliver and then
// answers all of them in request order with one reply (E-27: every OK
// follows its RECIV's write). Nothing else is answered while MSGs are
// held: Handle flushes before every other command and every reply.
type heldMsgs struct {
	msgs   []heldMsg
	dests  []heldDest // reused with their buffers
	ndest  int
	bodies []byte // copies of the ciphertexts, for the store fallback
	size   int
	out    []byte // the encoded answers
}

type heldMsg struct {
	id       uint16
	dest     int    // index into dests, or -1: the recipient is offline
	to       string // the recipient when offline
	from     string
	stamp    time.Time
	body     [2]int // bodies[body[0]:body[1]]
	fallback bool   // to be stored: offline, or the RECIV was not written
}

type heldDest struct {
	m   *hub.Member
	buf []byte // encoded RECIVs for m
}

// hold encodes a RECIV for m and holds the MSG until the next flush.
func (s *Session) hold(id uint16, m *hub.Member, from string, stamp time.Time, body []byte) error {
	h := &s.held
	d := h.dest(m)
	var err error
	p := spec.Packet{Action: spec.RECIV, Info: spec.EmptyInfo, ID: spec.NullID}
	s.stampBuf = s.cfg.Dialect.AppendTimestamp(s.stampBuf[:0], stamp)
	s.fromBuf = append(s.fromBuf[:0], from...)
	s.args = append(s.args[:0], s.fromBuf, s.stampBuf, body)
	p.Args = s.args
	n := len(h.dests[d].buf)
	if h.dests[d].buf, err = spec.AppendPacket(h.dests[d].buf, &p, s.cfg.Dialect); err != nil {
		return err
	}
	start := len(h.bodies)
	h.bodies = append(h.bodies, body...)
	h.msgs = append(h.msgs, heldMsg{id: id, dest: d, from: from, stamp: stamp, body: [2]int{start, len(h.bodies)}})
	h.size += len(h.dests[d].buf) - n
	return nil
}

// holdOffline holds a MSG to an offline recipient until the next flush,
// which stores it together with the other held ones in one call, so that
// concurrent senders share a commit (OK only after it, E-27).
func (s *Session) holdOffline(id uint16, to, from string, stamp time.Time, body []byte) {
	h := &s.held
	start := len(h.bodies)
	h.bodies = append(h.bodies, body...)
	h.msgs = append(h.msgs, heldMsg{id: id, dest: -1, to: to, from: from, stamp: stamp,
		body: [2]int{start, len(h.bodies)}, fallback: true})
	h.size += len(body)
}

// dest returns the index of m's buffer, adding one if needed.
func (h *heldMsgs) dest(m *hub.Member) int {
	for i := range h.ndest {
		if h.dests[i].m == m {
			return i
		}
	}
	if h.ndest == len(h.dests) {
		h.dests = append(h.dests, heldDest{})
	}
	h.dests[h.ndest].m = m
	h.ndest++
	return h.ndest - 1
}

func (h *heldMsgs) full() bool { return len(h.msgs) >= maxHeldMsgs || h.size >= maxHeldBytes }

// Holding reports whether MSGs are held, waiting for Flush.
func (s *Session) Holding() bool { return len(s.held.msgs) > 0 }

// Flush delivers the held MSGs and answers them. The transport calls it
// before it may block reading; an error means the connection is unusable.
func (s *Session) Flush(ctx context.Context) error {
	h := &s.held
	if len(h.msgs) == 0 {
		return nil
	}
	defer h.reset()
	for i := range h.ndest {
		d := &h.dests[i]
		if err := d.m.Peer.Deliver(ctx, d.buf); err != nil {
			s.log.Debug("live delivery failed, storing", "to", d.m.Name, "err", err)
			for j := range h.msgs {
				h.msgs[j].fallback = h.msgs[j].fallback || h.msgs[j].dest == i
			}
		}
	}
	codes := s.storeHeld(ctx)
	out := h.out[:0]
	live := 0
	for i, hm := range h.msgs {
		p := spec.Packet{Action: spec.OK, Info: spec.EmptyInfo, ID: hm.id}
		switch {
		case !hm.fallback:
			live++
		case codes[i] != 0:
			p = spec.Packet{Action: spec.ERR, Info: uint8(codes[i]), ID: hm.id}
		default:
			s.cfg.Observer.MessageStored()
		}
		var err error
		if out, err = spec.AppendPacket(out, &p, s.cfg.Dialect); err != nil {
			return err
		}
	}
	h.out = out
	s.cfg.Observer.MessagesLive(live)
	if err := s.conn.ReplyBytes(ctx, out); err != nil {
		return ErrClosed
	}
	return nil
}

// storeHeld stores every held MSG that is to be stored with one
// QueueMessages call and returns, per held MSG, the ERR code to answer
// with (0: OK), or nil if nothing was to be stored. A failed commit
// answers ERR_SERVER to every MSG in it.
func (s *Session) storeHeld(ctx context.Context) []spec.ErrCode {
	h := &s.held
	var (
		ms  []store.Message
		idx []int
	)
	for i := range h.msgs {
		hm := &h.msgs[i]
		if !hm.fallback {
			continue
		}
		to := hm.to
		if hm.dest >= 0 {
			to = h.dests[hm.dest].m.Name
		}
		// The store does not keep Body past the call; h.bodies outlives it.
		body := h.bodies[hm.body[0]:hm.body[1]:hm.body[1]]
		ms = append(ms, store.Message{From: hm.from, To: to, Stamp: hm.stamp, Body: body})
		idx = append(idx, i)
	}
	if len(ms) == 0 {
		return nil
	}
	codes := make([]spec.ErrCode, len(h.msgs))
	for j, err := range s.st.QueueMessages(ctx, ms) {
		codes[idx[j]] = s.storeCode(ctx, ms[j], err)
	}
	return codes
}

// storeCode is the answer to a MSG whose storing ended with err.
func (s *Session) storeCode(ctx context.Context, m store.Message, err error) spec.ErrCode {
	if err == nil {
		return 0
	}
	if errors.Is(err, store.ErrNotFound) {
		// Which of the two: the recipient is unknown or deregistered.
		_, err = s.liveUser(ctx, m.To)
		var re replyErr
		if errors.As(err, &re) {
			return spec.ErrCode(re)
		}
		if err == nil {
			// Live again cannot happen (names are never reused), and
			// senders are never deleted; refuse all the same.
			return spec.CodeNotFound
		}
	}
	s.log.Error("storing message", "from", m.From, "to", m.To, "err", err)
	return spec.CodeServer
}

// reset empties h, keeping modest buffers for the next burst.
func (h *heldMsgs) reset() {
	for i := range h.ndest {
		h.dests[i].m = nil
		h.dests[i].buf = keep(h.dests[i].buf)
	}
	h.ndest = 0
	clear(h.msgs)
	h.msgs = h.msgs[:0]
	h.bodies = keep(h.bodies)
	h.out = keep(h.out)
	h.size = 0
}

func keep(b []byte) []byte {
	if cap(b) > 2*maxHeldBytes {
		return nil
	}
	return b[:0]
}
