package wire

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// FindingScenario renders a finding as a server scenario in the runner's
// YAML format (docs/scenarios.md): the bystander logs in (setup: a failure
// there is a precondition error, not the finding), the minimised bytes are
// sent raw, the oracle's expectation is asserted, and then a new
// client must get HELLO and the bystander must still answer (CONN-12).
func FindingScenario(fd *Finding, d spec.Dialect) []byte {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Found by the gochat wire fuzzer (gochat-conformance fuzz --seed %d --dialect %s): case %d.", fd.Seed, d, fd.Case)
	w("# Failure (%s): %s", fd.Kind, oneLine(fd.Detail))
	w("# Mutation %s, delivery %s, authenticated %v; minimised from %d to %d bytes in %d runs.",
		fd.Mutation, fd.Delivery, fd.Auth, fd.Original, len(fd.Stream), fd.Runs)
	if fd.Signature != "" {
		w("# Signature: %s", fd.Signature)
	}
	if !fd.Confirmed {
		w("# Unconfirmed: the case and the two before it passed on a fresh server, so the failure")
		w("# may depend on earlier cases, on timing, or on something outside the fuzzer.")
	}
	w("# The bytes may name accounts of the fuzz run (fz...): on a conforming server that only")
	w("# changes which ERR codes come back, not whether the connection survives.")
	w("id: FUZZ-%d-%d", fd.Seed, fd.Case)
	w("title: %q", fmt.Sprintf("Fuzz finding (%s): the server stays correct and alive after this input", fd.Kind))
	w("requirements: [CONN-6, CONN-12, FRAME-22]")
	w("level: must")
	w("tags: [fuzz, robustness]")
	if d == spec.DialectGochat1 {
		w("# Dialect: gochat1 (run the suite with --dialect gochat1).")
	}
	admin := fd.Auth && fd.Admin
	if admin {
		w("# Sent as the fuzzer's admin account; if that was the owner, use role: owner and needs: [owner].")
		w("needs: [admin]")
	}
	w("actors:")
	w("  bob: {}")
	conn := "fz"
	switch {
	case admin:
		w("  root: {role: admin}")
		conn = "root"
	case fd.Auth:
		w("  alice: {}")
		conn = "alice"
	}
	w("setup:")
	w("  - connect: bob")
	w("  - register: bob")
	w("  - login: bob")
	switch {
	case admin:
		w("  - connect: root")
		w("  - login: root")
	case fd.Auth:
		w("  - connect: alice")
		w("  - register: alice")
		w("  - login: alice")
	default:
		w("  - connect: {conn: fz}")
	}
	w("steps:")
	chunk := ""
	if fd.Delivery == string(byteWise) {
		chunk = ", chunked: 1"
	}
	w("  - send_raw: {conn: %s, hex: %q%s}", conn, hex.EncodeToString(fd.Stream), chunk)
	v := fd.verdict
	switch {
	case v.malformed && v.waitSep:
		w("  # The last header's separator never arrives: the server may still wait for it, so no close is due.")
	case v.malformed:
		w("  - expect_close: {conn: %s, err: %s}", conn, v.code)
	default:
		for _, h := range fd.replies {
			w("  - expect: {conn: %s, action: %s, id: %d}", conn, h.Action, h.ID)
		}
		if missing := v.replies - len(fd.replies); missing > 0 {
			w("  # %d more repl(ies) are due here (one per request, FRAME-22); the server sent none.", missing)
		}
	}
	w("  - connect: {conn: newcomer}")
	w("  - send: {conn: bob, action: REQ, args: [\"${bob.name}\"]}")
	w("  - expect: {conn: bob, action: REQ}")
	return []byte(b.String())
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// writeFinding writes the scenario to dir/fuzz-SEED-CASE.yaml.
func writeFinding(dir string, cfg *FuzzConfig, fd *Finding) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fd.File = filepath.Join(dir, fmt.Sprintf("fuzz-%d-%d.yaml", fd.Seed, fd.Case))
	return os.WriteFile(fd.File, FindingScenario(fd, cfg.Dialect), 0o644)
}
