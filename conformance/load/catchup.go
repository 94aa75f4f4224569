package load

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// catchUpWindow is how many MSGs the filler keeps in flight.
const catchUpWindow = 64

// runCatchup measures offline delivery: a sender caches Messages messages
// for a logged-out receiver (timed separately as the store rate), then the
// receiver logs in and sends RECIV; the round's time runs from RECIV to
// the last cached message. Rounds repeat until Count rounds or Duration.
func runCatchup(ctx context.Context, o *Options) (*Result, error) {
	accs, release, err := accounts(ctx, o, 2, "c")
	if err != nil {
		return nil, err
	}
	defer release()
	rcv := accs[1]
	cs, err := loginAll(ctx, o, accs)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	sc, rc := cs[0], cs[1]
	// A reused account may hold messages of an earlier, aborted run.
	if _, _, err := catchUpAll(rc, -1); err != nil {
		return nil, err
	}
	if err := rc.logout(); err != nil {
		return nil, err
	}
	body, err := cipherBody(rand.New(rand.NewPCG(o.Seed, 0x63617463)), &rcv.key, o.Payload)
	if err != nil {
		return nil, err
	}
	var (
		errs       errTally
		okH, allH  Histogram
		storeH     Histogram
		delivered  int64
		spent      time.Duration
		stored     int64
		storeSpent time.Duration
		rounds     int64
		start      = time.Now()
		until      = start.Add(o.Duration)
		maxRounds  = o.Count
	)
	if maxRounds <= 0 {
		maxRounds = 1 << 30
	}
	for rounds < maxRounds && (rounds == 0 || o.Duration == 0 || time.Now().Before(until)) && ctx.Err() == nil {
		t0 := time.Now()
		if err := fill(sc, o.Dialect, rcv.name, body, o.Messages, &storeH); err != nil {
			return nil, fmt.Errorf("load: caching messages: %w", err)
		}
		storeSpent += time.Since(t0)
		stored += int64(o.Messages)
		if err := rc.login(rcv.name, rcv.key.priv, setupTimeout); err != nil {
			return nil, err
		}
		t1 := time.Now()
		tOK, n, err := catchUpAll(rc, o.Messages)
		t2 := time.Now()
		if err != nil {
			errs.addErr(err)
		}
		if n != o.Messages {
			errs.add(fmt.Sprintf("caught up %d of %d", n, o.Messages))
		}
		okH.Record(tOK.Sub(t1))
		allH.Record(t2.Sub(t1))
		delivered += int64(n)
		spent += t2.Sub(t1)
		if err := rc.logout(); err != nil {
			return nil, err
		}
		rounds++
		if o.Progress != nil {
			o.Progress("catchup", rounds, o.Count, time.Since(start), o.Duration)
		}
	}
	r := &Result{
		Profile: "catchup",
		Params:  map[string]any{"messages": o.Messages, "payload": o.Payload},
		Elapsed: spent,
		Ops:     delivered,
		Unit:    "msgs",
		Latency: []Latency{{"RECIV→OK", okH.Summary()}, {"RECIV→last", allH.Summary()}, {"MSG→OK offline", storeH.Summary()}},
		Errors:  errs.snapshot(),
		Figures: map[string]float64{"rounds": float64(rounds)},
	}
	if spent > 0 {
		r.Rate = float64(delivered) / spent.Seconds()
	}
	if storeSpent > 0 {
		r.Figures["store_msgs_per_s"] = float64(stored) / storeSpent.Seconds()
	}
	return r, nil
}

// fill sends n MSGs to an offline user with catchUpWindow in flight and
// records MSG→OK, which here includes the store's commit (MSG-3).
func fill(c *client, d spec.Dialect, to string, body []byte, n int, h *Histogram) error {
	_ = c.nc.SetReadDeadline(time.Now().Add(setupTimeout + time.Duration(n)*time.Millisecond))
	var sentAt [spec.MaxID + 1]time.Time
	stamp := d.AppendTimestamp(nil, time.Now())
	pkt := spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, Args: [][]byte{[]byte(to), stamp, body}}
	sent, acked := 0, 0
	for acked < n {
		var buf []byte
		for sent < n && sent-acked < catchUpWindow {
			binary.BigEndian.PutUint64(body, uint64(sent))
			pkt.ID = c.nextID()
			sentAt[pkt.ID] = time.Now()
			var err error
			if buf, err = spec.AppendPacket(buf, &pkt, d); err != nil {
				return err
			}
			sent++
		}
		if len(buf) > 0 {
			if _, err := c.nc.Write(buf); err != nil {
				return err
			}
		}
		r, err := c.read()
		if err != nil {
			return err
		}
		if r.ID == spec.NullID {
			continue
		}
		if r.Action != spec.OK {
			return fmt.Errorf("MSG answered with %v %v", r.Action, spec.ErrCode(r.Info))
		}
		h.Record(time.Since(sentAt[r.ID]))
		acked++
	}
	return nil
}

// catchUpAll sends RECIV until want messages arrived (want < 0: until
// ERR_EMPTY) and returns when the first OK came and how many RECIVs did.
// The server may cap one catch-up, so RECIV is repeated as needed.
func catchUpAll(c *client, want int) (time.Time, int, error) {
	var firstOK time.Time
	got := 0
	for rounds := 0; (want < 0 || got < want) && rounds < 1000; rounds++ {
		_ = c.nc.SetReadDeadline(time.Now().Add(setupTimeout))
		id, err := c.send(spec.NewPacket(spec.RECIV, 0))
		if err != nil {
			return firstOK, got, err
		}
		answered := false
		for {
			if answered {
				// Catch-up RECIVs are the only packets left for this
				// account; the read times out when the batch is done.
				_ = c.nc.SetReadDeadline(time.Now().Add(catchUpQuiet(want, got)))
			}
			r, err := c.read()
			if err != nil {
				if answered && isTimeout(err) {
					break
				}
				return firstOK, got, err
			}
			switch {
			case r.ID == id && r.Action == spec.ERR && spec.ErrCode(r.Info) == spec.CodeEmpty:
				return firstOK, got, nil
			case r.ID == id && r.Action == spec.ERR:
				return firstOK, got, &ReplyError{Action: spec.RECIV, Code: spec.ErrCode(r.Info)}
			case r.ID == id:
				answered = true
				if firstOK.IsZero() {
					firstOK = time.Now()
				}
			case r.Action == spec.RECIV:
				got++
			}
			if want >= 0 && got >= want {
				return firstOK, got, nil
			}
		}
	}
	return firstOK, got, nil
}

// catchUpQuiet is how long to wait for the next catch-up RECIV before
// asking again: short when draining leftovers, long when more are due.
func catchUpQuiet(want, got int) time.Duration {
	if want < 0 {
		return 200 * time.Millisecond
	}
	return setupTimeout
}
