package server_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// timeoutScale stretches the deadlines of the timing tests like the
// conformance runner's (make test sets GOCHAT_TIMEOUT_SCALE=3 for the race
// detector).
func timeoutScale() float64 {
	if f, err := strconv.ParseFloat(os.Getenv("GOCHAT_TIMEOUT_SCALE"), 64); err == nil && f > 0 {
		return f
	}
	return 1
}

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * timeoutScale()) }

// on returns e for use by the subtest t: clients it dials fail t.
func (e *env) on(t testing.TB) *env {
	e2 := *e
	e2.t = t
	return &e2
}

// dialer returns a dialer whose connections come from ip, another
// loopback address (Linux routes all of 127.0.0.0/8 to lo), so that one
// test can play several sources.
func dialer(ip string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
}

// dialFromNoHello connects from ip without reading anything.
func (e *env) dialFromNoHello(ip string) *client {
	e.t.Helper()
	nc, err := dialer(ip).Dial("tcp", e.srv.Addr())
	require.NoError(e.t, err)
	return e.wrap(nc)
}

// dialFrom connects from ip and consumes HELLO.
func (e *env) dialFrom(ip string) *client {
	c := e.dialFromNoHello(ip)
	c.expect(spec.HELLO, 0)
	return c
}

// expectCloseWith waits up to within for the final ERR (ID 0, code) and
// the close after it, and returns how long that took.
func (c *client) expectCloseWith(code spec.ErrCode, within time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	p, err := c.tryRead(within)
	require.NoError(c.t, err, "no ERR %s within %v", code, within)
	require.Equal(c.t, spec.ERR, p.Action, "got %s", p)
	require.Equal(c.t, uint16(spec.NullID), p.ID, "got %s", p)
	require.Equal(c.t, code, spec.ErrCode(p.Info), "got %s", spec.ErrCode(p.Info))
	took := time.Since(start)
	_, err = c.tryRead(5 * time.Second)
	require.True(c.t, errors.Is(err, io.EOF) || isReset(err), "connection still open after the ERR: %v", err)
	return took
}

func isReset(err error) bool {
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func needLoopbackSources(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	c, err := dialer("127.0.0.2").Dial("tcp", l.Addr().String())
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2 (loopback is not a /8 here): %v", err)
	}
	c.Close()
}
