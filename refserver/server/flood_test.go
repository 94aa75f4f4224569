package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

// floodAttempts is how many connections the flooding source tries.
const floodAttempts = 2000

// perConnBytes bounds what one held connection costs in this process's
// Go heap and stacks, both ends together: the server's reader and writer
// goroutines (two stacks of at least 8 KiB), its 4 KiB read buffer,
// decoder, 128-slot write queue and session, and the test client's two
// goroutines and decoder. About 42 KiB were measured (81 MiB more for
// 2,000 held connections with the cap off); the bound adds half again.
const perConnBytes = 64 << 10

// memSlack absorbs what does not scale with connections: the store's
// pages, a few accounts, GC timing.
const memSlack = 8 << 20

// One source floods: 2,000 connection attempts, and REG and LOGIN as fast
// as its connections take them, while two clients from another source
// register, log in and exchange messages. With the shipped limits the
// flooder holds at most its cap of connections, gets at most its buckets'
// worth of REGs and challenges, the process's memory stays within what
// the cap allows, and the other source sees no error. Nothing here
// depends on how fast the machine is: every bound is a count, and the
// bucket bounds grow with the measured elapsed time.
func TestFloodFromOneSource(t *testing.T) {
	needLoopbackSources(t)
	lim := server.DefaultLimits()
	obs := &countingObserver{}
	logged := &countingHandler{msg: "refusing connections: source over its connection cap"}
	e := newEnv(t, func(c *server.Config) {
		c.Limits, c.Observer, c.Logger = lim, obs, slog.New(logged)
		// Verifications that never expire during the test make the pending
		// cap's refusals a count: of the first 64 LOGINs, 48.
		c.VerifyTimeout = 10 * time.Minute
	})
	key(t, 0) // load the fixture keys before the baseline
	base := heapAndStacks()
	start := time.Now()

	e.user("target", 5, 0) // whose LOGINs make the server encrypt challenges
	f := &flood{addr: e.srv.Addr(), dialect: e.cfg.Dialect, stop: make(chan struct{})}
	f.start(32)
	lat := legitimateExchange(t, e, 50)
	f.waitWarm()
	peak := heapAndStacks()
	rss := vmRSS()
	f.finish()
	elapsed := time.Since(start)

	t.Logf("flood: %d attempts in %v: %d held, %d refused with ERR_CONN, %d other; REG answered %d, refused %d; challenges %d, LOGIN refused %d; closed by the server %d",
		floodAttempts, elapsed.Round(time.Millisecond), f.kept.Load(), f.refused.Load(), f.failed.Load(),
		f.regAnswered.Load(), f.regRefused.Load(), f.challenges.Load(), f.loginRefused.Load(), f.closes.Load())
	t.Logf("legitimate MSG->OK round trips: %s; Go heap+stacks %+.1f MiB (bound %.1f MiB), VmRSS %.1f MiB",
		lat, float64(int64(peak)-int64(base))/(1<<20), float64(memBound(lim))/(1<<20), float64(rss)/(1<<20))

	require.Equal(t, int64(floodAttempts), f.kept.Load()+f.refused.Load()+f.failed.Load(), "every attempt accounted for")
	require.LessOrEqual(t, f.kept.Load(), int64(lim.MaxConnsPerSource), "the flooder holds at most its cap")
	require.Positive(t, f.kept.Load())
	require.GreaterOrEqual(t, obs.hits(server.LimitConnsPerSource), f.refused.Load())
	require.Positive(t, logged.n.Load())
	require.LessOrEqual(t, logged.n.Load(), int64(math.Ceil(elapsed.Minutes())), "one log line per source and minute at most")

	// A bucket hands out its burst, then N per Per.
	allowance := func(r server.Rate) int64 {
		return int64(r.Burst) + int64(math.Ceil(elapsed.Seconds()*float64(r.N)/r.Per.Seconds()))
	}
	require.LessOrEqual(t, f.regAnswered.Load(), allowance(lim.Reg), "REGs that reached the store")
	require.Positive(t, f.regRefused.Load())
	require.LessOrEqual(t, f.challenges.Load(), allowance(lim.Login), "challenges encrypted for the flooder")
	require.GreaterOrEqual(t, obs.hits(server.LimitPendingPerSource), int64(lim.MaxConnsPerSource-lim.MaxPendingPerSource))
	require.Positive(t, f.loginRefused.Load())

	require.LessOrEqual(t, int64(peak)-int64(base), memBound(lim), "Go heap and stacks grew by more than the cap allows")
}

// memBound is the memory the flood may add: the flooder's capped
// connections and the two legitimate ones, plus slack. Without the cap the
// 2,000 held connections took 81 MiB.
func memBound(lim server.Limits) int64 {
	return int64(lim.MaxConnsPerSource+2)*perConnBytes + memSlack
}

// legitimateExchange registers alice and bob from the other source, logs
// them in and sends n messages each way, each checked to arrive; any
// error fails the test. It returns the MSG->OK round trips.
func legitimateExchange(t *testing.T, e *env, n int) latencies {
	t.Helper()
	a, b := e.dialFrom(other), e.dialFrom(other)
	a.do(spec.REG, spec.EmptyInfo, []byte("alice"), pubDER(t, 6))
	b.do(spec.REG, spec.EmptyInfo, []byte("bob"), pubDER(t, 7))
	a.login("alice", 6)
	b.login("bob", 7)
	var lat latencies
	ts := stamp(e.cfg.Dialect, 1_700_000_000)
	for i := range n {
		for _, dir := range [][2]*client{{a, b}, {b, a}} {
			from, to := dir[0], dir[1]
			body := fmt.Appendf(nil, "message %d", i)
			toName := "bob"
			if to == a {
				toName = "alice"
			}
			sent := time.Now()
			id := from.send(spec.MSG, spec.EmptyInfo, []byte(toName), ts, body)
			p := to.expect(spec.RECIV, 0)
			require.Equal(t, body, p.Args[2])
			from.expectOK(id)
			lat = append(lat, time.Since(sent))
		}
	}
	return lat
}

type latencies []time.Duration

func (l latencies) String() string {
	s := slices.Clone(l)
	slices.Sort(s)
	q := func(f float64) time.Duration { return s[int(f*float64(len(s)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("n=%d p50 %v p90 %v max %v", len(s), q(0.5), q(0.9), q(1))
}

// flood is the flooding source: workers that make the connection
// attempts, and for every connection the server keeps, a writer that
// pipelines REG (odd IDs) and LOGIN (even IDs) and a reader that sorts the
// answers. It runs on its own goroutines and reports through counters.
type flood struct {
	addr    string
	dialect spec.Dialect
	stop    chan struct{}

	next                             atomic.Int64
	kept, refused, failed            atomic.Int64
	regAnswered, regRefused          atomic.Int64
	challenges, loginRefused, closes atomic.Int64

	attempts sync.WaitGroup
	warm     sync.WaitGroup // one per held connection, until floodWarm answers
	held     sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func (f *flood) start(workers int) {
	for range workers {
		f.attempts.Add(1)
		go func() {
			defer f.attempts.Done()
			for f.next.Add(1) <= floodAttempts {
				f.attempt()
			}
		}()
	}
}

// waitWarm waits until every attempt was made and every held connection
// had floodWarm requests answered, which is past its share of the
// buckets whatever the machine's speed: a LOGIN each (64 > the pending
// cap of 16), a REG each (64 > the REG burst of 10), then a LOGIN each
// again (128 > the LOGIN burst of 64).
func (f *flood) waitWarm() {
	f.attempts.Wait()
	f.warm.Wait()
}

const floodWarm = 4

// finish stops the held connections and waits for their goroutines.
func (f *flood) finish() {
	close(f.stop)
	f.mu.Lock()
	for _, nc := range f.conns {
		nc.Close()
	}
	f.mu.Unlock()
	f.held.Wait()
}

func (f *flood) attempt() {
	nc, err := dialer(flooder).Dial("tcp", f.addr)
	if err != nil {
		f.failed.Add(1)
		return
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	dec := spec.NewDecoder(nc, spec.ClientBound, f.dialect)
	var p spec.Packet
	err = dec.ReadPacket(&p)
	switch {
	case err == nil && p.Action == spec.HELLO:
	case err == nil && p.Action == spec.ERR && spec.ErrCode(p.Info) == spec.CodeConn && p.ID == spec.NullID:
		f.refused.Add(1)
		nc.Close()
		return
	default:
		f.failed.Add(1)
		nc.Close()
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	f.kept.Add(1)
	f.mu.Lock()
	f.conns = append(f.conns, nc)
	f.mu.Unlock()
	// The flooder keeps floodWindow requests unanswered per connection:
	// as fast as the server takes them. Writing without waiting would
	// only measure how fast this process fills its own socket buffers,
	// on the CPU the server needs (an attacker elsewhere spends its own).
	window := make(chan struct{}, floodWindow)
	f.warm.Add(1)
	f.held.Add(2)
	go func() { defer f.held.Done(); f.write(nc, window) }()
	go func() { defer f.held.Done(); f.read(dec, window) }()
}

const floodWindow = 4

func (f *flood) write(nc net.Conn, window chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-f.stop:
			return
		case window <- struct{}{}:
		}
		id := uint16(i%500)*2 + 1 // odd: REG; id+1, even: LOGIN
		p := &spec.Packet{Action: spec.LOGIN, Info: spec.EmptyInfo, ID: id + 1, Args: [][]byte{[]byte("target")}}
		if i%2 == 1 {
			p = &spec.Packet{Action: spec.REG, Info: spec.EmptyInfo, ID: id,
				Args: [][]byte{fmt.Appendf(nil, "f%d", i), pubDERForFlood(i % 5)}}
		}
		b, err := spec.MarshalPacket(p, f.dialect)
		if err != nil {
			panic(err)
		}
		if _, err := nc.Write(b); err != nil {
			return
		}
	}
}

func (f *flood) read(dec *spec.Decoder, window chan struct{}) {
	answered := 0
	defer func() {
		if answered < floodWarm {
			f.warm.Done()
		}
	}()
	var p spec.Packet
	for dec.ReadPacket(&p) == nil {
		if p.ID != spec.NullID {
			<-window
			if answered++; answered == floodWarm {
				f.warm.Done()
			}
		}
		refused := p.Action == spec.ERR && spec.ErrCode(p.Info) == spec.CodeLogin
		switch {
		case p.ID == spec.NullID:
			f.closes.Add(1)
		case p.ID%2 == 1 && refused:
			f.regRefused.Add(1)
		case p.ID%2 == 1:
			f.regAnswered.Add(1)
		case p.Action == spec.VERIF:
			f.challenges.Add(1)
		case refused:
			f.loginRefused.Add(1)
		}
	}
}

var floodKeys [5][]byte

func pubDERForFlood(i int) []byte { return floodKeys[i] }

func init() {
	// The flooder's REGs need keys without a testing.TB; load them once.
	for i := range floodKeys {
		b, err := os.ReadFile(fmt.Sprintf("../testdata/user%d.pem", i+1))
		if err != nil {
			panic(err)
		}
		k, err := spec.ParsePrivateKey(b)
		if err != nil {
			panic(err)
		}
		if floodKeys[i], err = spec.DialectSpec.MarshalPublicKey(&k.PublicKey); err != nil {
			panic(err)
		}
	}
}

// countingObserver counts limit hits for the assertions.
type countingObserver struct {
	nopCounts
	limits [16]atomic.Int64
}

func (o *countingObserver) LimitHit(l server.Limit)   { o.limits[l].Add(1) }
func (o *countingObserver) hits(l server.Limit) int64 { return o.limits[l].Load() }

type nopCounts struct{}

func (nopCounts) MessagesLive(int)                    {}
func (nopCounts) MessageStored()                      {}
func (nopCounts) CaughtUp(int)                        {}
func (nopCounts) ConnMoved(from, to server.ConnState) {}
func (nopCounts) Login(bool)                          {}

// countingHandler counts the log records with one message.
type countingHandler struct {
	msg string
	n   atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

// heapAndStacks is the Go heap and stack memory in use after a GC: unlike
// RSS it does not count pages the runtime freed but kept, nor the race
// detector's shadow memory.
func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// vmRSS is the process's resident set (Linux), for the log only.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb << 10
		}
	}
	return 0
}
