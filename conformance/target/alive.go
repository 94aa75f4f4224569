package target

import (
	"bufio"
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
// connection and send a packet within timeout, normally HELLO (E-57). Any
// other packet counts too: a server that refuses the probe by policy (a
// per-source cap's ERR_CONN, E-50) is still running. It returns nil when
// the server is alive, else what went wrong. It connects to ep.Direct
// when set, so a proxy in front of the server (a test harness, a mutant)
// is not judged.
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
	nc, err := protoclient.DialNet(ctx, addr, nil, timeout)
	if err != nil {
		return fmt.Errorf("cannot connect to %s: %w", addr, err)
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetReadDeadline(dl)
	}
	var p spec.Packet
	if err := spec.NewRawDecoder(bufio.NewReader(nc), spec.ClientBound, d).ReadPacket(&p); err != nil {
		return fmt.Errorf("no HELLO from %s within %v: %w", addr, timeout, err)
	}
	return nil
}

// Restarter is implemented by targets that can start their shared server
// again after it died (a --server-cmd target). Restart replaces the
// endpoint Shared returns.
type Restarter interface {
	Restart(ctx context.Context) error
}
