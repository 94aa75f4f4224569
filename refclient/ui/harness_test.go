package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testNow is the fixed clock of every UI test.
var testNow = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// harness runs the UI on a simulation screen and watches what it draws.
type harness struct {
	t      *testing.T
	screen tcell.SimulationScreen
	be     *fakeBackend
	draws  atomic.Int64
	errc   chan error

	mu     sync.Mutex
	latest string
	drawn  chan struct{} // signalled after each draw
}

func newHarness(t *testing.T, w, h int, be *fakeBackend) *harness {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	require.NoError(t, s.Init())
	s.Clear() // the simulation fills with 'X' until cleared
	s.SetSize(w, h)
	hs := &harness{t: t, screen: s, be: be, errc: make(chan error, 1), drawn: make(chan struct{}, 1)}
	opts := Options{
		Now:      func() time.Time { return testNow },
		Location: time.UTC,
		AfterDraw: func(s tcell.Screen) {
			hs.draws.Add(1)
			dump := dumpScreen(s.(tcell.SimulationScreen))
			hs.mu.Lock()
			hs.latest = dump
			hs.mu.Unlock()
			select {
			case hs.drawn <- struct{}{}:
			default:
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { hs.errc <- Run(ctx, s, be, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-hs.errc:
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop")
		}
		s.Fini()
	})
	return hs
}

// dumpScreen renders the cells as text, one line per row, trailing spaces
// trimmed. Styles are not part of the dump.
func dumpScreen(s tcell.SimulationScreen) string {
	cells, w, h := s.GetContents()
	var b strings.Builder
	for y := range h {
		var line strings.Builder
		for x := range w {
			c := cells[y*w+x]
			if len(c.Runes) > 0 {
				line.WriteString(string(c.Runes))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// waitFor returns the first drawn screen for which ok is true, failing the
// test if none comes within a generous deadline (a hang guard, not timing).
func (h *harness) waitFor(what string, ok func(screen string) bool) string {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		cur := h.latest
		h.mu.Unlock()
		if cur != "" && ok(cur) {
			return cur
		}
		select {
		case <-h.drawn:
		case <-deadline:
			h.t.Fatalf("screen never showed %s; last screen:\n%s", what, cur)
		}
	}
}

// waitText waits until every string in want is on the screen.
func (h *harness) waitText(want ...string) string {
	h.t.Helper()
	return h.waitFor(strings.Join(want, ", "), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

func (h *harness) key(k tcell.Key, mod tcell.ModMask) { h.screen.InjectKey(k, 0, mod) }

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// enter types a line and presses Enter.
func (h *harness) enter(s string) {
	h.typeText(s)
	h.key(tcell.KeyEnter, tcell.ModNone)
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), got, "screen differs from %s", path)
}

// screenRow returns one row of a dumped screen; negative y counts from the bottom.
func screenRow(screen string, y int) string {
	rows := strings.Split(screen, "\n")
	if y < 0 {
		y += len(rows) - 1 // the dump ends with a newline
	}
	return rows[y]
}
