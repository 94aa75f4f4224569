package wire

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/spec"
)

// unitProxy is a test double of a server that reads a packet's header and
// its two-byte separator as one 10-byte unit: it forwards a client's bytes
// to the reference server only once a whole unit (then the payload the
// header announces) has arrived, so a bare 8-byte header is never seen.
// With hold set it forwards no client bytes at all (a server that wedges).
type unitProxy struct {
	hold bool
}

func newUnitProxy(t testing.TB, target string, hold bool) string {
	p := &unitProxy{hold: hold}
	return newRelay(t, target, p.units, copyAll).addr()
}

// units forwards src to dst in whole header units and payloads.
func (p *unitProxy) units(dst, src net.Conn) {
	var pending []byte // bytes of the unit being collected
	payload := 0       // payload bytes still to pass through
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		in := buf[:n]
		for len(in) > 0 && !p.hold {
			if payload > 0 {
				k := min(payload, len(in))
				if _, werr := dst.Write(in[:k]); werr != nil {
					return
				}
				payload, in = payload-k, in[k:]
				continue
			}
			k := min(unitSize-len(pending), len(in))
			pending, in = append(pending, in[:k]...), in[k:]
			if len(pending) == unitSize {
				if _, werr := dst.Write(pending); werr != nil {
					return
				}
				payload, pending = int(spec.ParseHeader(pending).Len), pending[:0]
			}
		}
		if err != nil {
			return
		}
	}
}

// TestCloseOracleHeaderUnit: a server that waits for the separator after a
// bare malformed header is not a "no-close" finding; once the separator
// was sent, a server that still does not close is.
func TestCloseOracleHeaderUnit(t *testing.T) {
	ref := startRef(t, spec.DialectSpec)
	units, wedged := newUnitProxy(t, ref, false), newUnitProxy(t, ref, true)
	r := roles{self: "nobody", bystander: "nobody", dialect: spec.DialectSpec}
	keep13 := spec.AppendHeader(nil, spec.Header{Version: 1, Action: spec.KEEP, Info: spec.EmptyInfo, Args: 13, ID: 9, Reserved: 0xffff})
	req := r.pkt(spec.REQ, spec.EmptyInfo, 3, []byte("nobody"))
	cases := []struct {
		name   string
		addr   string
		stream []byte
		kind   string // "" = no finding
	}{
		{"bare header, server waits for the unit", units, keep13, ""},
		{"request then bare header", units, append(append([]byte{}, req...), keep13...), ""},
		{"header and separator, server closes", units, append(append([]byte{}, keep13...), '\r', '\n'), ""},
		{"bare header, wedged server", wedged, keep13, ""},
		{"header and separator, wedged server", wedged, append(append([]byte{}, keep13...), '\r', '\n'), "no-close"},
		{"request, wedged server", wedged, req, "no-reply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{cfg: &FuzzConfig{Dialect: spec.DialectSpec, Timeout: 300 * time.Millisecond}, addr: tc.addr}
			fc := &fcase{stream: tc.stream, delivery: oneWrite, splits: [][]byte{tc.stream}}
			f := e.exec(context.Background(), fc)
			if tc.kind == "" {
				assert.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, tc.kind, f.kind, f.detail)
		})
	}
	// KEEP with 13 arguments is malformed by ARG-7, a decision: by default
	// a server that keeps the connection open is a note, not a finding.
	reg, err := registry.Embedded()
	require.NoError(t, err)
	framed := append(append([]byte{}, keep13...), '\r', '\n')
	for _, strict := range []bool{false, true} {
		ra := &runAccounts{reg: reg}
		e := &env{cfg: &FuzzConfig{Dialect: spec.DialectSpec, Timeout: 300 * time.Millisecond, Strict: strict}, addr: wedged, ra: ra}
		f := e.exec(context.Background(), &fcase{stream: framed, delivery: oneWrite, splits: [][]byte{framed}})
		if strict {
			require.NotNil(t, f)
			assert.Equal(t, "no-close", f.kind)
		} else {
			assert.Nil(t, f)
			assert.Equal(t, 1, ra.notes)
		}
	}
	version0 := append(spec.AppendHeader(nil, spec.Header{Version: 0, Action: spec.KEEP, Info: spec.EmptyInfo, ID: 9, Reserved: 0xffff}), '\r', '\n')
	e := &env{cfg: &FuzzConfig{Dialect: spec.DialectSpec, Timeout: 300 * time.Millisecond}, addr: wedged, ra: &runAccounts{reg: reg}}
	f := e.exec(context.Background(), &fcase{stream: version0, delivery: oneWrite, splits: [][]byte{version0}})
	require.NotNil(t, f, "version 0 is malformed by the specification (FRAME-2)")
	assert.Equal(t, "no-close", f.kind)

	v := analyze(keep13, spec.DialectSpec)
	assert.True(t, v.malformed && v.waitSep, "%+v", v)
	v = analyze(append(append([]byte{}, keep13...), '\r', '\n'), spec.DialectSpec)
	assert.True(t, v.malformed && !v.waitSep, "%+v", v)
}
