package wire

import (
	"context"
	"strings"
	"sync"

	"github.com/gochatproto/gochat/conformance"
	"github.com/gochatproto/gochat/conformance/scenario"
	conftarget "github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// launcher runs the server under test from a --server-cmd template (the
// placeholders of "gochat-conformance server --server-cmd") and starts a
// new instance when the fuzzer or the corpus replay finds it dead.
type launcher struct {
	cmd  *conftarget.Command
	mu   sync.Mutex
	stop func() // stops the current instance after the first restart
	addr string
}

// startLauncher starts the first instance. A template that mentions
// {admin_user} or {owner_user} gets the suite's fixture accounts, as the
// server command does.
func startLauncher(ctx context.Context, template string, d spec.Dialect) (*launcher, error) {
	c := &conftarget.Command{Template: template, D: d}
	if strings.Contains(template, "{admin_user}") || strings.Contains(template, "{owner_user}") {
		s, err := conformance.Load(nil)
		if err != nil {
			return nil, err
		}
		admin, owner := s.Accounts(conformance.RandomSeed(), "")
		if strings.Contains(template, "{admin_user}") {
			c.Admin = admin
		}
		if strings.Contains(template, "{owner_user}") {
			c.Owner = owner
		}
	}
	if _, err := conftarget.StartCommand(ctx, c); err != nil {
		return nil, err
	}
	return &launcher{cmd: c, addr: c.Shared().Addr}, nil
}

// restart stops the current instance (which may have died already) and
// starts a new one on a new port.
func (l *launcher) restart(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopCurrent()
	ep, stop, err := l.cmd.Fresh(ctx, scenario.ServerConfig{})
	if err != nil {
		return "", err
	}
	l.stop, l.addr = stop, ep.Addr
	return ep.Addr, nil
}

func (l *launcher) stopCurrent() {
	if l.stop != nil {
		l.stop()
		l.stop = nil
	}
	l.cmd.StopShared()
}

// close stops the current instance and removes the launcher's files.
func (l *launcher) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopCurrent()
	_ = l.cmd.Close()
}
