package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/spec"
)

// cleanup deregisters every account the scenario may have created on the
// shared server, so that its keys can be leased again. It reports whether
// every leased key is known to be free.
func (x *exec) cleanup() bool {
	ok := true
	privileged := map[string]bool{}
	if x.ep.Admin != nil {
		privileged[x.ep.Admin.Name] = true
	}
	if x.ep.Owner != nil {
		privileged[x.ep.Owner.Name] = true
	}
	names := map[string]bool{}
	for actor, name := range x.env.Names {
		if x.sc.Actors[actor].Role == "" {
			names[strings.ToLower(name)] = true
		}
	}
	for name := range x.regNames {
		names[name] = true
	}
	for name := range names {
		if privileged[name] {
			continue
		}
		if err := x.deregister(name); err != nil {
			x.note("cleanup", fmt.Sprintf("could not deregister %s: %v", name, err))
			ok = false
		}
	}
	return ok
}

// deregister logs name in on a new connection and sends DEREG. An
// unknown or already deregistered name is fine.
func (x *exec) deregister(name string) error {
	var err error
	for range 20 {
		var retry bool
		retry, err = x.tryDeregister(name)
		if !retry {
			return err
		}
		// The server may not have processed the scenario's closes yet.
		time.Sleep(25 * time.Millisecond)
	}
	return err
}

func (x *exec) tryDeregister(name string) (retry bool, err error) {
	addr := x.ep.Addr
	if x.ep.Direct != "" {
		addr = x.ep.Direct
	}
	nc, err := dial(x.ctx, addr, nil, x.within(5*time.Second))
	if err != nil {
		return false, err
	}
	c := newConn("cleanup", "", nc, x.dialect, x.start, true)
	defer c.close()
	wait := x.within(DefaultWithin)
	if f, _ := c.next(x.ctx, wait); f == nil || f.hdr.Action != spec.HELLO {
		return false, fmt.Errorf("no HELLO")
	}
	send := func(p *spec.Packet) *frame {
		b, err := spec.AppendPacket(nil, p, x.dialect)
		if err != nil || c.write(b, 0, x.within(writeTimeout)) != nil {
			return nil
		}
		f, _ := c.next(x.ctx, wait)
		return f
	}
	f := send(spec.NewPacket(spec.LOGIN, 1, []byte(name)))
	switch {
	case f == nil || f.err != nil:
		return false, fmt.Errorf("no reply to LOGIN")
	case f.hdr.Action == spec.ERR && (f.hdr.Info == uint8(spec.CodeNotFound) || f.hdr.Info == uint8(spec.CodeDereg) || f.hdr.Info == uint8(spec.CodeArgs)):
		return false, nil
	case f.hdr.Action == spec.ERR && f.hdr.Info == uint8(spec.CodeDupSess):
		return true, fmt.Errorf("still logged in elsewhere")
	case f.hdr.Action != spec.VERIF || len(f.args) != 1:
		return false, fmt.Errorf("LOGIN answered with %s", f)
	}
	pt := x.decryptAny(f.args[0])
	if pt == nil {
		return false, fmt.Errorf("challenge does not decrypt with any key of the scenario")
	}
	if f = send(spec.NewPacket(spec.VERIF, 2, []byte(name), pt)); f == nil || f.hdr.Action != spec.OK {
		return f != nil && f.hdr.Action == spec.ERR && f.hdr.Info == uint8(spec.CodeDupSess), fmt.Errorf("VERIF failed")
	}
	if f = send(spec.NewPacket(spec.DEREG, 3)); f == nil || f.hdr.Action != spec.OK {
		return false, fmt.Errorf("DEREG failed")
	}
	return false, nil
}

func (x *exec) decryptAny(c []byte) []byte {
	for _, k := range x.env.Keys {
		if k == nil {
			continue
		}
		if pt, err := codec.Decrypt(k, c); err == nil {
			return pt
		}
	}
	return nil
}
