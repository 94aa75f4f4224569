package shell

import (
	"errors"
	"io"
	"slices"
	"strings"
	"sync"

	"golang.org/x/term"
)

// Terminal is an interactive line source: a line editor with history for
// commands, a masked prompt for passwords, and an output that redraws the
// line being edited around what it prints, so a pushed [MSG] never tears
// the prompt.
type Terminal interface {
	io.Writer
	ReadLine(prompt string) (string, error)
	ReadPassword(prompt string) (string, error)
}

// LineEditor is the Terminal of a real terminal. It is golang.org/x/term's
// line editor (cursor keys, Home/End, Ctrl-A/E/K/U/W, Alt-Left/Right, Up/Down
// history, bracketed paste), with the terminal in raw mode only while a
// line is read: while a command runs the terminal is cooked, so Ctrl-C is
// a SIGINT that interrupts the command. At the prompt, Ctrl-C clears the
// line (x/term would end the input) and Tab completes.
type LineEditor struct {
	t        *term.Terminal
	in       *keyFilter
	raw      func() (restore func(), err error)
	size     func() (w, h int, err error)
	complete func(line string) []string

	mu       sync.Mutex
	hintDone bool
}

// LineEditorOptions are the terminal's hooks; nil ones do nothing.
type LineEditorOptions struct {
	// Raw puts the terminal in raw mode and returns how to restore it.
	Raw func() (restore func(), err error)
	// Size reports the terminal's size, read before each line.
	Size func() (w, h int, err error)
	// Complete lists the completions of a whole input line.
	Complete func(line string) []string
}

// ctrlC is what the key filter turns Ctrl-C into: a key x/term passes to
// the completion callback (BEL, which nobody types) instead of ending the
// input.
const ctrlC = 0x07

// NewLineEditor edits lines read from in and echoed to out.
func NewLineEditor(in io.Reader, out io.Writer, o LineEditorOptions) *LineEditor {
	e := &LineEditor{raw: o.Raw, size: o.Size, complete: o.Complete}
	e.in = &keyFilter{r: in, e: e}
	e.t = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{e.in, out}, "")
	e.t.AutoCompleteCallback = e.key
	return e
}

// Write prints text above the line being edited.
func (e *LineEditor) Write(p []byte) (int, error) { return e.t.Write(p) }

// ReadLine reads one edited line; io.EOF at Ctrl-D on an empty line or
// the end of the input.
func (e *LineEditor) ReadLine(prompt string) (string, error) {
	restore, err := e.enter()
	if err != nil {
		return "", err
	}
	defer restore()
	e.t.SetPrompt(prompt)
	line, err := e.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil // a pasted line is a line
	}
	return line, err
}

// ReadPassword reads a line without echo and without history.
func (e *LineEditor) ReadPassword(prompt string) (string, error) {
	restore, err := e.enter()
	if err != nil {
		return "", err
	}
	defer restore()
	return e.t.ReadPassword(prompt)
}

func (e *LineEditor) enter() (func(), error) {
	if e.size != nil {
		if w, h, err := e.size(); err == nil {
			e.t.SetSize(w, h)
		}
	}
	if e.raw == nil {
		return func() {}, nil
	}
	return e.raw()
}

// key handles the keys x/term leaves to its completion callback.
func (e *LineEditor) key(line string, pos int, key rune) (string, int, bool) {
	switch key {
	case ctrlC:
		e.mu.Lock()
		e.in.hint = !e.hintDone
		e.hintDone = true
		e.mu.Unlock()
		return "", 0, true
	case '\t':
		if e.complete == nil || pos != len(line) {
			return "", 0, false
		}
		cands := e.complete(line)
		if len(cands) == 0 {
			return "", 0, false
		}
		done := commonPrefix(cands)
		if len(cands) == 1 {
			done += " "
		}
		if len(done) <= len(line) {
			return "", 0, false
		}
		return done, len(done), true
	}
	return "", 0, false
}

// ctrlCHint is printed the first time Ctrl-C clears a line.
const ctrlCHint = "(Ctrl-C clears the line and interrupts a command; EXIT or Ctrl-D leaves the shell)\n"

// keyFilter turns Ctrl-C into ctrlC for x/term, and prints the Ctrl-C
// hint while x/term waits for input (when it holds no lock).
type keyFilter struct {
	r    io.Reader
	e    *LineEditor
	hint bool // guarded by e.mu
}

func (k *keyFilter) Read(p []byte) (int, error) {
	k.e.mu.Lock()
	hint := k.hint
	k.hint = false
	k.e.mu.Unlock()
	if hint {
		k.e.t.Write([]byte(ctrlCHint))
	}
	n, err := k.r.Read(p)
	for i, b := range p[:n] {
		if b == 0x03 {
			p[i] = ctrlC
		}
	}
	return n, err
}

// commonPrefix is the longest prefix of every string, compared without
// case; the first string's spelling wins.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		n := 0
		for n < len(p) && n < len(s) && strings.EqualFold(p[n:n+1], s[n:n+1]) {
			n++
		}
		p = p[:n]
	}
	return p
}

// completions lists what line may become: command names for the first
// word, then the words each command takes (hooks, list kinds, admin
// operations, saved servers).
func (s *Shell) completions(line string) []string {
	fields := strings.Fields(line)
	if strings.HasSuffix(line, " ") || line == "" {
		fields = append(fields, "")
	}
	var pool []string
	switch {
	case len(fields) == 1:
		for name := range commands {
			pool = append(pool, name)
		}
	case len(fields) == 2:
		pool = argWords[strings.ToUpper(fields[0])]
		if strings.EqualFold(fields[0], "CONN") {
			pool = s.serverNames()
		}
	}
	word := fields[len(fields)-1]
	head := line[:len(line)-len(word)]
	var out []string
	for _, p := range pool {
		if len(p) >= len(word) && strings.EqualFold(p[:len(word)], word) {
			if len(fields) == 1 && word != "" && word == strings.ToLower(word) {
				p = strings.ToLower(p) // keep the case the user types in
			}
			out = append(out, head+p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Completions lists what an input line may become with Tab.
func (s *Shell) Completions(line string) []string { return s.completions(line) }
