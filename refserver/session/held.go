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
	dest     int
	from     string
	stamp    time.Time
	body     [2]int // bodies[body[0]:body[1]]
	fallback bool   // the RECIV was not written: store instead
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
	out := h.out[:0]
	live := len(h.msgs) // less those that fell back to the store
	for _, hm := range h.msgs {
		p := spec.Packet{Action: spec.OK, Info: spec.EmptyInfo, ID: hm.id}
		if hm.fallback {
			live--
			if code, ok := s.storeHeld(ctx, hm); !ok {
				p = spec.Packet{Action: spec.ERR, Info: uint8(code), ID: hm.id}
			}
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

// storeHeld queues a held MSG whose live delivery failed; it returns the
// ERR code to answer with if that failed too.
func (s *Session) storeHeld(ctx context.Context, hm heldMsg) (spec.ErrCode, bool) {
	to := s.held.dests[hm.dest].m.Name
	body := append([]byte(nil), s.held.bodies[hm.body[0]:hm.body[1]]...)
	err := s.store(ctx, store.Message{From: hm.from, To: to, Stamp: hm.stamp, Body: body})
	var re replyErr
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &re):
		return spec.ErrCode(re), false
	}
	s.log.Error("storing undelivered message", "from", hm.from, "to", to, "err", err)
	return spec.CodeServer, false
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
