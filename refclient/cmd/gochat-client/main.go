// Command gochat-client is the reference gochat client. By default it runs
// the terminal interface; -shell runs the scriptable line shell instead.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/gochatproto/gochat/internal/version"
	"github.com/gochatproto/gochat/refclient/shell"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

type options struct {
	shell        bool
	dataDir      string
	password     string
	passwordFile string
	errExit      bool
	dialect      string
	timeout      time.Duration
	keepAlive    time.Duration
	verbose      bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }() // a second signal kills the process
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interrupts handles SIGINT (Ctrl-C where the terminal is cooked). In an
// interactive shell it arrives on the returned channel and cancels the
// command running; everywhere else it cancels ctx, as SIGTERM does. stop
// releases the signal.
func interrupts(ctx context.Context, cancel context.CancelFunc, interactive bool) (ch <-chan struct{}, stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				if !interactive {
					cancel()
					continue
				}
				select {
				case out <- struct{}{}:
				default:
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, func() { signal.Stop(sig); close(done) }
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, argv []string, stdin *os.File, stdout, stderr io.Writer) int {
	if driverMode(argv) { // conformance driver: see driver.go
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, stop := interrupts(ctx, cancel, false)
		defer stop()
		return runDriver(ctx, argv, stdin, stdout, stderr)
	}
	var o options
	fs := flag.NewFlagSet("gochat-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.shell, "shell", false, "run the line shell instead of the terminal interface")
	fs.StringVar(&o.dataDir, "data", defaultDataDir(), "directory holding the local database (client.db) and exported keys")
	fs.StringVar(&o.password, "password", "", "password for every prompt (visible to other local users; prefer -password-file)")
	fs.StringVar(&o.passwordFile, "password-file", "", "read the password from the first line of this file")
	fs.BoolVar(&o.errExit, "e", false, "shell: stop at the first failed command")
	fs.StringVar(&o.dialect, "dialect", "spec", "dialect for addresses not saved as servers: spec or gochat1")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time to wait for each reply")
	fs.DurationVar(&o.keepAlive, "keepalive", 60*time.Second, "send KEEP after this much idle time (negative: never)")
	fs.BoolVar(&o.verbose, "verbose", false, "log protocol details to stderr (the TUI: to client.log in the data directory)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.Line("gochat-client"))
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gochat-client: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	d, err := spec.ParseDialect(o.dialect)
	if err != nil {
		fmt.Fprintf(stderr, "gochat-client: %v\n", err)
		return 2
	}
	st, err := openStore(ctx, o.dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "gochat-client: %v\n", err)
		return 1
	}
	defer st.Close()
	if !o.shell {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, stop := interrupts(ctx, cancel, false)
		defer stop()
		return runTUI(ctx, st, o, stderr)
	}
	return runShell(ctx, st, o, d, stdin, stdout, stderr)
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `Usage: gochat-client [flags]

The reference gochat client. Without -shell it starts the terminal interface.
With -shell it reads one command per line from standard input: interactively
with a prompt on a terminal, or as a script otherwise (no prompt; exit status 1
if any command failed).

Passwords (for REG, LOGIN, IMPORT, EXPORT) come from, in this order:
-password-file, -password, the GOCHAT_PASSWORD environment variable, or a
prompt when standard input is a terminal.

Flags:
`)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nShell commands:\n%s\n\nExample script:\n%s", indent(shell.HelpText()), exampleScript)
}

const exampleScript = `  CONN 127.0.0.1 9037
  REG alice
  LOGIN alice
  MSG bob hello there
  RECIV
  EXIT
`

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "gochat-data"
	}
	return filepath.Join(dir, "gochat")
}

func openStore(ctx context.Context, dir string) (*store.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return store.Open(ctx, filepath.Join(dir, "client.db"))
}

func runShell(ctx context.Context, st *store.Store, o options, d spec.Dialect, stdin *os.File, stdout, stderr io.Writer) int {
	fd := int(stdin.Fd())
	interactive := term.IsTerminal(fd)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	intr, stopIntr := interrupts(ctx, cancel, interactive)
	defer stopIntr()
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	opts := shell.Options{
		Store: st, Out: stdout, Err: stderr, ErrExit: o.errExit,
		Dialect: d, RequestTimeout: o.timeout, KeepAlive: o.keepAlive,
		ExportDir: filepath.Join(o.dataDir, "export"), Logger: logger, Interrupt: intr,
	}
	var sh *shell.Shell
	if interactive {
		// Line editing: golang.org/x/term's editor, the Go team's, already
		// a dependency for password prompts; see shell.LineEditor.
		ed := shell.NewLineEditor(stdin, stdout, shell.LineEditorOptions{
			Raw: func() (func(), error) {
				old, err := term.MakeRaw(fd)
				if err != nil {
					return nil, err
				}
				return func() { term.Restore(fd, old) }, nil
			},
			Size:     func() (int, int, error) { return term.GetSize(fd) },
			Complete: func(line string) []string { return sh.Completions(line) },
		})
		opts.Terminal, opts.Out, opts.Err = ed, ed, ed
	}
	pw, err := passwordSource(o, opts.Terminal)
	if err != nil {
		fmt.Fprintf(stderr, "gochat-client: %v\n", err)
		return 2
	}
	opts.Password = pw
	sh = shell.New(opts)
	if failed := sh.Run(ctx, stdin); failed > 0 {
		return 1
	}
	return 0
}

// passwordSource picks where passwords come from. A fixed password (file,
// flag or environment) answers every prompt; otherwise the terminal asks
// without echo, and without a terminal there is no source.
func passwordSource(o options, tty shell.Terminal) (func(string, bool) ([]byte, error), error) {
	fixed := func(p []byte) func(string, bool) ([]byte, error) {
		return func(string, bool) ([]byte, error) { return append([]byte(nil), p...), nil }
	}
	switch {
	case o.passwordFile != "":
		f, err := os.Open(o.passwordFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return fixed([]byte(strings.TrimRight(line, "\r\n"))), nil
	case o.password != "":
		return fixed([]byte(o.password)), nil
	case os.Getenv("GOCHAT_PASSWORD") != "":
		return fixed([]byte(os.Getenv("GOCHAT_PASSWORD"))), nil
	case tty != nil:
		return func(prompt string, confirm bool) ([]byte, error) { return promptPassword(tty, prompt, confirm) }, nil
	}
	return nil, nil // commands needing a password will say so
}

func promptPassword(tty shell.Terminal, prompt string, confirm bool) ([]byte, error) {
	pw, err := tty.ReadPassword(prompt)
	if err != nil || !confirm {
		return []byte(pw), err
	}
	again, err := tty.ReadPassword("repeat password: ")
	if err != nil {
		return nil, err
	}
	if again != pw {
		return nil, errors.New("passwords do not match")
	}
	return []byte(pw), nil
}
