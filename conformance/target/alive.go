package target

import (
	"context"
	"fmt"
	"time"

	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/spec"
)

// ProbeTimeout is how long Alive waits for HELLO, before the run's
// timeout scale.
const ProbeTimeout = 5 * time.Second

// Alive is the liveness oracle the runner applies after every scenario
// (and the fuzzer after every case): the server at ep must accept a new
// connection and send HELLO with ID 0 within timeout. It returns nil when
// it does, else what went wrong. It connects to ep.Direct when set, so a
// proxy in front of the server (a test harness, a mutant) is not judged.
func Alive(ctx context.Context, ep *Endpoint, d spec.Dialect, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = ProbeTimeout
	}
	addr := ep.Addr
	if ep.Direct != "" {
		addr = ep.Direct
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := protoclient.Dial(ctx, addr, protoclient.Options{Dialect: d, Timeout: timeout, Raw: true})
	if err != nil {
		return fmt.Errorf("no HELLO from %s within %v: %w", addr, timeout, err)
	}
	return c.Close()
}

// Restarter is implemented by targets that can start their shared server
// again after it died (a --server-cmd target). Restart replaces the
// endpoint Shared returns.
type Restarter interface {
	Restart(ctx context.Context) error
}
