package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

// filter sits between the runner and the reference driver: it answers the
// commands a thin adapter would not support and injects the wire faults
// that need a driver command to trigger them.
type filter struct {
	out      *lockedWriter
	only     map[string]bool // nil: every command is supported
	brdcast  bool            // brdcast-plain
	insecure bool            // insecure-tls

	mu      sync.Mutex
	conn    *faultConn
	tls     bool
	dialect spec.Dialect
}

// lockedWriter lets the filter and the driver share standard output; both
// write one whole JSON line per Write call. rewrite, when set, turns each
// line into the lines actually written (a report fault).
type lockedWriter struct {
	mu      sync.Mutex
	w       io.Writer
	rewrite func(line []byte) [][]byte
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rewrite == nil {
		return l.w.Write(p)
	}
	for _, line := range l.rewrite(p) {
		if _, err := l.w.Write(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// reportFaults change what the adapter reports, not what goes on the
// wire. Each returns a fresh rewriter.
var reportFaults = map[string]func() func([]byte) [][]byte{
	// hang-on-close: a command pending when the connection ends never
	// completes (its "closed" response is lost).
	"hang-on-close": func() func([]byte) [][]byte {
		return func(line []byte) [][]byte {
			if bytes.Contains(line, []byte(`"code":"closed"`)) {
				return nil
			}
			return [][]byte{line}
		}
	},
	// shtdwn-ms: the shutdown time is reported in milliseconds.
	"shtdwn-ms": func() func([]byte) [][]byte {
		return func(line []byte) [][]byte {
			var ev map[string]any
			if json.Unmarshal(line, &ev) == nil && ev["event"] == "shutdown" {
				if at, ok := ev["at"].(float64); ok {
					ev["at"] = at * 1000
					b, _ := json.Marshal(ev)
					return [][]byte{append(b, '\n')}
				}
			}
			return [][]byte{line}
		}
	},
	// swap-messages: every two message events are reported in reverse
	// order (a client that sorts or reorders what it received).
	"swap-messages": func() func([]byte) [][]byte {
		var held []byte
		return func(line []byte) [][]byte {
			isMsg := bytes.Contains(line, []byte(`"event":"message"`))
			switch {
			case isMsg && held == nil:
				held = append([]byte(nil), line...)
				return nil
			case isMsg:
				out := [][]byte{line, held}
				held = nil
				return out
			case held != nil:
				out := [][]byte{held, line}
				held = nil
				return out
			}
			return [][]byte{line}
		}
	},
}

// setConn files the connection the client just dialled and reports
// whether it is plain TCP (the last connect command's choice).
func (f *filter) setConn(c *faultConn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conn = c
	return !f.tls
}

// start copies in to the returned reader, line by line, minus the
// commands the filter answers itself. The copy ends with in.
func (f *filter) start(in io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := f.handle(append([]byte(nil), sc.Bytes()...))
			if line == nil {
				continue
			}
			if _, err := pw.Write(append(line, '\n')); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}

type command struct {
	ID      int64  `json:"id"`
	Cmd     string `json:"cmd"`
	TLS     bool   `json:"tls"`
	Dialect string `json:"dialect"`
	Op      string `json:"op"`
	Args    []string
}

// handle returns the line to pass on to the driver, nil when the filter
// answered it itself.
func (f *filter) handle(line []byte) []byte {
	var c command
	if json.Unmarshal(line, &c) != nil {
		return line
	}
	if f.only != nil && !f.only[c.Cmd] {
		fmt.Fprintf(f.out, `{"id":%d,"ok":false,"error":{"code":"unsupported","message":"thin adapter: %s"}}`+"\n", c.ID, c.Cmd)
		return nil
	}
	switch {
	case c.Cmd == "connect":
		f.mu.Lock()
		f.tls, f.dialect = c.TLS, spec.DialectSpec
		if c.Dialect == "gochat1" {
			f.dialect = spec.DialectGochat1
		}
		f.mu.Unlock()
		if f.insecure && c.TLS {
			return trustAnything(line)
		}
	case c.Cmd == "admin" && c.Op == "broadcast" && f.brdcast:
		f.injectBroadcast(c.Args)
	}
	return line
}

// trustAnything sets insecure on a connect command: a client that never
// verifies the server's certificate.
func trustAnything(line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return line
	}
	m["insecure"] = true
	b, err := json.Marshal(m)
	if err != nil {
		return line
	}
	return b
}

// injectBroadcast writes ADMIN BRDCAST on a plain connection, bypassing
// the reference client's refusal (which still answers the command).
func (f *filter) injectBroadcast(args []string) {
	f.mu.Lock()
	c, plain, d := f.conn, !f.tls, f.dialect
	f.mu.Unlock()
	if c == nil || !plain || len(args) == 0 {
		return
	}
	p := spec.NewPacket(spec.ADMIN, 1000, []byte(args[0]))
	p.Info = uint8(spec.AdminBrdcast)
	b, err := spec.MarshalPacket(p, d)
	if err == nil {
		_, err = c.Conn.Write(b)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultyclient: injecting ADMIN BRDCAST:", err)
	}
}

// onlyEvents declares events in the handshake line and drops the event
// lines not listed; other lines go through next (nil: unchanged).
func onlyEvents(events []string, next func([]byte) [][]byte) func([]byte) [][]byte {
	if len(events) == 1 && events[0] == "" {
		events = []string{}
	}
	return func(line []byte) [][]byte {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil {
			if m["driver"] != nil {
				m["events"] = events
				b, _ := json.Marshal(m)
				line = append(b, '\n')
			} else if ev, isEvent := m["event"].(string); isEvent && !slices.Contains(events, ev) {
				return nil
			}
		}
		if next == nil {
			return [][]byte{line}
		}
		return next(line)
	}
}

// plaintextMSG re-encodes a MSG packet with a readable text in place of
// its ciphertext (a client that does not encrypt).
func (f *filter) plaintextMSG(b []byte) []byte {
	if spec.ParseHeader(b).Action != spec.MSG {
		return b
	}
	f.mu.Lock()
	d := f.dialect
	f.mu.Unlock()
	var p spec.Packet
	if spec.NewRawDecoder(bytes.NewReader(b), spec.ServerBound, d).ReadPacket(&p) != nil || len(p.Args) != 3 {
		return b
	}
	p.Args[2] = []byte("this text was not encrypted")
	out, err := spec.MarshalPacket(&p, d)
	if err != nil {
		return b
	}
	return out
}
