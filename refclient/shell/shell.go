// Package shell is the reference client's line interface: one command per
// line, in the spirit of the original client's shell, built on
// refclient/core (protocol) and refclient/store (local data).
//
// It is scriptable: without a terminal there is no prompt, every command's
// outcome is one or more lines starting with "[OK]", "[INFO]" or
// "[ERROR]", and Run reports how many commands failed. Pushed packets are
// printed as they arrive ("[MSG] 12:01:02 bob: hi", "[HOOK] ...",
// "[SHTDWN] ..."); before the next command runs, every event received so
// far has been printed, so a script's output does not depend on timing.
package shell

import (
	"bufio"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/keyring"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

// Options configure a Shell. Store is required.
type Options struct {
	Store *store.Store
	// Out receives results and events; Err receives "[ERROR]" lines
	// (default: Out).
	Out, Err io.Writer
	// Terminal, if set, makes the shell interactive: commands are read
	// from it with a prompt, line editing and history, and Out and Err
	// should be it too, so pushed lines redraw the prompt.
	Terminal Terminal
	// Interrupt delivers the user's Ctrl-C (SIGINT) while a command runs:
	// it cancels that command, not the shell.
	Interrupt <-chan struct{}
	// ErrExit stops Run at the first failed command.
	ErrExit bool
	// Password returns the password for prompt; confirm asks twice when
	// the source can (a terminal). Required for REG, LOGIN, IMPORT, EXPORT.
	Password func(prompt string, confirm bool) ([]byte, error)
	// GenerateKey makes the key pair for REG (default spec.GenerateKey);
	// tests substitute fixture keys.
	GenerateKey func() (*rsa.PrivateKey, error)
	// KeyParams is the keyring cost for new sealed keys (default
	// keyring.DefaultParams).
	KeyParams keyring.Params
	// Dialect is used for CONN to an address not saved as a server.
	Dialect spec.Dialect
	// RequestTimeout and KeepAlive are passed to core.Config.
	RequestTimeout time.Duration
	KeepAlive      time.Duration
	// ExportDir is where EXPORT writes keys without an explicit path.
	ExportDir string
	Logger    *slog.Logger
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Shell runs commands. Commands run one at a time (Exec is not meant to
// be called concurrently); a goroutine per connection prints events.
type Shell struct {
	opts Options
	st   *store.Store
	outm sync.Mutex // serialises output lines from commands and events

	mu   sync.Mutex   // guards the fields below (written by the event handler)
	sess *app.Session // the current connection, or nil
	last *app.Session // the previous connection, for RECONN
}

// New returns a shell.
func New(opts Options) *Shell {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Err == nil {
		opts.Err = opts.Out
	}
	if opts.GenerateKey == nil {
		opts.GenerateKey = spec.GenerateKey
	}
	if opts.KeyParams == (keyring.Params{}) {
		opts.KeyParams = keyring.DefaultParams
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ExportDir == "" {
		opts.ExportDir = "."
	}
	return &Shell{opts: opts, st: opts.Store}
}

// ErrExit is returned by Exec for EXIT.
var ErrExit = errors.New("exit")

// maxLine bounds one input line (a MOTD or a message is far shorter).
const maxLine = 64 * 1024

// Run reads commands until EOF or EXIT and returns the number of failed
// commands: from the Terminal if there is one, else from in, as a script
// whose errors name their line. With ErrExit it stops at the first
// failure. The connection is closed when Run returns.
func (s *Shell) Run(ctx context.Context, in io.Reader) (failed int) {
	defer s.disconnect()
	if s.opts.Terminal != nil {
		return s.interact(ctx)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		err := s.Exec(ctx, sc.Text())
		s.syncEvents()
		switch {
		case errors.Is(err, ErrExit):
			return failed
		case err != nil:
			failed++
			s.errorf("line %d: %v", n, err)
			if s.opts.ErrExit {
				return failed
			}
		}
		if ctx.Err() != nil {
			return failed + 1
		}
	}
	if err := sc.Err(); err != nil {
		s.errorf("reading input: %v", err)
		failed++
	}
	return failed
}

// interact runs commands typed at the Terminal.
func (s *Shell) interact(ctx context.Context) (failed int) {
	s.infof("type HELP for the commands; Tab completes, Up/Down recall, EXIT or Ctrl-D leaves")
	for ctx.Err() == nil {
		line, err := s.opts.Terminal.ReadLine(s.promptText())
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.errorf("reading input: %v", err)
				failed++
			}
			return failed
		}
		err = s.execInterruptible(ctx, line)
		s.syncEvents()
		switch {
		case errors.Is(err, ErrExit):
			return failed
		case err != nil:
			failed++
			s.errorf("%v", err)
		}
	}
	return failed
}

// execInterruptible runs one command that Ctrl-C cancels.
func (s *Shell) execInterruptible(ctx context.Context, line string) error {
	for drained := false; !drained; { // a Ctrl-C typed at the prompt is stale
		select {
		case <-s.opts.Interrupt:
		default:
			drained = true
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-s.opts.Interrupt:
			cancel()
		case <-done:
		}
	}()
	err := s.Exec(cctx, line)
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		return errors.New("interrupted")
	}
	return err
}

func (s *Shell) promptText() string {
	s.mu.Lock()
	conn, user := s.sess != nil, ""
	if conn {
		user = s.sess.User()
	}
	s.mu.Unlock()
	p := fmt.Sprintf("gochat(%s) > ", user)
	if !conn {
		p = "(not connected) " + p
	}
	return p
}

// Exec runs one command line. Blank lines and lines starting with '#' do
// nothing. The error is the command's failure, already worded for a user.
func (s *Shell) Exec(ctx context.Context, line string) error {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return nil
	}
	name, rest, _ := strings.Cut(line, " ")
	cmd, ok := commands[strings.ToUpper(name)]
	if !ok {
		return fmt.Errorf("unknown command %q (try HELP)", name)
	}
	a := args{fields: strings.Fields(rest), raw: strings.TrimSpace(rest)}
	if len(a.fields) < cmd.min || cmd.max >= 0 && len(a.fields) > cmd.max {
		return fmt.Errorf("usage: %s", cmd.usage)
	}
	return cmd.run(s, ctx, a)
}

// args are a command's arguments: whitespace-separated fields, and the
// raw text for commands whose last argument is free text.
type args struct {
	fields []string
	raw    string
}

// textFrom returns the raw text after the first n fields, spaces kept.
func (a args) textFrom(n int) string {
	s := a.raw
	for range n {
		s = strings.TrimLeft(s, " \t")
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimLeft(s, " \t")
}

func (s *Shell) printf(format string, v ...any) {
	s.outm.Lock()
	defer s.outm.Unlock()
	fmt.Fprintf(s.opts.Out, format+"\n", v...)
}

func (s *Shell) okf(format string, v ...any)   { s.printf("[OK] "+format, v...) }
func (s *Shell) infof(format string, v ...any) { s.printf("[INFO] "+format, v...) }

func (s *Shell) errorf(format string, v ...any) {
	s.outm.Lock()
	defer s.outm.Unlock()
	fmt.Fprintf(s.opts.Err, "[ERROR] "+format+"\n", v...)
}

// conn returns the current session or an error for commands that need one.
func (s *Shell) conn() (*app.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil, errors.New("not connected (use CONN)")
	}
	return s.sess, nil
}

// session returns the current session and its logged-in user.
func (s *Shell) session() (*app.Session, string, error) {
	sess, err := s.conn()
	if err != nil {
		return nil, "", err
	}
	user := sess.User()
	if user == "" {
		return nil, "", errors.New("not logged in (use LOGIN)")
	}
	return sess, user, nil
}

// connUser returns the current session and the username the command's
// first argument names.
func (s *Shell) connUser(a args) (*app.Session, string, error) {
	sess, err := s.conn()
	return withUserArg(sess, err, a)
}

// sessionUser is connUser for commands that need a logged-in session.
func (s *Shell) sessionUser(a args) (*app.Session, string, error) {
	sess, _, err := s.session()
	return withUserArg(sess, err, a)
}

// withUserArg passes on sess, or err, with the username in a's first field.
func withUserArg(sess *app.Session, err error, a args) (*app.Session, string, error) {
	if err != nil {
		return nil, "", err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return nil, "", err
	}
	return sess, name, nil
}

// appConfig is the session configuration the shell's options describe.
func (s *Shell) appConfig() app.Config {
	return app.Config{
		Store: s.st, GenerateKey: s.opts.GenerateKey, KeyParams: s.opts.KeyParams,
		Dialect: s.opts.Dialect, RequestTimeout: s.opts.RequestTimeout, KeepAlive: s.opts.KeepAlive,
		Logger: s.opts.Logger, Now: s.opts.Now,
	}
}

func (s *Shell) password(prompt string, confirm bool) ([]byte, error) {
	if s.opts.Password == nil {
		return nil, errors.New("no password source (use -password-file, GOCHAT_PASSWORD or a terminal)")
	}
	return s.opts.Password(prompt, confirm)
}

// describe words an error from a session for the user, with the
// protocol's code in brackets for server errors: the shell is also a
// testing tool.
func describe(err error) error {
	var se *core.ServerError
	var kp *app.KeyPendingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return fmt.Errorf("%s [%s]", app.ServerErrorText(se), se.Code)
	case errors.Is(err, core.ErrKeyChanged):
		return fmt.Errorf("%v; run TRUST to accept the new key", err)
	case errors.As(err, &kp):
		return fmt.Errorf("%v; verify it and run TRUST %s", err, kp.User)
	}
	return errors.New(app.Explain(err))
}
