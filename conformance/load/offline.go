package load

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// runOffline measures how fast the server stores messages for offline
// users: Pairs senders, each with a recipient of its own that never logs
// in, keep Window MSGs in flight. Every OK means the message was stored
// durably (MSG-3), so the rate is the server's store rate under
// concurrent senders and MSG→OK includes the commit.
func runOffline(ctx context.Context, o *Options) (*Result, error) {
	accs, release, err := accounts(ctx, o, 2*o.Pairs, "f")
	if err != nil {
		return nil, err
	}
	defer release()
	senders := make([]account, o.Pairs)
	for i := range senders {
		senders[i] = accs[2*i]
	}
	cs, err := loginAll(ctx, o, senders)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6f66666c696e65))
	ss := make([]*offSender, o.Pairs)
	for i := range ss {
		body, err := cipherBody(rng, &accs[2*i+1].key, o.Payload)
		if err != nil {
			return nil, err
		}
		ss[i] = &offSender{c: cs[i], to: []byte(accs[2*i+1].name), body: body, window: o.Window}
	}
	w := newWindow(o)
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(ss))
	)
	for i, s := range ss {
		wg.Go(func() { errs[i] = s.run(ctx, o.Dialect, w) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.ReuseAccounts {
		// Kept accounts keep their mail: take it back out.
		drain(ctx, o, accs)
	}
	return offlineResult(o, w, ss), nil
}

// offlineResult adds up the senders' figures.
func offlineResult(o *Options, w *window, ss []*offSender) *Result {
	var (
		ok    Histogram
		n     int64
		last  time.Time
		tally errTally
	)
	for _, s := range ss {
		ok.Merge(&s.ok)
		n += s.stored
		if s.last.After(last) {
			last = s.last
		}
		for code, k := range s.errs {
			for range k {
				tally.add(code.String())
			}
		}
	}
	r := &Result{
		Profile: "offline",
		Params:  map[string]any{"senders": o.Pairs, "window": o.Window, "payload": o.Payload},
		Ops:     n,
		Unit:    "msgs",
		Latency: []Latency{{"MSG→OK stored", ok.Summary()}},
		Errors:  tally.snapshot(),
	}
	if last.After(w.from) {
		r.Elapsed = last.Sub(w.from)
		r.Rate = float64(n) / r.Elapsed.Seconds()
	}
	return r
}

// offSender is one sender connection; only its goroutine touches it.
type offSender struct {
	c      *client
	to     []byte
	body   []byte
	window int
	sentAt [spec.MaxID + 1]time.Time
	ok     Histogram
	stored int64 // OKs of measured MSGs
	last   time.Time
	errs   map[spec.ErrCode]int64
}

// run keeps the window full, refilling it in bursts once half of it was
// answered (as a pipelining client writes), until the window ends, then
// waits for the outstanding answers.
func (s *offSender) run(ctx context.Context, d spec.Dialect, w *window) error {
	stamp := d.AppendTimestamp(nil, time.Now())
	pkt := spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, Args: [][]byte{s.to, stamp, s.body}}
	var (
		buf      []byte
		inflight int
		seq      uint64
		stopped  bool
	)
	s.errs = map[spec.ErrCode]int64{}
	for ctx.Err() == nil {
		now := time.Now()
		if !stopped && inflight <= s.window/2 {
			n := w.take(int64(s.window-inflight), now)
			stopped = n == 0
			buf = buf[:0]
			for range n {
				binary.BigEndian.PutUint64(s.body, seq)
				seq++
				pkt.ID = s.c.nextID()
				s.sentAt[pkt.ID] = now
				var err error
				if buf, err = spec.AppendPacket(buf, &pkt, d); err != nil {
					return err
				}
				inflight++
			}
			if len(buf) > 0 {
				_ = s.c.nc.SetWriteDeadline(now.Add(setupTimeout))
				if _, err := s.c.nc.Write(buf); err != nil {
					return fmt.Errorf("load: offline sender: %w", err)
				}
			}
		}
		if inflight == 0 {
			return nil
		}
		timeout := setupTimeout
		if stopped {
			timeout = drainTimeout
		}
		_ = s.c.nc.SetReadDeadline(time.Now().Add(timeout))
		r, err := s.c.read()
		if err != nil {
			return fmt.Errorf("load: offline sender: %w", err)
		}
		if r.ID == spec.NullID {
			if r.Action == spec.ERR {
				return fmt.Errorf("load: server closes the connection: %v", spec.ErrCode(r.Info))
			}
			continue // HOOK, SHTDWN
		}
		inflight--
		at := time.Now()
		if r.Action != spec.OK {
			s.errs[spec.ErrCode(r.Info)]++
			continue
		}
		if sent := s.sentAt[r.ID]; w.measured(sent) {
			s.ok.Record(at.Sub(sent))
			s.stored++
			s.last = at
		}
	}
	return ctx.Err()
}

// drain logs in every recipient once and catches up until ERR_EMPTY, so
// kept accounts do not pile up messages from run to run.
func drain(ctx context.Context, o *Options, accs []account) {
	for i := 1; i < len(accs); i += 2 {
		c, err := dial(ctx, o.Addr, o.Dialect)
		if err != nil {
			return
		}
		if c.login(accs[i].name, accs[i].key.priv, setupTimeout) == nil {
			_, _, _ = catchUpAll(c, -1)
		}
		c.Close()
	}
}
