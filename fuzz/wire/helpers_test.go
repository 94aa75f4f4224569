package wire

import (
	"testing"
	"time"

	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/spec"
)

// refOptions are the reference server settings the wire tests share:
// dialect d and timeouts long enough that only the fuzzer's own bounds
// end a case.
func refOptions(d spec.Dialect, more ...testserver.Option) []testserver.Option {
	return append([]testserver.Option{testserver.WithDialect(d),
		testserver.WithTimeouts(time.Minute, 10*time.Second, 5*time.Second)}, more...)
}

// startRef starts the reference server on loopback with an in-memory store
// and returns its address; t.Cleanup stops it.
func startRef(t testing.TB, d spec.Dialect) string {
	t.Helper()
	return testserver.Start(t, refOptions(d)...).Addr()
}
