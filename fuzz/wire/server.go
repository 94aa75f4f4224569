package wire

import (
	"context"
	"strings"

	"github.com/gochatproto/gochat/conformance"
	conftarget "github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/spec"
)

// launcher runs the server under test from a --server-cmd template (the
// placeholders of "gochat-conformance server --server-cmd") and starts a
// new instance when the fuzzer or the corpus replay finds it dead
// (target.Command's Restart, which the runner uses too).
type launcher struct{ cmd *conftarget.Command }

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
	return &launcher{cmd: c}, nil
}

func (l *launcher) addr() string { return l.cmd.Shared().Addr }

// restart stops the current instance (which may have died already) and
// starts a new one on a new port.
func (l *launcher) restart(ctx context.Context) (string, error) {
	if err := l.cmd.Restart(ctx); err != nil {
		return "", err
	}
	return l.addr(), nil
}

// close stops the current instance and removes the launcher's files.
func (l *launcher) close() { _ = l.cmd.Close() }
