package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	osexec "os/exec"
	"sync"
	"time"

	"github.com/gochatproto/gochat/internal/procgroup"
)

// proc is one running client adapter speaking the driver protocol.
type proc struct {
	cmd    *osexec.Cmd
	stdin  io.WriteCloser
	lines  chan map[string]any // responses and events, in order; closed at EOF
	stderr *lockedBuffer
	done   chan struct{}
	nextID int64
}

// lockedBuffer keeps the adapter's standard error for the transcript.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<16 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// launch starts the adapter and waits for its handshake line.
func launch(command string, handshake time.Duration) (*proc, map[string]any, error) {
	c := osexec.Command("/bin/sh", "-c", command)
	procgroup.Isolate(c)
	p := &proc{cmd: c, lines: make(chan map[string]any, 256), stderr: new(lockedBuffer), done: make(chan struct{})}
	c.Stderr = p.stderr
	var err error
	if p.stdin, err = c.StdinPipe(); err != nil {
		return nil, nil, err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := c.Start(); err != nil {
		return nil, nil, err
	}
	go p.read(out)
	go func() { _ = c.Wait(); close(p.done) }()
	t := time.NewTimer(handshake)
	defer t.Stop()
	select {
	case hs, ok := <-p.lines:
		if !ok {
			p.kill()
			return nil, nil, fmt.Errorf("client exited before the driver handshake; stderr: %s", p.stderr.String())
		}
		if hs["driver"] != "gochat-driver" {
			p.kill()
			return nil, nil, fmt.Errorf("first line is not a driver handshake: %v", hs)
		}
		if hs["version"] != float64(1) {
			p.kill()
			return nil, nil, fmt.Errorf("driver protocol version %v not supported (want 1)", hs["version"])
		}
		return p, hs, nil
	case <-t.C:
		p.kill()
		return nil, nil, errors.New("no driver handshake within " + handshake.String())
	}
}

// read decodes stdout lines; a line that is not a JSON object becomes a
// {"_bad": text} entry, which the executor reports.
func (p *proc) read(r io.Reader) {
	defer close(p.lines)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m == nil {
			m = map[string]any{"_bad": sc.Text()}
		}
		p.lines <- m
	}
}

// exited reports whether the adapter's process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitedWithin reports whether the adapter's process ends within d. A
// write that fails with a broken pipe means the adapter closed its input,
// nearly always because it is dying; the process may not have been reaped
// yet when the write fails, so the caller waits a little before deciding
// between a crash and a suite error.
func (p *proc) exitedWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// send writes one command and returns its id.
func (p *proc) send(cmd map[string]any) (int64, error) {
	p.nextID++
	cmd["id"] = p.nextID
	b, err := json.Marshal(cmd)
	if err != nil {
		return 0, err
	}
	_, err = p.stdin.Write(append(b, '\n'))
	return p.nextID, err
}

// stop asks the adapter to quit, closes its input and kills its process
// group if it is still running after grace.
func (p *proc) stop(grace time.Duration) {
	_, _ = p.send(map[string]any{"cmd": "quit"})
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	p.kill()
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = procgroup.Kill(p.cmd)
	}
	<-p.done
	for range p.lines { // let the reader finish
	}
}
