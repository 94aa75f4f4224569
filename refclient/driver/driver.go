// Package driver implements the conformance driver protocol (docs/driver.md)
// for the reference client: it reads JSON commands, one per line, runs them
// on a refclient/core session and writes responses and events, one JSON
// object per line. gochat-client -driver is a thin wrapper around Serve.
package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
)

// Version is the driver protocol version this package speaks.
const Version = 1

// Options tune the driver.
type Options struct {
	// Client is the free-text name written in the handshake line.
	Client string
	// RequestTimeout bounds each server request (default 10s).
	RequestTimeout time.Duration
	// DialContext replaces the TCP dialer (fault injection in tests).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// NoPinning turns key pinning off (fault injection in tests: a client
	// that takes a changed key silently).
	NoPinning bool
	// Logger receives the session's debug logs; nil discards them.
	Logger *slog.Logger
}

// Command is one runner request. Fields not used by a command are empty.
type Command struct {
	ID          int64    `json:"id"`
	Cmd         string   `json:"cmd"`
	Addr        string   `json:"addr,omitempty"`
	TLS         bool     `json:"tls,omitempty"`
	Insecure    bool     `json:"insecure,omitempty"`
	Dialect     string   `json:"dialect,omitempty"`
	KeepAliveMS int64    `json:"keepalive_ms,omitempty"`
	User        string   `json:"user,omitempty"`
	KeyPEM      string   `json:"key_pem,omitempty"`
	Token       string   `json:"token,omitempty"`
	Kind        string   `json:"kind,omitempty"`
	To          string   `json:"to,omitempty"`
	Text        string   `json:"text,omitempty"`
	Hook        string   `json:"hook,omitempty"`
	Op          string   `json:"op,omitempty"`
	Args        []string `json:"args,omitempty"`
}

// Error is the error object of a failed response.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Serve runs the driver until in ends, a quit command arrives or ctx is
// cancelled. It writes the handshake line first. The returned error is
// nil on a clean end.
func Serve(ctx context.Context, in io.Reader, out io.Writer, o Options) error {
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.Client == "" {
		o.Client = "gochat-client (reference)"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newWriter(out)
	defer w.stop()
	d := &driver{opts: o, w: w, keys: map[string]string{}}
	defer d.closeClient()
	w.line(map[string]any{"driver": "gochat-driver", "version": Version, "client": o.Client})

	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go readLines(ctx, in, lines, readErr)
	// One worker runs commands in arrival order; close and quit are
	// handled here so that they can interrupt a command waiting for the
	// server.
	work := make(chan Command, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range work {
			res, e := d.do(ctx, &c)
			w.respond(c.ID, res, e)
		}
	}()
	defer wg.Wait()
	defer close(work)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return err
		case line := <-lines:
			var c Command
			if err := json.Unmarshal(line, &c); err != nil || c.Cmd == "" {
				w.respond(c.ID, nil, &Error{Code: "bad_command", Message: "not a command object"})
				continue
			}
			if c.Cmd == "quit" {
				d.closeClient()
				w.respond(c.ID, nil, nil)
				return nil
			}
			if c.Cmd == "close" { // must not wait behind a blocked command
				d.closeClient()
				w.respond(c.ID, nil, nil)
				continue
			}
			select {
			case work <- c:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// readLines feeds complete lines to out; it reports io.EOF (as nil) or a
// read error on errc and stops when ctx ends.
func readLines(ctx context.Context, in io.Reader, out chan<- []byte, errc chan<- error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		if len(line) == 0 {
			continue
		}
		select {
		case out <- line:
		case <-ctx.Done():
			return
		}
	}
	errc <- sc.Err()
}

// writer owns standard output. Events of the current connection and
// responses go through one goroutine, which drains queued events before
// each response, so that events caused by a request's packets are always
// written before its response (core queues them before the reply).
type writer struct {
	enc     *json.Encoder
	resp    chan any
	events  chan (<-chan core.Event)
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func newWriter(out io.Writer) *writer {
	w := &writer{enc: json.NewEncoder(out), resp: make(chan any), events: make(chan (<-chan core.Event)),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	return w
}

func (w *writer) loop() {
	defer close(w.stopped)
	var evs <-chan core.Event
	for {
		select {
		case <-w.done:
			w.drain(evs)
			return
		case ch := <-w.events:
			w.drain(evs)
			evs = ch
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			w.event(ev)
		case r := <-w.resp:
			evs = w.drain(evs)
			_ = w.enc.Encode(r)
		}
	}
}

// drain writes every event already queued; it returns nil once the
// channel is closed.
func (w *writer) drain(evs <-chan core.Event) <-chan core.Event {
	for evs != nil {
		select {
		case ev, ok := <-evs:
			if !ok {
				return nil
			}
			w.event(ev)
		default:
			return evs
		}
	}
	return nil
}

func (w *writer) event(ev core.Event) {
	if m := eventJSON(ev); m != nil {
		_ = w.enc.Encode(m)
	}
}

// line writes an object directly (only before the loop has work).
func (w *writer) line(v any) { w.send(v) }

func (w *writer) send(v any) {
	select {
	case w.resp <- v:
	case <-w.stopped:
	}
}

// watch switches the event source to a new connection's channel.
func (w *writer) watch(ch <-chan core.Event) {
	select {
	case w.events <- ch:
	case <-w.stopped:
	}
}

func (w *writer) respond(id int64, res map[string]any, e *Error) {
	m := map[string]any{}
	for k, v := range res {
		m[k] = v
	}
	m["id"] = id
	m["ok"] = e == nil
	if e != nil {
		m["error"] = e
	}
	w.send(m)
}

func (w *writer) stop() {
	w.once.Do(func() { close(w.done) })
	<-w.stopped
}

// errorOf maps a core error to the driver's error codes.
func errorOf(err error) *Error {
	var se *core.ServerError
	switch {
	case errors.As(err, &se):
		return &Error{Code: se.Code.String(), Message: err.Error()}
	case errors.Is(err, core.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: "timeout", Message: err.Error()}
	case errors.Is(err, core.ErrClosed):
		return &Error{Code: "closed", Message: err.Error()}
	}
	return &Error{Code: "local", Message: err.Error()}
}
