package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// FuzzConfig bounds and aims a fuzz run.
type FuzzConfig struct {
	Addr     string
	Dialect  spec.Dialect
	Seed     uint64
	Cases    int           // stop after this many cases (0: no limit)
	Duration time.Duration // stop after this long (0: no limit)
	// Timeout bounds each wait for a reply or a close (default 2s).
	Timeout time.Duration
	// SlowRead is how long the slow-reader delivery lets replies pile up
	// before it reads them (default 100ms).
	SlowRead time.Duration
	// FullCheckEvery runs the login + MSG round trip every N cases
	// (default 25); HELLO and the bystander ping run after every case.
	FullCheckEvery int
	// User is a registered account to fuzz as in authenticated cases; nil
	// registers one with a free fixture key.
	User *Account
	// Keys is where the keys of the accounts the run registers come from
	// (accounts.go); the zero value uses the fixture keys.
	Keys Keys
	// Admin, when set, is an account of level 1 or 2 on the target: half
	// of the authenticated cases then log in as it and send mutated ADMIN
	// packets (admin.go). Shutdowns are moved far into the future and
	// DEREG/KICK/CHGPERMS never reach the fuzzer's own accounts.
	Admin *Account
	// Findings is the directory minimised findings are written to ("" =
	// do not write).
	Findings string
	// Reset, when set, gives a fresh target address; minimisation then
	// runs every attempt on its own server. Without it attempts reuse Addr
	// as long as the server answers.
	Reset func(ctx context.Context) (string, error)
	// Restart, when set, stops the server under test and starts it again
	// (gochat-conformance fuzz --server-cmd) and returns its new address.
	// It is called when the server no longer greets clients: after a
	// crash the run goes on, and minimisation and confirmation reruns get
	// a server that has seen nothing of the failure.
	Restart func(ctx context.Context) (string, error)
	// MaxMinimizeRuns bounds the delta debugging (default 200 attempts).
	MaxMinimizeRuns int
	// Strict judges the project's decisions like the specification: no
	// close on input that only a decision (errata) calls malformed is a
	// no-close finding too. By default it is counted in FuzzReport.Notes.
	Strict bool
	// KeepGoing continues after a finding (on a restarted server if it
	// died and Restart is set) until Cases or Duration; each distinct
	// finding (kind and minimised packet shape) is reported once.
	KeepGoing bool
	Log       io.Writer // progress and findings; may be nil
}

// FuzzReport summarises a run.
type FuzzReport struct {
	Cases      int
	Elapsed    time.Duration
	Malformed  int // cases whose input the oracle calls malformed
	Admin      int // cases sent as FuzzConfig.Admin
	AdminOK    int // OK replies in those cases (ADMIN requests the server carried out, mostly)
	Deliveries map[string]int
	Findings   []*Finding // distinct findings, each once
	Failures   int        // failing cases, duplicates included
	Duplicates int        // failing cases that repeated a known finding
	Crashes    int        // failing cases after which the server was down
	Restarts   int        // servers started by Restart
	// Notes counts cases whose input only a decision calls malformed and
	// that the server did not close (findings under Strict).
	Notes int
	// Stopped says why the run ended before its bounds ("" if it did not).
	Stopped string
}

// Finding is a minimised failure.
type Finding struct {
	Seed     uint64
	Case     int
	Kind     string // failure class, e.g. "no-close", "crash"
	Detail   string
	Mutation string
	Auth     bool
	Admin    bool // sent as FuzzConfig.Admin
	Delivery string
	Stream   []byte // minimised bytes
	Original int    // length before minimisation
	Runs     int    // minimisation attempts
	File     string // the scenario written, if any
	// Confirmed: the case failed again on a fresh target (needs Reset
	// or Restart).
	Confirmed bool
	// Signature identifies the finding: its kind and the minimised
	// stream's packet shape (signature.go).
	Signature string
	Seen      int // failing cases with this signature

	verdict verdict       // the oracle on Stream
	replies []spec.Header // replies seen in the last reproducing run
}

// failure is a broken invariant.
type failure struct{ kind, detail string }

func (f *failure) Error() string { return f.kind + ": " + f.detail }

// fcase is one generated case: everything needed to rerun it.
type fcase struct {
	idx      int
	auth     bool
	admin    bool // auth as FuzzConfig.Admin, ADMIN transcripts
	stream   []byte
	second   []byte // interleave only
	delivery delivery
	mutation string
	splits   [][]byte
}

func (cfg *FuzzConfig) defaults() {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.SlowRead <= 0 {
		cfg.SlowRead = 100 * time.Millisecond
	}
	if cfg.FullCheckEvery <= 0 {
		cfg.FullCheckEvery = 25
	}
	if cfg.MaxMinimizeRuns <= 0 {
		cfg.MaxMinimizeRuns = 200
	}
}

// slow bounds steps that do RSA work (login, provisioning): they must not
// be mistaken for a hang when the case timeout is short.
func (cfg *FuzzConfig) slow() time.Duration { return max(cfg.Timeout, 10*time.Second) }

func (cfg *FuzzConfig) logf(format string, a ...any) {
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, format+"\n", a...)
	}
}

// Fuzz runs cases until a bound is reached or (without KeepGoing) the
// first finding.
func Fuzz(ctx context.Context, cfg FuzzConfig) (*FuzzReport, error) {
	cfg.defaults()
	if cfg.Cases <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("fuzz: set a case count or a duration")
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	rep := &FuzzReport{Deliveries: map[string]int{}}
	start := time.Now()
	defer func() { rep.Elapsed = time.Since(start) }()
	ra, err := provisionRun(ctx, &cfg, cfg.Addr)
	if err != nil {
		return rep, fmt.Errorf("fuzz setup: %w", err)
	}
	e, err := newEnv(ctx, &cfg, cfg.Addr, ra)
	if err != nil {
		return rep, fmt.Errorf("fuzz setup: %w", err)
	}
	defer func() { e.close(); rep.Restarts, rep.Notes = ra.restarts, ra.notes }()
	var recent []*fcase // this case and the two before it, newest first
	for i := 0; cfg.Cases <= 0 || i < cfg.Cases; i++ {
		if ctx.Err() != nil {
			break
		}
		fc := e.generate(cfg.Seed, i)
		recent = append([]*fcase{fc}, recent[:min(len(recent), 2)]...)
		rep.count(fc, cfg.Dialect)
		f := e.run(ctx, fc, i%cfg.FullCheckEvery == cfg.FullCheckEvery-1)
		if ctx.Err() != nil {
			break // the run's deadline cut the case short: not a finding
		}
		rep.countAdminOK(fc, e.replies)
		if f == nil {
			continue
		}
		cfg.logf("case %d (seed %d): %s [%s, %s, auth=%v, %d bytes]", i, cfg.Seed, f, fc.mutation, fc.delivery, fc.auth, len(fc.stream))
		if err := rep.record(context.WithoutCancel(ctx), &cfg, e, recent, f); err != nil {
			return rep, err
		}
		if !cfg.KeepGoing {
			break
		}
		if err := e.recover(context.WithoutCancel(ctx)); err != nil {
			rep.Stopped = fmt.Sprintf("after case %d: %v", i, err)
			cfg.logf("stopped %s", rep.Stopped)
			break
		}
	}
	return rep, nil
}

func (rep *FuzzReport) count(fc *fcase, d spec.Dialect) {
	rep.Cases++
	rep.Deliveries[string(fc.delivery)]++
	if fc.admin {
		rep.Admin++
	}
	if analyze(fc.stream, d).malformed {
		rep.Malformed++
	}
}

func (rep *FuzzReport) countAdminOK(fc *fcase, replies []spec.Header) {
	if !fc.admin {
		return
	}
	for _, h := range replies {
		if h.Action == spec.OK {
			rep.AdminOK++
		}
	}
}

// record files a failure: a repeat of a known finding is only counted, a
// new one is minimised and, unless its signature is known after all,
// written once.
func (rep *FuzzReport) record(ctx context.Context, cfg *FuzzConfig, e *env, recent []*fcase, f *failure) error {
	rep.Failures++
	if f.kind == kindCrash {
		rep.Crashes++
	}
	if known := knownStream(rep.Findings, f.kind, recent[0].stream); known != nil {
		known.Seen++
		rep.Duplicates++
		cfg.logf("case %d repeats finding %s (%s); not minimised again", recent[0].idx, known.Signature, known.File)
		return nil
	}
	fd := minimize(ctx, cfg, e, recent, f)
	fd.Signature, fd.Seen = signature(fd.Kind, fd.Stream), 1
	for _, known := range rep.Findings {
		if known.Signature == fd.Signature {
			known.Seen++
			rep.Duplicates++
			cfg.logf("case %d minimises to known finding %s (%s)", fd.Case, known.Signature, known.File)
			return nil
		}
	}
	rep.Findings = append(rep.Findings, fd)
	if cfg.Findings == "" {
		return nil
	}
	if err := writeFinding(cfg.Findings, cfg, fd); err != nil {
		return err
	}
	cfg.logf("finding %s written to %s", fd.Signature, fd.File)
	return nil
}

// generate derives case i from the seed alone, so "--seed S" reruns it.
func (e *env) generate(seed uint64, i int) *fcase {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	fc := &fcase{idx: i, auth: rng.IntN(2) == 0}
	ts := e.roles.transcripts(fc.auth)
	pre := ""
	// Only admin runs draw here, so other runs keep their cases per seed.
	if fc.auth && e.cfg != nil && e.cfg.Admin != nil && rng.IntN(2) == 0 {
		fc.admin, ts = true, e.roles.adminTranscripts()
		t := ts[rng.IntN(len(ts))]
		t, pre = e.roles.mutateAdmin(rng, t)
		ts = [][][]byte{t}
		pre += " "
	}
	fc.stream, fc.mutation = mutate(rng, ts[rng.IntN(len(ts))])
	fc.mutation = pre + fc.mutation
	fc.delivery = deliveries[rng.IntN(len(deliveries))]
	if fc.delivery == interleave {
		fc.second, _ = mutate(rng, ts[rng.IntN(len(ts))])
	}
	if e.roles.admin != "" {
		now := time.Now()
		fc.stream, fc.second = e.roles.sanitize(fc.stream, now), e.roles.sanitize(fc.second, now)
	}
	fc.splits = chunks(rng, fc.delivery, fc.stream)
	return fc
}

// run executes a case and then checks the invariants.
// A server that no longer greets clients after a failure crashed: that
// is the finding, whatever the connection saw.
func (e *env) run(ctx context.Context, fc *fcase, full bool) *failure {
	if f := e.exec(ctx, fc); f != nil {
		if f.kind != kindCrash && ctx.Err() == nil {
			if err := alive(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout); err != nil {
				return &failure{kindCrash, fmt.Sprintf("%s; then a new client gets no HELLO: %v", f, err)}
			}
		}
		return f
	}
	return e.invariants(ctx, full)
}

// kindCrash is the failure of a server that no longer greets new clients
// (the liveness probe of issue #18): the top severity.
const kindCrash = "crash"

func (e *env) exec(ctx context.Context, fc *fcase) *failure {
	if fc.delivery != interleave {
		return e.execOne(ctx, fc, fc.stream, fc.splits, fc.auth, true)
	}
	var wg sync.WaitGroup
	var f1, f2 *failure
	wg.Add(2)
	go func() { defer wg.Done(); f1 = e.execOne(ctx, fc, fc.stream, [][]byte{fc.stream}, fc.auth, true) }()
	go func() { defer wg.Done(); f2 = e.execOne(ctx, fc, fc.second, [][]byte{fc.second}, false, false) }()
	wg.Wait()
	if f1 != nil {
		return f1
	}
	return f2
}

func (e *env) execOne(ctx context.Context, fc *fcase, stream []byte, splits [][]byte, auth, record bool) *failure {
	c, err := dial(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout)
	if err != nil {
		return &failure{kindCrash, "a client gets no HELLO: " + err.Error()}
	}
	defer c.close()
	switch {
	case auth && fc.admin:
		if err := c.login(ctx, *e.cfg.Admin, e.cfg.slow()); err != nil {
			return &failure{"login", "admin login: " + err.Error()}
		}
	case auth:
		if err := e.loginFuzz(ctx, c); err != nil {
			return &failure{"login", "fuzz account login: " + err.Error()}
		}
	}
	if e.roles.admin != "" { // again: minimisation and fresh targets bring other bytes and names
		stream = e.roles.sanitize(stream, time.Now())
		splits = resplit(stream, splits)
	}
	want := analyze(stream, e.cfg.Dialect)
	for _, w := range splits {
		if err := c.write(w, e.cfg.Timeout); err != nil {
			if want.malformed && errors.Is(err, errClosed) {
				return nil // closed while we were still writing: fine
			}
			return &failure{"write", err.Error()}
		}
		if fc.delivery == slowWrite {
			time.Sleep(2 * time.Millisecond)
		}
	}
	switch fc.delivery {
	case abrupt:
		time.Sleep(5 * time.Millisecond) // let the server see the bytes before the invariants run
		return nil
	case slowReader:
		time.Sleep(e.cfg.SlowRead)
	}
	var rec *[]spec.Header
	if record {
		e.replies = e.replies[:0]
		rec = &e.replies
	}
	return e.check(c, want, rec)
}

// resplit cuts b where splits were cut (b is as long as their sum).
func resplit(b []byte, splits [][]byte) [][]byte {
	out := make([][]byte, 0, len(splits))
	for _, s := range splits {
		n := min(len(s), len(b))
		out, b = append(out, b[:n]), b[n:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// check compares what the server does with what the oracle expects.
func (e *env) check(c *conn, want verdict, rec *[]spec.Header) *failure {
	got := 0
	deadline := time.Now().Add(e.cfg.Timeout)
	// A stream cut inside its malformed packet's first 10 bytes may leave
	// the server waiting for the separator (waitSep): then only the replies
	// to the requests before it are due, and a close is optional.
	for (want.malformed && !want.waitSep) || got < want.replies {
		p, err := c.read(time.Until(deadline))
		var pe *spec.ProtocolError
		switch {
		case err == nil:
		case errors.As(err, &pe):
			return &failure{"malformed-reply", err.Error()}
		case errors.Is(err, errClosed) && want.malformed:
			return nil
		case errors.Is(err, errClosed):
			return &failure{"closed", fmt.Sprintf("connection closed on well-formed input after %d of %d replies", got, want.replies)}
		case errors.Is(err, os.ErrDeadlineExceeded) && want.waitSep:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded) && want.malformed && e.decisionOnly(want):
			e.ra.notes++ // only a decision of this project makes the input malformed
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded) && want.malformed:
			return &failure{"no-close", fmt.Sprintf("malformed input (%v) but no close within %v", want.code, e.cfg.Timeout)}
		case errors.Is(err, os.ErrDeadlineExceeded):
			return &failure{"no-reply", fmt.Sprintf("%d of %d replies within %v", got, want.replies, e.cfg.Timeout)}
		default:
			return &failure{"read", err.Error()}
		}
		if p.ID == 0 && !legalPush[p.Action] {
			return &failure{"unexpected-push", fmt.Sprintf("%v with ID 0 is not a push", p)}
		}
		if p.ID != 0 {
			got++
			if rec != nil {
				*rec = append(*rec, spec.Header{Action: p.Action, ID: p.ID, Info: p.Info})
			}
		} else if p.Action == spec.ERR && !want.malformed {
			return &failure{"unsolicited-err", fmt.Sprintf("%v on well-formed input", p)}
		}
	}
	return nil
}

// legalPush are the actions a server may send with ID 0 at any time after
// HELLO: live messages and broadcasts, hooks, shutdown notices (admin mode
// schedules far-future shutdowns, and every login then gets the notice),
// and ERR notices, which check judges separately.
var legalPush = map[spec.Action]bool{spec.RECIV: true, spec.HOOK: true, spec.SHTDWN: true, spec.ERR: true}

// verdict is the oracle's reading of a stream: the spec package's checking
// decoder, the same rules errata E-1..E-11 state.
type verdict struct {
	replies   int // requests before the end or the first malformed packet, KEEP excluded
	malformed bool
	code      spec.ErrCode
	// req is the requirement the malformed packet violates (levels.go).
	req string
	// waitSep: the stream ends before the malformed packet's header and
	// its two-byte separator are complete. A server may read header and
	// separator as one 10-byte unit and judge the header only then, so it
	// may still be waiting: no close is then legitimate, not a finding.
	waitSep bool
}

// unitSize is the header with its CRLF separator, which a server may read
// as one unit before it looks at the header.
const unitSize = spec.HeaderSize + 2

func analyze(b []byte, d spec.Dialect) verdict {
	var v verdict
	dec := spec.NewDecoder(bytes.NewReader(b), spec.ServerBound, d)
	var p spec.Packet
	off := 0 // where the packet being read starts in b
	for {
		err := dec.ReadPacket(&p)
		if err == nil {
			if p.Action != spec.KEEP {
				v.replies++
			}
			off += unitSize + int(dec.LastHeader().Len)
			continue
		}
		if code, ok := spec.CodeOf(err); ok {
			v.malformed, v.code = true, code
			v.waitSep = len(b)-off < unitSize
			v.req = malformedReq(err, dec.LastPayload())
		}
		return v
	}
}

// invariants: a new client is greeted, the bystander answers, and every
// FullCheckEvery cases a login + MSG round trip reaches the bystander.
func (e *env) invariants(ctx context.Context, full bool) *failure {
	c, err := dial(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout)
	if err != nil {
		return &failure{kindCrash, "a new client gets no HELLO: " + err.Error()}
	}
	defer c.close()
	if full {
		if f := e.roundTrip(ctx, c); f != nil {
			return f
		}
	}
	r, err := e.bystander.request(spec.NewPacket(spec.REQ, 0, []byte(e.by.Name)), e.cfg.Timeout)
	if err != nil || r.Action != spec.REQ {
		return &failure{"bystander", fmt.Sprintf("the logged-in bystander's REQ got %v, %v", r, err)}
	}
	return nil
}

func (e *env) roundTrip(ctx context.Context, c *conn) *failure {
	if err := c.login(ctx, e.probe, e.cfg.slow()); err != nil {
		return &failure{"round-trip", "probe login: " + err.Error()}
	}
	ct, err := spec.Encrypt(&e.by.Key.PublicKey, []byte("ping"))
	if err != nil {
		return &failure{"round-trip", err.Error()}
	}
	stamp := e.cfg.Dialect.AppendTimestamp(nil, time.Now())
	c.SetTimeout(e.cfg.Timeout)
	if err := c.Do(spec.NewPacket(spec.MSG, 0, []byte(e.by.Name), stamp, ct)); err != nil {
		return &failure{"round-trip", "MSG to the bystander: " + err.Error()}
	}
	deadline := time.Now().Add(e.cfg.Timeout)
	for {
		p, err := e.bystander.read(time.Until(deadline))
		if err != nil {
			return &failure{"round-trip", "the bystander got no RECIV: " + describeErr(err)}
		}
		if p.Action == spec.RECIV && len(p.Args) == 3 && string(p.Args[0]) == e.probe.Name {
			return nil
		}
	}
}
