package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
)

// liveness tracks the shared server under test across scenarios: which
// scenarios run on it, how often it was restarted, and whether it is
// down for good. A server that died is noticed by the probe after a
// scenario (target.Alive); the first scenario to notice it gets the
// crash verdict.
type liveness struct {
	mu        sync.Mutex
	gen       int             // bumped by every restart of the shared server
	running   map[string]bool // scenarios on the shared server now
	crashedBy string          // the last scenario given a crash verdict
	down      bool            // the shared server died and could not be restarted
}

// enter registers a scenario on the shared server and returns the
// server's generation.
func (l *liveness) enter(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == nil {
		l.running = map[string]bool{}
	}
	l.running[id] = true
	return l.gen
}

func (l *liveness) leave(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, id)
}

// downReason says why scenarios no longer run ("" while the server is up).
func (l *liveness) downReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down {
		return ""
	}
	return "the server under test stopped answering after " + l.crashedBy + " (crash) and no --server-cmd can restart it"
}

// probe applies the liveness oracle after the scenario's steps: its
// connections are closed first (a server with a connection limit must
// have room), then a new connection must get HELLO. A scenario that shuts
// the server down on purpose is not probed.
func (s *serverSide) probe(x *exec) {
	if x.sc.NeedsCap(scenario.CapShutdown) {
		return // the scenario stops the server on purpose
	}
	if len(x.order) == 0 { // it never reached the server: nothing to judge it by
		s.checkGeneration(x)
		return
	}
	x.closeAll()
	err := target.Alive(context.Background(), s.ep, x.dialect, x.e.scale(target.ProbeTimeout))
	if err == nil {
		s.checkGeneration(x)
		return
	}
	if x.sc.NeedsFresh() { // a private server: the crash is this scenario's alone
		x.crash = crashReason(x, err, nil)
		return
	}
	s.sharedDown(x, err)
}

// checkGeneration: a scenario during which the shared server died (and
// perhaps was restarted) ran partly against a dead server; its verdict
// means nothing.
func (s *serverSide) checkGeneration(x *exec) {
	l := &x.e.live
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case x.sc.NeedsFresh():
	case l.down:
		x.victim = "the server went down while this scenario ran (crash reported on " + l.crashedBy + ")"
	case s.gen != l.gen:
		x.victim = "the server crashed (after " + l.crashedBy + ") and was restarted while this scenario ran; re-run it"
	}
}

// sharedDown handles a shared server that failed the probe: the first
// scenario to notice gets the crash verdict and the server is restarted
// when the target can; the others ran into the same crash.
func (s *serverSide) sharedDown(x *exec, err error) {
	l := &x.e.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.gen != l.gen || l.down {
		x.victim = "the server went down while this scenario ran (crash reported on " + l.crashedBy + ")"
		return
	}
	var others []string
	for id := range l.running {
		if id != x.sc.ID {
			others = append(others, id)
		}
	}
	slices.Sort(others)
	x.crash, l.crashedBy = crashReason(x, err, others), x.sc.ID
	r, ok := x.e.o.Target.(target.Restarter)
	if !ok {
		l.down = true
		return
	}
	if rerr := r.Restart(context.Background()); rerr != nil {
		x.note("liveness", "%v", rerr)
		l.down = true
		return
	}
	l.gen++
	x.note("liveness", "server restarted (--server-cmd); the run goes on")
}

// crashReason names what the scenario last sent before the server died.
func crashReason(x *exec, err error, others []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "the server no longer answers after %s: %v", x.sc.ID, err)
	if sent := lastSent(x.res.Transcript, 3); len(sent) > 0 {
		b.WriteString("; last packets sent: " + strings.Join(sent, "; "))
	}
	if len(others) > 0 {
		b.WriteString("; running at the same time (re-run with --parallel 1 to tell): " + strings.Join(others, ", "))
	}
	return b.String()
}

// lastSent describes the last n packets the runner sent, oldest first.
func lastSent(evs []result.Event, n int) []string {
	var out []string
	for i := len(evs) - 1; i >= 0 && len(out) < n; i-- {
		e := evs[i]
		if e.Dir != result.Send {
			continue
		}
		d := e.Conn + " -> " + e.Header
		if e.Hex != "" {
			h := e.Hex
			if len(h) > 64 {
				h = h[:64] + "..."
			}
			d += " [" + h + "]"
		}
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}
