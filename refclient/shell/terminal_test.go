package shell

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// termIO is a pretend terminal: the test types into keys, the shell's
// echo and output collect in screen.
type termIO struct {
	keys   *io.PipeWriter
	screen *syncBuffer
	ed     *LineEditor
}

func newTermIO(t *testing.T, complete func(string) []string) *termIO {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	screen := &syncBuffer{}
	return &termIO{keys: w, screen: screen, ed: NewLineEditor(r, screen, LineEditorOptions{Complete: complete})}
}

func (ti *termIO) typeKeys(t *testing.T, s string) {
	t.Helper()
	_, err := io.WriteString(ti.keys, s)
	require.NoError(t, err)
}

func (ti *termIO) waitScreen(t *testing.T, want string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(ti.screen.String(), want) },
		5*time.Second, 5*time.Millisecond, "screen lacks %q:\n%q", want, ti.screen.String())
}

// The shell on a terminal edits lines: history with Up, cursor keys,
// Ctrl-C clears the line (with a hint, once), Tab completes commands.
func TestInteractiveLineEditing(t *testing.T) {
	ts := newShell(t, "alice")
	ti := newTermIO(t, ts.completions)
	ts.opts.Terminal, ts.opts.Out, ts.opts.Err = ti.ed, ti.ed, ti.ed
	done := make(chan int, 1)
	go func() { done <- ts.Run(context.Background(), nil) }()

	ti.waitScreen(t, "(not connected) gochat() > ")
	ti.typeKeys(t, "HELP servers\r")
	ti.waitScreen(t, "list saved servers")
	ti.typeKeys(t, "\x1b[A") // Up: the previous line comes back
	ti.waitScreen(t, "> HELP servers")
	ti.typeKeys(t, "\x03") // Ctrl-C: cleared, with a hint
	ti.waitScreen(t, "Ctrl-C clears the line")
	ti.typeKeys(t, "help\x1b[D\x1b[D\x1b[D\x1b[Dx\x1b[F EXIT\r") // Left x4, insert, End
	ti.waitScreen(t, `unknown command "xhelp"`)
	ti.typeKeys(t, "SERV\t\r") // Tab completes SERVERS
	ti.waitScreen(t, "[INFO] no saved servers")
	ti.typeKeys(t, "\x04") // Ctrl-D on an empty line leaves
	select {
	case failed := <-done:
		assert.Equal(t, 1, failed)
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-D did not end the shell")
	}
	assert.Equal(t, 1, strings.Count(ti.screen.String(), "Ctrl-C clears the line"))
}

// A line pushed by the server while the user types is printed above the
// prompt, which is drawn again with the text typed so far.
func TestPushedLineRedrawsPrompt(t *testing.T) {
	ti := newTermIO(t, nil)
	got := make(chan string, 1)
	go func() { line, _ := ti.ed.ReadLine("gochat(bob) > "); got <- line }()
	ti.typeKeys(t, "MSG alice hel")
	ti.waitScreen(t, "MSG alice hel")
	_, err := io.WriteString(ti.ed, "[MSG] 10:00:00 alice: hi\n")
	require.NoError(t, err)
	ti.waitScreen(t, "[MSG] 10:00:00 alice: hi\r\ngochat(bob) > MSG alice hel")
	ti.typeKeys(t, "lo\r")
	assert.Equal(t, "MSG alice hello", <-got)
}

func TestCompletions(t *testing.T) {
	ts := newShell(t, "alice")
	for line, want := range map[string][]string{
		"SER":       {"SERVERS"},
		"re":        {"reciv", "reconn", "reg", "regserver", "req"},
		"SUB new_l": {"SUB new_login", "SUB new_logout"},
		"usrs o":    {"usrs online", "usrs onlineperms"},
		"ADMIN ki":  {"ADMIN kick"},
		"MSG bob h": nil,
	} {
		assert.Equal(t, want, ts.completions(line), line)
	}
}

func TestCommonPrefix(t *testing.T) {
	assert.Equal(t, "SUB new_log", commonPrefix([]string{"SUB new_login", "SUB new_logout"}))
	assert.Equal(t, "re", commonPrefix([]string{"reconn", "REG"}))
}
