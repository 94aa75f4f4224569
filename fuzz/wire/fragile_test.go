package wire

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// fragileProxy forwards to a reference server until a client sends a KEEP
// header with Args 13 anywhere in its stream; then it wedges: it stops
// forwarding on every connection and stops greeting new ones, like a server
// whose accept loop deadlocked.
type fragileProxy struct {
	*relay
	wedgedMu sync.Mutex
	wedged   bool
}

func newFragileProxy(t testing.TB, target string) *fragileProxy {
	p := &fragileProxy{}
	p.relay = newRelay(t, target, p.inspect, p.forward)
	return p
}

func (p *fragileProxy) isWedged() bool {
	p.wedgedMu.Lock()
	defer p.wedgedMu.Unlock()
	return p.wedged
}

func (p *fragileProxy) inspect(dst, src net.Conn) { p.pipe(dst, src, true) }
func (p *fragileProxy) forward(dst, src net.Conn) { p.pipe(dst, src, false) }

// pipe copies src to dst; client-to-server traffic is inspected.
func (p *fragileProxy) pipe(dst, src net.Conn, inspect bool) {
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if inspect {
				seen = append(seen, buf[:n]...)
				if hasKeep13(seen) {
					p.wedgedMu.Lock()
					p.wedged = true
					p.wedgedMu.Unlock()
				}
			}
			if !p.isWedged() {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF || p.isWedged() {
				return
			}
			return
		}
	}
}

func hasKeep13(b []byte) bool {
	for i := 0; i+spec.HeaderSize <= len(b); i++ {
		h := spec.ParseHeader(b[i:])
		if h.Version == 1 && h.Action == spec.KEEP && h.Args == 13 {
			return true
		}
	}
	return false
}

// TestFuzzFindsFragileServer: the fuzzer must find the wedge within its
// bound, minimise it to the trigger, and write a scenario the loader accepts.
func TestFuzzFindsFragileServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many servers")
	}
	var proxies []*fragileProxy
	reset := func(ctx context.Context) (string, error) {
		addr := startRef(t, spec.DialectSpec)
		p := newFragileProxy(t, addr)
		proxies = append(proxies, p)
		return p.addr(), nil
	}
	addr, err := reset(context.Background())
	require.NoError(t, err)
	dir := t.TempDir()
	var log strings.Builder
	rep, err := Fuzz(context.Background(), FuzzConfig{
		Addr: addr, Seed: 1, Cases: 3000, Duration: 90 * time.Second,
		Timeout: 300 * time.Millisecond, Findings: dir, Reset: reset, MaxMinimizeRuns: 150, Log: &log,
	})
	require.NoError(t, err, log.String())
	require.Len(t, rep.Findings, 1, "after %d cases:\n%s", rep.Cases, log.String())
	fd := rep.Findings[0]
	t.Logf("first proxy wedged: %v", proxies[0].isWedged())
	t.Logf("found at case %d after %v; %s", fd.Case, rep.Elapsed, log.String())
	assert.True(t, hasKeep13(fd.Stream), "%x", fd.Stream)
	assert.LessOrEqual(t, len(fd.Stream), 2*spec.HeaderSize, "minimised stream %x", fd.Stream)

	data, err := os.ReadFile(filepath.Join(dir, filepath.Base(fd.File)))
	require.NoError(t, err)
	t.Logf("%s", data)
	ss, err := scenario.Parse("server/"+filepath.Base(fd.File), data, "server", scenario.LoadOptions{})
	require.NoError(t, err)
	require.Len(t, ss, 1)
}
