package mutant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/gochatproto/gochat/spec"
)

func one(p *spec.Packet) []*spec.Packet { return []*spec.Packet{p} }

// All is the catalogue of broken servers. Each one violates a few
// requirements in a way a careless implementation might.
var All = []*Mutation{
	{Name: "reply-id-plus-one", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.ID != spec.NullID {
			p.ID = p.ID%spec.MaxID + 1
		}
		return one(p)
	}},
	{Name: "null-id-reply", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.OK || p.Action == spec.ERR {
			p.ID = spec.NullID
		}
		return one(p)
	}},
	{Name: "drop-hooks", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.HOOK {
			return nil
		}
		return one(p)
	}},
	{Name: "drop-reciv", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.RECIV {
			return nil
		}
		return one(p)
	}},
	{Name: "wrong-err-code", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.ERR {
			p.Info = uint8(spec.CodeUndefined)
		}
		return one(p)
	}},
	{Name: "ok-for-err", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.ERR && p.ID != spec.NullID {
			p.Action, p.Info = spec.OK, spec.EmptyInfo
		}
		return one(p)
	}},
	{Name: "corrupt-last-arg", ToClient: func(p *spec.Packet) []*spec.Packet {
		if n := len(p.Args); n > 0 && len(p.Args[n-1]) > 0 && p.Action != spec.HELLO {
			a := p.Args[n-1]
			a[len(a)-1] ^= 0x01
		}
		return one(p)
	}},
	{Name: "corrupt-first-arg", ToClient: func(p *spec.Packet) []*spec.Packet {
		if len(p.Args) > 1 && len(p.Args[0]) > 0 {
			p.Args[0] = append([]byte("x"), p.Args[0]...)
		}
		return one(p)
	}},
	{Name: "hello-info-zero", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.HELLO {
			p.Info = 0
		}
		return one(p)
	}},
	{Name: "swap-verif-challenge", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.VERIF && len(p.Args) == 1 {
			p.Args[0] = []byte("not a ciphertext")
		}
		return one(p)
	}},
	{Name: "answer-keep", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.KEEP {
			return nil, one(spec.NewPacket(spec.OK, p.ID))
		}
		return one(p), nil
	}},
	{Name: "never-close-on-malformed", NoClose: true},
	{Name: "reserved-zero", ClientReserved: new(uint16(0)), Everywhere: true},
	{Name: "keep-alive-upstream", KeepAlive: 50 * time.Millisecond},
	{Name: "drop-reg", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.REG {
			return nil, one(spec.NewPacket(spec.OK, p.ID))
		}
		return one(p), nil
	}},
	// The rest each break one feature that otherwise only the checks made
	// on every packet (reserved-zero) would catch.
	{Name: "stale-motd", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.HELLO && len(p.Args) == 1 {
			p.Args[0] = []byte{}
		}
		return one(p)
	}},
	// Announces every shutdown an hour later than scheduled (a spec-dialect
	// timestamp: 4 bytes, big-endian).
	{Name: "shtdwn-hour-late", ToClient: func(p *spec.Packet) []*spec.Packet {
		if p.Action == spec.SHTDWN && len(p.Args) == 1 && len(p.Args[0]) == 4 {
			binary.BigEndian.PutUint32(p.Args[0], binary.BigEndian.Uint32(p.Args[0])+3600)
		}
		return one(p)
	}},
	{Name: "drop-logout", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.LOGOUT {
			return nil, one(spec.NewPacket(spec.OK, p.ID))
		}
		return one(p), nil
	}},
	{Name: "drop-unsub", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.UNSUB {
			return nil, one(spec.NewPacket(spec.OK, p.ID))
		}
		return one(p), nil
	}},
	{Name: "usrs-drop-last", ToClient: func(p *spec.Packet) []*spec.Packet {
		if n := len(p.Args); p.Action == spec.USRS && n > 0 {
			last := p.Args[n-1]
			if i := bytes.LastIndexByte(last, '\n'); i >= 0 {
				p.Args[n-1] = last[:i]
			}
		}
		return one(p)
	}},
}

// CloseAfterERR closes every connection right after an ERR, as the
// original specification lets a server do: only E-61 keeps a connection
// open after a refused request. A scenario that needs the connection
// afterwards must end as a precondition error, never fail.
var CloseAfterERR = &Mutation{Name: "close-after-err", CloseAfter: func(p *spec.Packet) bool { return p.Action == spec.ERR }}

// Fair is the catalogue of servers that differ from the reference server
// only where the original specification lets them: they must pass the
// default (spec-level) run and may differ only under --strict. A scenario
// that fails against one of them judges a decision as if it were the
// specification, or relies in its setup on a form the specification does
// not require a server to accept.
var Fair = []*Mutation{
	// Refuses DER keys at REG and accepts PEM, like the original
	// implementation: accepting DER is a SHOULD (ENC-3). Other error
	// codes (E-60) are the wrong-err-code mutant, which must pass by
	// default too (TestOtherErrorCodesPassByDefault).
	{Name: "refuse-der", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.REG && len(p.Args) == 2 && len(p.Args[1]) > 0 && p.Args[1][0] == 0x30 {
			e := spec.NewPacket(spec.ERR, p.ID)
			e.Info = uint8(spec.CodeArgs)
			return nil, one(e)
		}
		return one(p), nil
	}},
	// Answers with an ERR reply, and keeps the connection, the requests
	// that only errata make malformed: an argument count outside the
	// schema (E-8), a client-sent server-only or unknown action (E-10,
	// E-7), an Info against E-9. The original asks only for an ERR there
	// (or is silent); it closes for what it names malformed itself.
	{Name: "lenient-headers", Malformed: func(h spec.Header, err error) ([]*spec.Packet, bool) {
		lenient := []error{spec.ErrArgCount, spec.ErrWrongDirection, spec.ErrUnknownAction,
			spec.ErrInfoForbidden, spec.ErrInfoRequired, spec.ErrBadInfo}
		if h.Version != spec.Version || h.ID == spec.NullID ||
			!slices.ContainsFunc(lenient, func(e error) bool { return errors.Is(err, e) }) {
			return nil, false
		}
		e := spec.NewPacket(spec.ERR, h.ID)
		e.Info = uint8(spec.CodeHeader)
		return one(e), true
	}},
	// Refuses every request with CRLF inside an argument, as the original
	// does: keeping such an argument whole is E-5 and E-44.
	{Name: "refuse-crlf-args", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		for _, a := range p.Args {
			if bytes.Contains(a, []byte("\r\n")) {
				e := spec.NewPacket(spec.ERR, p.ID)
				e.Info = uint8(spec.CodeArgs)
				return nil, one(e)
			}
		}
		return one(p), nil
	}},
}
