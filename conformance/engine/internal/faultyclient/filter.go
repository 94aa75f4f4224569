package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

// filter sits between the runner and the reference driver: it answers the
// commands a thin adapter would not support and injects the wire faults
// that need a driver command to trigger them.
type filter struct {
	out     *lockedWriter
	only    map[string]bool // nil: every command is supported
	brdcast bool

	mu      sync.Mutex
	conn    *faultConn
	tls     bool
	dialect spec.Dialect
}

// lockedWriter lets the filter and the driver share standard output; both
// write one whole JSON line per Write call.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
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
			if f.handle(sc.Bytes()) {
				continue
			}
			if _, err := pw.Write(append(append([]byte(nil), sc.Bytes()...), '\n')); err != nil {
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

// handle reports whether the filter answered the line itself.
func (f *filter) handle(line []byte) bool {
	var c command
	if json.Unmarshal(line, &c) != nil {
		return false
	}
	if f.only != nil && !f.only[c.Cmd] {
		fmt.Fprintf(f.out, `{"id":%d,"ok":false,"error":{"code":"unsupported","message":"thin adapter: %s"}}`+"\n", c.ID, c.Cmd)
		return true
	}
	switch {
	case c.Cmd == "connect":
		f.mu.Lock()
		f.tls, f.dialect = c.TLS, spec.DialectSpec
		if c.Dialect == "gochat1" {
			f.dialect = spec.DialectGochat1
		}
		f.mu.Unlock()
	case c.Cmd == "admin" && c.Op == "broadcast" && f.brdcast:
		f.injectBroadcast(c.Args)
	}
	return false
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
