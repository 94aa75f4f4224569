package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// runLogin measures a login storm: Logins workers, each on its own
// connection and account, repeat LOGIN, VERIF (decrypting the challenge),
// LOGOUT. Registration is setup. The LOGIN→OK time includes the client's
// RSA decryption, which is reported separately.
func runLogin(ctx context.Context, o *Options) (*Result, error) {
	accs, release, err := accounts(ctx, o, o.Logins, "l")
	if err != nil {
		return nil, err
	}
	defer release()
	w := newWindow(o)
	var (
		errs    errTally
		done    atomic.Int64
		wg      sync.WaitGroup
		hists   = make([]Histogram, len(accs))
		decrypt = make([]time.Duration, len(accs))
		counted = make([]int64, len(accs))
		spans   = make([][2]time.Time, len(accs))
	)
	for i, a := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(ctx, o.Addr, o.Dialect)
			if err != nil {
				errs.addErr(err)
				return
			}
			defer func() { c.Close() }()
			for w.take(1, time.Now()) == 1 {
				t0 := time.Now()
				dec0 := c.decrypt
				err := c.login(a.name, a.key.priv, drainTimeout)
				t1 := time.Now()
				if err == nil {
					err = c.logout()
				}
				if err != nil {
					errs.addErr(err)
					if _, ok := err.(*ReplyError); !ok {
						return // connection broken
					}
					continue
				}
				done.Add(1)
				if w.measured(t0) {
					hists[i].Record(t1.Sub(t0))
					decrypt[i] += c.decrypt - dec0
					counted[i]++
					if spans[i][0].IsZero() {
						spans[i][0] = t0
					}
					spans[i][1] = t1
				}
			}
		}()
	}
	stop := progress(o, "login", w, done.Load)
	waitStop(ctx, w)
	stop()
	wg.Wait()

	var h Histogram
	var n int64
	var dec time.Duration
	var first, last time.Time
	for i := range accs {
		h.Merge(&hists[i])
		n += counted[i]
		dec += decrypt[i]
		if f := spans[i][0]; !f.IsZero() && (first.IsZero() || f.Before(first)) {
			first = f
		}
		if spans[i][1].After(last) {
			last = spans[i][1]
		}
	}
	r := &Result{
		Profile: "login",
		Params:  map[string]any{"concurrency": o.Logins},
		Elapsed: last.Sub(first),
		Ops:     n,
		Unit:    "logins",
		Latency: []Latency{{"LOGIN→OK", h.Summary()}},
		Errors:  errs.snapshot(),
	}
	if r.Elapsed > 0 {
		r.Rate = float64(n) / r.Elapsed.Seconds()
	}
	if n > 0 {
		r.Figures = map[string]float64{"client_decrypt_us": float64(dec.Microseconds()) / float64(n)}
	}
	return r, nil
}
