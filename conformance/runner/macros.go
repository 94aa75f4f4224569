package runner

import (
	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// register runs "REG name key" and expects OK.
func (x *exec) register(a *scenario.Auth) {
	c := x.conn(a.Conn)
	k := x.env.Keys[a.Actor]
	if c == nil || k == nil {
		x.suite("register: actor %s has no connection or key", a.Actor)
		return
	}
	key, err := codec.MarshalPublicKey(x.dialect, &k.PublicKey, "")
	if err != nil {
		x.suite("register: %v", err)
		return
	}
	x.sendPacket(c, spec.NewPacket(spec.REG, x.requestID(c, nil), []byte(x.env.Names[a.Actor]), key), 0)
	x.expectOne(&scenario.Expect{Conn: a.Conn, Action: "OK", Args: []scenario.Matcher{}})
}

// login runs the LOGIN / VERIF handshake and expects OK.
func (x *exec) login(a *scenario.Auth) {
	c := x.conn(a.Conn)
	k := x.env.Keys[a.Actor]
	if c == nil || k == nil {
		x.suite("login: actor %s has no connection or key", a.Actor)
		return
	}
	name := []byte(x.env.Names[a.Actor])
	x.sendPacket(c, spec.NewPacket(spec.LOGIN, x.requestID(c, nil), name), 0)
	const v = "__login_challenge"
	x.expectOne(&scenario.Expect{Conn: a.Conn, Action: "VERIF",
		Args: []scenario.Matcher{{Kind: "any", Capture: v}}})
	if x.stopped {
		return
	}
	pt, err := codec.Decrypt(k, x.env.Vars[v])
	delete(x.env.Vars, v)
	if err != nil {
		x.fail(scenario.Must, "the VERIF challenge does not decrypt with the user's key",
			"RSA-OAEP(SHA-256) ciphertext under the registered key", err.Error())
		return
	}
	x.sendPacket(c, spec.NewPacket(spec.VERIF, x.requestID(c, nil), name, pt), 0)
	x.expectOne(&scenario.Expect{Conn: a.Conn, Action: "OK", Args: []scenario.Matcher{}})
}
