package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

// Status is the verdict on one corpus case.
type Status string

// Verdicts. Warn is a SHOULD-level deviation (for example a missing ERR
// before the close, or another code than errata E-7 names); Info is the
// record of an implementation-defined case.
const (
	Pass Status = "pass"
	Fail Status = "FAIL"
	Warn Status = "warn"
	Info Status = "info"
	Skip Status = "skip"
)

// ReplayConfig configures a corpus replay.
type ReplayConfig struct {
	Addr    string
	Dialect spec.Dialect
	// Timeout bounds every wait (default 3s): a missing reply or close
	// after that long is a failure.
	Timeout time.Duration
	// Account is logged in for "before: login" cases. Nil registers one
	// with a free fixture key.
	Account *Account
	Cases   []*corpus.Case // nil: the committed corpus
	Log     io.Writer      // progress lines; may be nil
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	Case   *corpus.Case
	Status Status
	Detail string // what happened
}

// probeID is the ID of the request sent after a y_ case's writes; its
// reply shows that everything before it was processed.
const probeID = 1000

// Replay runs every case on a fresh connection and checks its outcome,
// then that the server still greets a new client.
func Replay(ctx context.Context, cfg ReplayConfig) ([]CaseResult, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	cases := cfg.Cases
	if cases == nil {
		var err error
		if cases, err = corpus.Load(corpus.Files); err != nil {
			return nil, err
		}
	}
	if cfg.Account == nil {
		accts, _, err := provision(ctx, cfg.Addr, cfg.Dialect, 1, "corpus", 0, cfg.Timeout)
		if err != nil {
			return nil, err
		}
		cfg.Account = &accts[0]
	}
	var out []CaseResult
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := CaseResult{Case: c}
		if !c.AppliesTo(cfg.Dialect) {
			r.Status, r.Detail = Skip, "not for dialect "+cfg.Dialect.String()
		} else {
			r.Status, r.Detail = replayOne(ctx, cfg, c)
			if probe, err := dial(ctx, cfg.Addr, cfg.Dialect, cfg.Timeout); err != nil {
				r.Status, r.Detail = Fail, r.Detail+"; afterwards a new client gets no HELLO: "+err.Error()
			} else {
				probe.close()
			}
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "%-4s %-32s %s\n", r.Status, c.Name, r.Detail)
		}
		out = append(out, r)
		if r.Status == Fail && strings.Contains(r.Detail, "no HELLO") {
			return out, errors.New("the server stopped answering; replay aborted")
		}
	}
	return out, nil
}

func replayOne(ctx context.Context, cfg ReplayConfig, c *corpus.Case) (Status, string) {
	cn, err := dial(ctx, cfg.Addr, cfg.Dialect, cfg.Timeout)
	if err != nil {
		return Fail, "connect: " + err.Error()
	}
	defer cn.close()
	if c.Before == corpus.BeforeLogin {
		if err := cn.login(ctx, *cfg.Account, cfg.Timeout); err != nil {
			return Fail, "precondition login: " + err.Error()
		}
	}
	for _, w := range c.Writes {
		if err := cn.write(w, cfg.Timeout); err != nil {
			if c.Outcome == corpus.Reject && errors.Is(err, errClosed) {
				break // closed before we finished: that is the expected close
			}
			return verdictFor(c, Fail), "write: " + err.Error()
		}
	}
	switch c.Outcome {
	case corpus.Accept:
		return checkAccepted(cn, cfg.Timeout)
	case corpus.Reject:
		return checkRejected(cn, c, cfg.Timeout)
	}
	return Info, observe(cn, cfg.Timeout/6)
}

func verdictFor(c *corpus.Case, s Status) Status {
	if c.Outcome == corpus.ImplDef {
		return Info
	}
	return s
}

// checkAccepted sends a probe REQ and waits for its reply; nothing before
// it may be an unsolicited ERR, a malformed packet or a close.
func checkAccepted(cn *conn, timeout time.Duration) (Status, string) {
	probe := spec.NewPacket(spec.REQ, probeID, []byte("nobody"))
	b, _ := spec.MarshalPacket(probe, cn.Dialect())
	if err := cn.write(b, timeout); err != nil {
		return Fail, "probe write: " + err.Error()
	}
	var seen []string
	deadline := time.Now().Add(timeout)
	for {
		p, err := cn.read(time.Until(deadline))
		if err != nil {
			return Fail, fmt.Sprintf("after %v: %s", seen, describeErr(err))
		}
		if p.ID == probeID {
			return Pass, fmt.Sprintf("replies %v, connection open", seen)
		}
		if p.ID == 0 && p.Action == spec.ERR {
			return Fail, fmt.Sprintf("rejected: %v after %v", p, seen)
		}
		seen = append(seen, short(p))
	}
}

// checkRejected waits for the close (MUST) and checks the ERR before it
// (SHOULD, with the E-7 code).
func checkRejected(cn *conn, c *corpus.Case, timeout time.Duration) (Status, string) {
	var last *spec.Packet
	deadline := time.Now().Add(timeout)
	for {
		p, err := cn.read(time.Until(deadline))
		if err == nil {
			last = p
			continue
		}
		if !errors.Is(err, errClosed) {
			return Fail, fmt.Sprintf("no close: %s (last packet %v)", describeErr(err), last)
		}
		break
	}
	switch {
	case last == nil || last.Action != spec.ERR || last.ID != 0:
		return Warn, fmt.Sprintf("closed, but the last packet was %v, not ERR with ID 0 (CONN-7)", last)
	case c.HasCode && spec.ErrCode(last.Info) != c.Code:
		return Warn, fmt.Sprintf("closed after ERR %v, E-7 recommends %v", spec.ErrCode(last.Info), c.Code)
	}
	return Pass, "closed after ERR " + spec.ErrCode(last.Info).String()
}

// observe records what an implementation-defined case led to.
func observe(cn *conn, wait time.Duration) string {
	var seen []string
	deadline := time.Now().Add(wait)
	for {
		p, err := cn.read(time.Until(deadline))
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Sprintf("%v, connection open after %v", seen, wait)
			}
			return fmt.Sprintf("%v, then %s", seen, describeErr(err))
		}
		seen = append(seen, short(p))
	}
}

func short(p *spec.Packet) string {
	if p.Action == spec.ERR {
		return fmt.Sprintf("ERR(%v,id=%d)", spec.ErrCode(p.Info), p.ID)
	}
	return fmt.Sprintf("%v(id=%d)", p.Action, p.ID)
}

func describeErr(err error) string {
	var pe *spec.ProtocolError
	switch {
	case errors.As(err, &pe):
		return "malformed server packet: " + err.Error()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, errClosed):
		return "closed"
	}
	return err.Error()
}

// Summarize counts results by status.
func Summarize(rs []CaseResult) map[Status]int {
	m := map[Status]int{}
	for _, r := range rs {
		m[r.Status]++
	}
	return m
}
