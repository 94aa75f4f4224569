package mutant

import (
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
	{Name: "reserved-zero", ClientReserved: new(uint16(0))},
	{Name: "keep-alive-upstream", KeepAlive: 50 * time.Millisecond},
	{Name: "drop-reg", ToServer: func(p *spec.Packet) (up, back []*spec.Packet) {
		if p.Action == spec.REG {
			return nil, one(spec.NewPacket(spec.OK, p.ID))
		}
		return one(p), nil
	}},
}

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
}
