package wire

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// crashProxy is a test double of a server that crashes on one class of
// input: it forwards to a reference server until a client sends a KEEP
// header with Args 13 anywhere in its stream, and then crashes: crash is
// called (in the child process of the --server-cmd test it exits; in
// process it stops listening and drops every connection).
type crashProxy struct {
	*relay
	crash func(*crashProxy)
}

func listenCrashProxy(addr, target string, crash func(*crashProxy)) (*crashProxy, error) {
	r, err := listenRelay(addr, target)
	if err != nil {
		return nil, err
	}
	p := &crashProxy{relay: r, crash: crash}
	r.up = p.inspect
	r.start()
	return p, nil
}

// die is the in-process crash: nothing listens or answers any more.
func (p *crashProxy) die() { p.drop() }

// inspect forwards a client's bytes and crashes on the trigger.
func (p *crashProxy) inspect(dst, src net.Conn) {
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			seen = append(seen, buf[:n]...)
			if hasKeep13(seen) {
				p.crash(p)
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// startCrashDouble starts a reference server and a crashProxy in front of
// it, in process; the cleanup stops both.
func startCrashDouble(t testing.TB, d spec.Dialect) string {
	ref := startRef(t, d)
	p, err := listenCrashProxy("127.0.0.1:0", ref, (*crashProxy).die)
	require.NoError(t, err)
	t.Cleanup(p.close)
	return p.addr()
}

// crashDoubleEnv makes the test binary run as the crashing server double
// on the address it names (see TestMain): the --server-cmd tests start
// it as a process that really exits.
const crashDoubleEnv = "GOCHAT_WIRE_CRASH_DOUBLE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(crashDoubleEnv); addr != "" {
		os.Exit(runCrashDouble(addr))
	}
	os.Exit(m.Run())
}

// runCrashDouble serves the crashing double on addr until SIGTERM (exit
// 0) or the trigger (exit 3, the crash).
func runCrashDouble(addr string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	st, err := sqlstore.OpenSQLite(ctx, ":memory:")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash double:", err)
		return 2
	}
	defer st.Close()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Dialect: spec.DialectSpec,
		IdleTimeout: time.Minute, VerifyTimeout: 10 * time.Second, WriteTimeout: 5 * time.Second}, st)
	if err == nil {
		err = srv.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash double:", err)
		return 2
	}
	p, err := listenCrashProxy(addr, srv.Addr(), func(*crashProxy) { os.Exit(3) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash double:", err)
		return 2
	}
	<-ctx.Done()
	p.close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return 0
}

// crashDoubleCmd is a --server-cmd template that starts the double.
func crashDoubleCmd() string {
	return fmt.Sprintf("%s={addr} exec '%s' -test.run='^$'", crashDoubleEnv, strings.ReplaceAll(os.Args[0], "'", `'\''`))
}
