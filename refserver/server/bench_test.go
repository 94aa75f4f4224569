package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// BenchmarkMessagePairs measures live MSG throughput: each of N senders
// pipelines MSGs to its own online receiver; one op is one message
// acknowledged by OK and read as RECIV.
func BenchmarkMessagePairs(b *testing.B) {
	for _, pairs := range []int{1, 4} {
		b.Run(fmt.Sprintf("pairs=%d", pairs), func(b *testing.B) {
			e := newEnv(b, nil)
			senders := make([]*client, pairs)
			receivers := make([]*client, pairs)
			for i := range pairs {
				s, r := fmt.Sprintf("s%d", i), fmt.Sprintf("r%d", i)
				e.user(s, 2*i, 0)
				e.user(r, 2*i+1, 0)
				senders[i], receivers[i] = e.dial(), e.dial()
				senders[i].login(s, 2*i)
				receivers[i].login(r, 2*i+1)
			}
			body := make([]byte, 512)
			ts := stamp(e.cfg.Dialect, time.Now().Unix())
			per := b.N/pairs + 1
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			var wg sync.WaitGroup
			errs := make(chan error, 3*pairs)
			for i := range pairs {
				to := []byte(fmt.Sprintf("r%d", i))
				wg.Add(3)
				go func() { defer wg.Done(); errs <- pump(senders[i], to, ts, body, per) }()
				go func() { defer wg.Done(); errs <- drain(senders[i], spec.OK, per) }()
				go func() { defer wg.Done(); errs <- drain(receivers[i], spec.RECIV, per) }()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func pump(c *client, to, ts, body []byte, n int) error {
	var buf []byte
	for i := range n {
		p := &spec.Packet{Action: spec.MSG, Info: spec.EmptyInfo, ID: uint16(i%spec.MaxID + 1), Args: [][]byte{to, ts, body}}
		var err error
		if buf, err = spec.AppendPacket(buf[:0], p, c.dialect); err != nil {
			return err
		}
		if _, err := c.nc.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func drain(c *client, want spec.Action, n int) error {
	for range n {
		p, err := c.tryRead(30 * time.Second)
		if err != nil {
			return err
		}
		if p.Action != want {
			return fmt.Errorf("got %s, want %s", p, want)
		}
	}
	return nil
}
