package wire

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// Admin mode (FuzzConfig.Admin): half of the authenticated cases log in as
// an admin account and send ADMIN packets of every operation with mutated
// operations, argument counts and contents. The target has to stay usable
// for the bystander, so every stream passes through sanitize before it is
// written.

// farFuture is where a fuzzed ADMIN_SHTDWN is moved: 2100-01-01, inside
// the spec dialect's 32-bit range and far beyond any server's lifetime.
var farFuture = time.Unix(4102444800, 0)

// shutdownHorizon: a shutdown scheduled closer than this is a real one.
const shutdownHorizon = 10 * 365 * 24 * time.Hour

// adminTranscripts are valid ADMIN sequences for a logged-in admin. The
// victim is an account of the run that ADMIN_DEREG, KICK and CHGPERMS may
// really hit.
func (r roles) adminTranscripts() [][][]byte {
	const ff = spec.EmptyInfo
	victim, self := []byte(r.victim), []byte(r.admin)
	far := r.dialect.AppendTimestamp(nil, farFuture)
	admin := func(op spec.AdminOp, id uint16, args ...[]byte) []byte {
		return r.pkt(spec.ADMIN, uint8(op), id, args...)
	}
	return [][][]byte{
		{admin(spec.AdminShtdwn, 1, far), r.pkt(spec.KEEP, ff, 9), admin(spec.AdminMotd, 2, []byte("fuzzed motd")), r.pkt(spec.REQ, ff, 3, self)},
		{admin(spec.AdminKick, 1, victim), admin(spec.AdminDereg, 2, victim), admin(spec.AdminChgPerms, 3, victim, []byte{1}), admin(spec.AdminChgPerms, 4, victim, []byte{0})},
		{admin(spec.AdminBrdcast, 1, []byte("fuzz broadcast")), admin(spec.AdminKick, 2, []byte("fznobody")), admin(spec.AdminDereg, 3, []byte("fznobody")), r.pkt(spec.USRS, 1, 4)},
		{admin(spec.AdminChgPerms, 1, self, []byte{2}), admin(spec.AdminShtdwn, 2, r.dialect.AppendTimestamp(nil, time.Unix(1, 0))), r.pkt(spec.SUB, 0, 3), admin(spec.AdminMotd, 4, nil)},
	}
}

// mutateAdmin rewrites one ADMIN packet of the transcript with another
// operation (0..7, so also unknown ones), a different argument count, or
// arguments of another kind, and re-encodes it: well-framed packets whose
// meaning is wrong, which the byte-level mutations then damage further.
func (r roles) mutateAdmin(rng *rand.Rand, pkts [][]byte) ([][]byte, string) {
	ps := append([][]byte(nil), pkts...)
	var idx []int
	for i, p := range ps {
		if len(p) >= spec.HeaderSize && spec.ParseHeader(p).Action == spec.ADMIN {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || rng.IntN(4) == 0 {
		return ps, "admin-none"
	}
	i := idx[rng.IntN(len(idx))]
	h := spec.ParseHeader(ps[i])
	op, nargs := h.Info, -1
	switch rng.IntN(3) {
	case 0:
		op = uint8(rng.IntN(8))
	case 1:
		nargs = rng.IntN(4)
	default:
		op, nargs = uint8(rng.IntN(6)), rng.IntN(3)
	}
	if nargs < 0 {
		nargs = max(1, int(h.Args))
	}
	args := make([][]byte, nargs)
	for k := range args {
		args[k] = r.adminArg(rng)
	}
	b, err := spec.MarshalPacket(&spec.Packet{Action: spec.ADMIN, Info: op, ID: h.ID, Args: args}, r.dialect)
	if err != nil {
		return ps, "admin-unencodable"
	}
	ps[i] = b
	return ps, fmt.Sprintf("admin[%d]=op%d/%dargs", i, op, nargs)
}

// adminArg is one argument of a random kind: a name (own, victim, unknown,
// upper case), a timestamp (past, near, far), a level byte, text, or junk.
func (r roles) adminArg(rng *rand.Rand) []byte {
	switch rng.IntN(9) {
	case 0:
		return []byte(r.victim)
	case 1:
		return bytes.ToUpper([]byte(r.victim))
	case 2:
		return []byte(r.admin)
	case 3:
		return []byte("fznobody")
	case 4:
		return r.dialect.AppendTimestamp(nil, time.Unix(int64(rng.Uint32()), 0))
	case 5:
		return r.dialect.AppendTimestamp(nil, time.Now().Add(time.Duration(rng.IntN(120))*time.Second))
	case 6:
		return []byte{byte(rng.IntN(256))}
	case 7:
		return bytes.Repeat([]byte("t"), rng.IntN(500))
	}
	junk := make([]byte, rng.IntN(40))
	for k := range junk {
		junk[k] = byte(rng.IntN(256))
	}
	return junk
}

// sanitize makes a stream safe for a shared target without changing its
// length, so cut points and the oracle's framing stay as generated. Every
// frame that decodes as a well-formed ADMIN packet is checked:
//
//   - ADMIN_SHTDWN with a time within shutdownHorizon gets farFuture when
//     that has the same encoded length, and otherwise becomes
//     ADMIN_BRDCAST (same argument, refused on plain TCP);
//   - ADMIN_DEREG, ADMIN_KICK and ADMIN_CHGPERMS naming a protected
//     account (bystander, probe, fuzz account, admin, in any case) name
//     the victim instead, or "q…q" when the lengths differ.
//
// Malformed frames are left alone: the server closes the connection there.
func (r roles) sanitize(b []byte, now time.Time) []byte {
	out := bytes.Clone(b)
	for _, fr := range frames(out) { // frames share out's memory
		var p spec.Packet
		dec := spec.NewDecoder(bytes.NewReader(fr), spec.ServerBound, r.dialect)
		if dec.ReadPacket(&p) != nil || p.Action != spec.ADMIN {
			continue
		}
		fixed, ok := r.sanitizeAdmin(&p, now)
		if !ok {
			continue
		}
		// Same argument lengths, so only Info and the payload change; the
		// header's other fields (ID, Reserved, ...) stay as generated.
		enc, err := spec.MarshalPacket(fixed, r.dialect)
		if err != nil || len(enc) != len(fr) {
			continue
		}
		setField(fr, "info", int(fixed.Info))
		copy(fr[spec.HeaderSize+2:], enc[spec.HeaderSize+2:])
	}
	return out
}

// sanitizeAdmin returns the safe version of an ADMIN packet, if it needs one.
func (r roles) sanitizeAdmin(p *spec.Packet, now time.Time) (*spec.Packet, bool) {
	q := p.Clone()
	switch spec.AdminOp(p.Info) {
	case spec.AdminShtdwn:
		at, err := r.dialect.ParseTimestamp(p.Args[0])
		if err != nil || !at.After(now.Add(-time.Minute)) || at.After(now.Add(shutdownHorizon)) {
			return nil, false
		}
		if far := r.dialect.AppendTimestamp(nil, farFuture); len(far) == len(p.Args[0]) {
			q.Args[0] = far
		} else {
			q.Info = uint8(spec.AdminBrdcast)
		}
		return q, true
	case spec.AdminDereg, spec.AdminKick, spec.AdminChgPerms:
		name, err := spec.NormalizeUsername(p.Args[0])
		if err != nil || !r.protected(name) {
			return nil, false
		}
		if len(r.victim) == len(name) {
			q.Args[0] = []byte(r.victim)
		} else {
			q.Args[0] = bytes.Repeat([]byte("q"), len(name))
		}
		return q, true
	}
	return nil, false
}

func (r roles) protected(name string) bool {
	for _, n := range r.keep {
		if n != "" && n == name {
			return true
		}
	}
	return false
}
