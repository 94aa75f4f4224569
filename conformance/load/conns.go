package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// connWorkers is how many connections are being opened at once.
const connWorkers = 64

// runConns measures connection capacity: open Conns connections, each
// waiting for HELLO, hold them for Hold, count how many are still open,
// and read the server's resident memory when it can be seen.
func runConns(ctx context.Context, o *Options) (*Result, error) {
	need := uint64(o.Conns) + 256
	if o.InProcess {
		need += uint64(o.Conns) // the server's ends are ours too
	}
	limit, err := RaiseFileLimit(need)
	if err != nil {
		return nil, err
	}
	rssPID := o.ServerPID
	if o.InProcess {
		rssPID = os.Getpid()
	}
	runtime.GC()
	rss0, rssOK := readRSS(rssPID)
	conns, res := openConns(ctx, o)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	select {
	case <-time.After(o.Hold):
	case <-ctx.Done():
	}
	held := countAlive(conns)
	runtime.GC()
	rss1, _ := readRSS(rssPID)
	res.Figures["conns_held"] = float64(held)
	res.Figures["nofile_limit"] = float64(limit)
	if rssOK && rssPID > 0 {
		res.Figures["rss_mib"] = float64(rss1) / (1 << 20)
		res.Figures["rss_delta_mib"] = (float64(rss1) - float64(rss0)) / (1 << 20)
		if held > 0 {
			res.Figures["rss_kib_per_conn"] = (float64(rss1) - float64(rss0)) / 1024 / float64(held)
		}
		if o.InProcess {
			res.Notes = append(res.Notes, "RSS is of this process: server and generator")
		}
	}
	return res, nil
}

func openConns(ctx context.Context, o *Options) ([]net.Conn, *Result) {
	conns := make([]net.Conn, o.Conns)
	hists := make([]Histogram, connWorkers)
	var (
		errs errTally
		next atomic.Int64
		wg   sync.WaitGroup
		ok   atomic.Int64
	)
	start := time.Now()
	deadline := start.Add(max(o.Duration, time.Minute))
	for wk := range connWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hdr := make([]byte, spec.HeaderSize+2)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(conns) || ctx.Err() != nil || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				nc, err := helloConn(ctx, o.Addr, hdr)
				if err != nil {
					errs.addErr(err)
					continue
				}
				hists[wk].Record(time.Since(t0))
				conns[i] = nc
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var h Histogram
	for i := range hists {
		h.Merge(&hists[i])
	}
	r := &Result{
		Profile: "conns",
		Params:  map[string]any{"conns": o.Conns, "hold": o.Hold.String()},
		Elapsed: el,
		Ops:     ok.Load(),
		Unit:    "conns",
		Rate:    float64(ok.Load()) / el.Seconds(),
		Latency: []Latency{{"connect→HELLO", h.Summary()}},
		Errors:  errs.snapshot(),
		Figures: map[string]float64{},
	}
	return conns, r
}

// helloConn connects and reads HELLO without keeping a decoder, so each
// idle connection costs the generator little more than its socket.
func helloConn(ctx context.Context, addr string, hdr []byte) (net.Conn, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetReadDeadline(time.Now().Add(setupTimeout))
	if _, err := io.ReadFull(nc, hdr); err != nil {
		nc.Close()
		return nil, err
	}
	h := spec.ParseHeader(hdr)
	if h.Action != spec.HELLO {
		nc.Close()
		return nil, fmt.Errorf("first packet is %v, not HELLO", h.Action)
	}
	if _, err := io.CopyN(io.Discard, nc, int64(h.Len)); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// countAlive probes every connection with a short read: a timeout means
// it is open and idle, anything else (EOF, ERR from the server) that it
// was closed or disturbed.
func countAlive(conns []net.Conn) int {
	var alive atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range connWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 1)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(conns) {
					return
				}
				c := conns[i]
				if c == nil {
					continue
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
				if _, err := c.Read(b); isTimeout(err) {
					alive.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(alive.Load())
}

// readRSS returns VmRSS of pid in bytes from /proc (Linux only).
func readRSS(pid int) (uint64, bool) {
	if pid <= 0 {
		return 0, false
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
