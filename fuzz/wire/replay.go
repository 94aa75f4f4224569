package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/conformance/registry"
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
	// Crash: after the case a new connection got no HELLO (the liveness
	// probe of issue #18); the top severity.
	Crash Status = "CRASH"
	// Note: the server differs from a decision of this project (errata),
	// not from the original specification; recorded, never a failure
	// (Fail or Warn under ReplayConfig.Strict).
	Note Status = "note"
	// Error: a precondition failed (the connection or the login before
	// the case's writes), so the case asked the server nothing.
	Error Status = "ERROR"
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
	// Keys is where the key of a registered account comes from
	// (accounts.go); the zero value uses the fixture keys.
	Keys Keys
	// Strict judges decisions (errata) like the specification: a case
	// whose input is malformed or acceptable only by a decision fails,
	// and an ERR code other than E-7's is a warning, instead of notes.
	Strict bool
	// Restart, when set, starts the server again after a case crashed it
	// and returns its new address (corpus --server-cmd); without it the
	// cases after a crash are skipped ("server down").
	Restart func(ctx context.Context) (string, error)
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
	reg, err := registry.Embedded()
	if err != nil {
		return nil, err
	}
	lv := levels{reg: reg, strict: cfg.Strict}
	if cfg.Account == nil {
		src, err := newKeySource(cfg.Keys, 0)
		if err != nil {
			return nil, err
		}
		accts, err := provision(ctx, cfg.Addr, cfg.Dialect, 1, "corpus", src, max(cfg.Timeout, 10*time.Second))
		if err != nil {
			return nil, err
		}
		cfg.Account = &accts[0]
	}
	var out []CaseResult
	down := ""
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := CaseResult{Case: c}
		switch {
		case !c.AppliesTo(cfg.Dialect):
			r.Status, r.Detail = Skip, "not for dialect "+cfg.Dialect.String()
		case down != "":
			r.Status, r.Detail = Skip, "server down since "+down
		default:
			st, detail := replayOne(ctx, cfg, c)
			r.Status, r.Detail = lv.judge(c, st, detail)
			if err := alive(ctx, cfg.Addr, cfg.Dialect, cfg.Timeout); err != nil {
				r.Status, r.Detail = Crash, fmt.Sprintf("%s; afterwards a new client gets no HELLO (%v); the case sent %s", r.Detail, err, sent(c))
				if down = c.Name; cfg.Restart != nil {
					down = restartReplay(ctx, &cfg)
				}
			}
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "%-5s %-32s %s\n", r.Status, c.Name, r.Detail)
		}
		out = append(out, r)
	}
	return out, nil
}

// restartReplay starts the server again after a crash; a server with an
// empty database gets the account (provisioned or --user) registered
// again, with its key, which that database has never seen. It returns ""
// or why the server is still down.
func restartReplay(ctx context.Context, cfg *ReplayConfig) string {
	addr, err := cfg.Restart(ctx)
	if err != nil {
		return "a failed restart: " + err.Error()
	}
	cfg.Addr = addr
	c, err := dial(ctx, addr, cfg.Dialect, cfg.Timeout)
	if err != nil {
		return "the restart: " + err.Error()
	}
	defer c.close()
	slow := max(cfg.Timeout, 10*time.Second) // RSA work, not the server's speed
	err = c.login(ctx, *cfg.Account, slow)
	if protoclient.IsCode(err, spec.CodeNotFound) {
		err = c.register(*cfg.Account, slow)
	}
	if err != nil {
		return "the restart (account " + cfg.Account.Name + "): " + err.Error()
	}
	return ""
}

// sent describes the bytes a case wrote, shortened for a report line.
func sent(c *corpus.Case) string {
	var b []byte
	for _, w := range c.Writes {
		b = append(b, w...)
	}
	const limit = 64
	if len(b) > limit {
		return fmt.Sprintf("%d bytes, starting %x", len(b), b[:limit])
	}
	return fmt.Sprintf("%x", b)
}

func replayOne(ctx context.Context, cfg ReplayConfig, c *corpus.Case) (Status, string) {
	cn, err := dial(ctx, cfg.Addr, cfg.Dialect, cfg.Timeout)
	if err != nil {
		return Error, "precondition connect: " + err.Error()
	}
	defer cn.close()
	if c.Before == corpus.BeforeLogin {
		if err := cn.login(ctx, *cfg.Account, cfg.Timeout); err != nil {
			return Error, "precondition login: " + err.Error()
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
		return codeWarn, fmt.Sprintf("closed after ERR %v, E-7 recommends %v", spec.ErrCode(last.Info), c.Code)
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
