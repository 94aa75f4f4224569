package load

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// drainTimeout bounds waiting for outstanding replies once sending stops.
const drainTimeout = 10 * time.Second

// window is the measured part of a run, shared by a profile's goroutines.
type window struct {
	start   time.Time // time zero for the monotonic offsets in payloads
	from    time.Time // end of warmup
	until   time.Time // end of the measurement (zero: count only)
	budget  atomic.Int64
	counted bool // budget applies
	stop    atomic.Bool
}

func newWindow(o *Options) *window {
	w := &window{start: time.Now()}
	w.from = w.start.Add(o.Warmup)
	if o.Duration > 0 {
		w.until = w.from.Add(o.Duration)
	}
	if o.Count > 0 {
		w.counted = true
		w.budget.Store(o.Count)
	}
	return w
}

// take reserves n operations of the budget once warmup is over and
// returns how many may go (0: stop).
func (w *window) take(n int64, now time.Time) int64 {
	if w.stop.Load() || (!w.until.IsZero() && !now.Before(w.until)) {
		w.stop.Store(true)
		return 0
	}
	if !w.counted || now.Before(w.from) {
		return n
	}
	left := w.budget.Add(-n)
	if left >= 0 {
		return n
	}
	w.stop.Store(true)
	return max(0, n+left)
}

func (w *window) measured(t time.Time) bool {
	return !t.Before(w.from) && (w.until.IsZero() || t.Before(w.until))
}

// pairStats are one sender/receiver pair's figures; each field has a
// single writer goroutine.
type pairStats struct {
	reciv         Histogram
	delivered     int64 // RECIVs of measured messages
	firstMeasured time.Time
	lastMeasured  time.Time
}

// pair is one sender connection and its receiver.
type pair struct {
	snd, rcv *client
	to       []byte // receiver's name
	body     []byte // pre-encrypted ciphertext; first 8 bytes: send offset
	window   int
	tokens   chan struct{}                // window credits; never closed
	quit     chan struct{}                // closed when the sender must stop
	sentAt   [spec.MaxID + 1]atomic.Int64 // by request ID
	sent     atomic.Int64
	answered atomic.Int64 // OK or ERR
	acked    atomic.Int64 // OK
	received atomic.Int64
	stats    pairStats
	okHist   Histogram
}

// runOnline measures live delivery: Pairs senders each keep Window MSGs
// in flight to their own receiver. The payload carries the send time, so
// MSG→RECIV is measured where the RECIV arrives; MSG→OK where the OK does.
func runOnline(ctx context.Context, o *Options) (*Result, error) {
	accs, release, err := accounts(ctx, o, 2*o.Pairs, "o")
	if err != nil {
		return nil, err
	}
	defer release()
	cs, err := loginAll(ctx, o, accs)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6f6e6c696e65))
	pairs := make([]*pair, o.Pairs)
	for i := range pairs {
		body, err := cipherBody(rng, &accs[2*i+1].key, o.Payload)
		if err != nil {
			return nil, err
		}
		p := &pair{snd: cs[2*i], rcv: cs[2*i+1], to: []byte(accs[2*i+1].name), body: body, window: o.Window}
		p.tokens = make(chan struct{}, o.Window)
		p.quit = make(chan struct{})
		for range o.Window {
			p.tokens <- struct{}{}
		}
		pairs[i] = p
	}
	res, err := driveOnline(ctx, o, pairs)
	if err != nil {
		return nil, err
	}
	res.Profile = "online"
	res.Params = map[string]any{"pairs": o.Pairs, "window": o.Window, "payload": o.Payload}
	return res, nil
}

// cipherBody encrypts random bytes for the receiver once and fits the
// ciphertext to size; the server relays it without looking (MSG-8).
func cipherBody(rng *rand.Rand, k *poolKey, size int) ([]byte, error) {
	plain := make([]byte, 32)
	for i := range plain {
		plain[i] = byte(rng.Uint32())
	}
	ct, err := spec.Encrypt(&k.priv.PublicKey, plain)
	if err != nil {
		return nil, err
	}
	body := make([]byte, max(size, 8))
	for i := range body {
		body[i] = ct[i%len(ct)]
	}
	return body[:max(size, 8)], nil
}

func driveOnline(ctx context.Context, o *Options, pairs []*pair) (*Result, error) {
	w := newWindow(o)
	var errs errTally
	var wg sync.WaitGroup
	for _, p := range pairs {
		// Deadlines are cleared here, not in the loops: drainPairs may
		// set them before a loop has even started.
		_ = p.snd.nc.SetDeadline(time.Time{})
		_ = p.rcv.nc.SetDeadline(time.Time{})
		wg.Add(3)
		go func() { defer wg.Done(); p.sendLoop(w, o.Dialect, &errs) }()
		go func() { defer wg.Done(); p.ackLoop(w, &errs) }()
		go func() { defer wg.Done(); p.recvLoop(w, &errs) }()
	}
	stopProgress := progress(o, "online", w, func() int64 {
		var n int64
		for _, p := range pairs {
			n += p.answered.Load()
		}
		return n
	})
	waitStop(ctx, w)
	stopProgress()
	drainPairs(pairs)
	wg.Wait()
	return onlineResult(w, pairs, &errs), nil
}

// waitStop returns when the window's time or budget is used up.
func waitStop(ctx context.Context, w *window) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !w.stop.Load() {
		select {
		case <-ctx.Done():
			w.stop.Store(true)
		case now := <-t.C:
			if !w.until.IsZero() && !now.Before(w.until) {
				w.stop.Store(true)
			}
		}
	}
}

// drainPairs waits until every sent MSG is answered and every answered
// one received, or drainTimeout, then unblocks all readers.
func drainPairs(pairs []*pair) {
	deadline := time.Now().Add(drainTimeout)
	for _, p := range pairs {
		for time.Now().Before(deadline) && (p.answered.Load() < p.sent.Load() || p.received.Load() < p.acked.Load()) {
			time.Sleep(time.Millisecond)
		}
	}
	for _, p := range pairs {
		_ = p.snd.nc.SetReadDeadline(time.Now())
		_ = p.rcv.nc.SetReadDeadline(time.Now())
		close(p.quit)
	}
}

// sendLoop writes MSGs whenever the window has room, all available ones
// in one write.
func (p *pair) sendLoop(w *window, d spec.Dialect, errs *errTally) {
	var (
		buf   []byte
		stamp []byte
		pkt   = spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo}
		args  = [][]byte{p.to, nil, p.body}
		id    uint16
	)
	for {
		select {
		case <-p.tokens:
		case <-p.quit:
			return
		}
		n := int64(1)
	more:
		for n < int64(p.window) {
			select {
			case <-p.tokens:
				n++
			default:
				break more
			}
		}
		now := time.Now()
		n = w.take(n, now)
		if n == 0 {
			return
		}
		stamp = d.AppendTimestamp(stamp[:0], now)
		args[1] = stamp
		pkt.Args = args
		buf = buf[:0]
		off := int64(now.Sub(w.start))
		for range n {
			id = id%spec.MaxID + 1
			pkt.ID = id
			binary.BigEndian.PutUint64(p.body, uint64(off))
			p.sentAt[id].Store(off)
			var err error
			if buf, err = spec.AppendPacket(buf, &pkt, d); err != nil {
				errs.addErr(err)
				return
			}
		}
		p.sent.Add(n)
		if _, err := p.snd.nc.Write(buf); err != nil {
			if !w.stop.Load() {
				errs.addErr(err)
			}
			return
		}
	}
}

// ackLoop reads the sender's replies: OK or ERR per MSG.
func (p *pair) ackLoop(w *window, errs *errTally) {
	for {
		r, err := p.snd.read()
		if err != nil {
			if !w.stop.Load() {
				errs.addErr(err)
			}
			return
		}
		if r.ID == spec.NullID {
			if r.Action == spec.ERR {
				errs.add("closed: " + spec.ErrCode(r.Info).String())
			}
			continue
		}
		now := time.Now()
		sent := w.start.Add(time.Duration(p.sentAt[r.ID].Load()))
		if r.Action == spec.ERR {
			errs.add(spec.ErrCode(r.Info).String())
		} else {
			p.acked.Add(1)
			if w.measured(sent) {
				p.okHist.Record(now.Sub(sent))
			}
		}
		p.answered.Add(1)
		select {
		case p.tokens <- struct{}{}:
		default: // cannot happen: credits never exceed the window
		}
	}
}

// recvLoop reads RECIVs at the receiver.
func (p *pair) recvLoop(w *window, errs *errTally) {
	s := &p.stats
	for {
		r, err := p.rcv.read()
		if err != nil {
			if !w.stop.Load() {
				errs.addErr(err)
			}
			return
		}
		if r.Action != spec.RECIV || len(r.Args) != 3 || len(r.Args[2]) < 8 {
			if r.Action == spec.ERR {
				errs.add("receiver: " + spec.ErrCode(r.Info).String())
			}
			continue
		}
		now := time.Now()
		sent := w.start.Add(time.Duration(binary.BigEndian.Uint64(r.Args[2])))
		p.received.Add(1)
		if w.measured(sent) {
			s.reciv.Record(now.Sub(sent))
			s.delivered++
			if s.firstMeasured.IsZero() {
				s.firstMeasured = sent
			}
			s.lastMeasured = now
		}
	}
}

func onlineResult(w *window, pairs []*pair, errs *errTally) *Result {
	var ok, reciv Histogram
	var delivered int64
	var first, last time.Time
	for _, p := range pairs {
		ok.Merge(&p.okHist)
		reciv.Merge(&p.stats.reciv)
		delivered += p.stats.delivered
		if f := p.stats.firstMeasured; !f.IsZero() && (first.IsZero() || f.Before(first)) {
			first = f
		}
		if l := p.stats.lastMeasured; l.After(last) {
			last = l
		}
	}
	// The window is from the first measured send to the last measured
	// delivery: with a count bound or a short run it is shorter than
	// Duration.
	el := last.Sub(first)
	r := &Result{Elapsed: el, Ops: delivered, Unit: "msgs", Errors: errs.snapshot()}
	if el > 0 {
		r.Rate = float64(delivered) / el.Seconds()
	}
	r.Latency = []Latency{{"MSG→RECIV", reciv.Summary()}, {"MSG→OK", ok.Summary()}}
	var sent, answered, acked, received int64
	for _, p := range pairs {
		sent += p.sent.Load()
		answered += p.answered.Load()
		acked += p.acked.Load()
		received += p.received.Load()
	}
	if lost := acked - received; lost > 0 {
		r.Errors["OK without RECIV"] = lost
	}
	if un := sent - answered; un > 0 {
		r.Errors["unanswered MSG"] = un
	}
	return r
}
