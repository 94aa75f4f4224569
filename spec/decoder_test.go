package spec

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTripAllActions encodes one packet per action, info variant and
// argument count (with ordinary and CRLF-bearing arguments) in both
// directions and dialects, then decodes the whole stream through readers
// that split it at arbitrary points.
func TestRoundTripAllActions(t *testing.T) {
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		for _, dir := range []Direction{ServerBound, ClientBound} {
			t.Run(d.String()+"/"+dir.String(), func(t *testing.T) {
				pkts := samplePackets(t, dir, d)
				var stream []byte
				for _, p := range pkts {
					require.NoError(t, CheckHeader(dir, p.Header()), "%v", p)
					b, err := MarshalPacket(p, d)
					require.NoError(t, err, "%v", p)
					require.Len(t, b, p.WireSize())
					require.Equal(t, int(p.Header().Len)+10, len(b))
					stream = append(stream, b...)
				}
				readers := map[string]io.Reader{
					"whole":   bytes.NewReader(stream),
					"onebyte": iotest.OneByteReader(bytes.NewReader(stream)),
					"chunks":  newChunkReader(stream, 5),
					"half":    iotest.HalfReader(bytes.NewReader(stream)),
				}
				for name, r := range readers {
					dec := NewDecoder(r, dir, d)
					var got Packet
					for i, want := range pkts {
						require.NoError(t, dec.ReadPacket(&got), "%s packet %d %v", name, i, want)
						assertSamePacket(t, want, &got)
						require.Equal(t, want.Header(), dec.LastHeader())
					}
					require.ErrorIs(t, dec.ReadPacket(&got), io.EOF, name)
				}
			})
		}
	}
}

func assertSamePacket(t *testing.T, want, got *Packet) {
	t.Helper()
	require.Equal(t, want.Action, got.Action)
	require.Equal(t, want.Info, got.Info)
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, len(want.Args), len(got.Args), "%v", want)
	for i := range want.Args {
		require.True(t, bytes.Equal(want.Args[i], got.Args[i]), "%v arg %d: %q vs %q", want, i+1, want.Args[i], got.Args[i])
	}
}

func TestAppendPacketRefusesIllegal(t *testing.T) {
	big := make([]byte, 2048)
	many := make([][]byte, 16)
	fill := make([][]byte, 10)
	for i := range fill {
		fill[i] = make([]byte, 1800)
	}
	tests := []struct {
		name string
		p    *Packet
		d    Dialect
		err  error
	}{
		{"id over 1023", NewPacket(OK, 1024), DialectSpec, ErrIDRange},
		{"16 args", NewPacket(USRS, 1, many...), DialectSpec, ErrTooManyArgs},
		{"arg 2048 spec", NewPacket(HELLO, 0, big), DialectSpec, ErrArgTooLong},
		{"arg 2046 gochat1", NewPacket(HELLO, 0, big[:2046]), DialectGochat1, ErrArgTooLong},
		{"payload over MaxLen", NewPacket(USRS, 1, fill...), DialectSpec, ErrPayloadTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := AppendPacket(dst, tt.p, tt.d)
			assertProtoErr(t, err, tt.err, CodePacket)
			assert.Equal(t, "keep", string(out))
			_, err = MarshalPacket(tt.p, tt.d)
			assert.ErrorIs(t, err, tt.err)
		})
	}
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		_, err := MarshalPacket(NewPacket(HELLO, 0, big[:d.MaxArgSize()]), d)
		assert.NoError(t, err)
	}
	_, err := MarshalPacket(NewPacket(OK, MaxID), DialectSpec)
	assert.NoError(t, err)
}

func TestEmptyPacketIsTenBytes(t *testing.T) {
	b, err := MarshalPacket(NewPacket(OK, 7), DialectSpec)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x10, 0x1F, 0xF0, 0x00, 0x00, 0x07, 0xFF, 0xFF, '\r', '\n'}, b)
	b, err = MarshalPacket(&Packet{Action: ERR, Info: uint8(CodeArgs)}, DialectSpec)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x10, 0x20, 0x50, 0x00, 0x00, 0x00, 0xFF, 0xFF, '\r', '\n'}, b)
}

func raw(h Header, args ...string) *RawPacket {
	r := &RawPacket{Header: h}
	for _, a := range args {
		r.Args = append(r.Args, []byte(a))
	}
	return r
}

// TestDecoderMalformed maps every malformed-input class to its code.
func TestDecoderMalformed(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 2048))
	tests := []struct {
		name string
		dir  Direction
		d    Dialect
		r    *RawPacket
		err  error
		code ErrCode
	}{
		{"bad version", ServerBound, DialectSpec, raw(Header{2, KEEP, 0xFF, 0, 0, 1, 0xFFFF}), ErrBadVersion, CodeVersion},
		{"null action", ServerBound, DialectSpec, raw(hdr(0, 0xFF, 0, 0, 1)), ErrNullAction, CodeHeader},
		{"unknown action", ServerBound, DialectSpec, raw(hdr(0x13, 0xFF, 0, 0, 1)), ErrUnknownAction, CodeHeader},
		{"client-only action", ServerBound, DialectSpec, raw(hdr(HELLO, 0xFF, 0, 0, 1)), ErrWrongDirection, CodeHeader},
		{"null id", ServerBound, DialectSpec, raw(hdr(LOGOUT, 0xFF, 0, 0, 0)), ErrNullID, CodeHeader},
		{"info required", ServerBound, DialectSpec, raw(hdr(SUB, 0xFF, 0, 0, 1)), ErrInfoRequired, CodeHeader},
		{"info forbidden", ServerBound, DialectSpec, raw(hdr(DEREG, 3, 0, 0, 1)), ErrInfoForbidden, CodeHeader},
		{"too few args", ServerBound, DialectSpec, raw(hdr(REG, 0xFF, 1, 5, 1), "bob"), ErrArgCount, CodeHeader},
		{"args without len", ServerBound, DialectSpec, raw(hdr(REQ, 0xFF, 1, 0, 1)), ErrLenMismatch, CodeHeader},
		{"bad separator", ServerBound, DialectSpec, &RawPacket{Header: hdr(REQ, 0xFF, 1, 5, 1), HeaderSep: []byte("XY"), Args: [][]byte{[]byte("bob")}}, ErrBadSeparator, CodeHeader},
		{"arg too long spec", ServerBound, DialectSpec, raw(hdr(REQ, 0xFF, 1, 2050, 1), long), ErrArgTooLong, CodeMaxSize},
		{"arg too long gochat1", ServerBound, DialectGochat1, raw(hdr(REQ, 0xFF, 1, 2048, 1), long[:2046]), ErrArgTooLong, CodeMaxSize},
		{"missing final CRLF", ServerBound, DialectSpec, &RawPacket{Header: hdr(REQ, 0xFF, 1, 3, 1), Args: [][]byte{[]byte("bob")}, OmitFinalSep: true}, ErrSplit, CodeArgs},
		{"trailing junk", ServerBound, DialectSpec, &RawPacket{Header: hdr(REQ, 0xFF, 1, 7, 1), Args: [][]byte{[]byte("bob")}, Trailer: []byte("zz")}, ErrSplit, CodeArgs},
		{"wrong piece count", ServerBound, DialectSpec, raw(hdr(REQ, 0xFF, 1, 6, 1), "a", "b"), ErrSplit, CodeArgs},
		{"argument with CRLF in CRLF-free slot", ServerBound, DialectSpec, raw(hdr(REQ, 0xFF, 1, 6, 1), "a\r\nb"), ErrSplit, CodeArgs},
		{"stamp wrong size", ServerBound, DialectSpec, raw(hdr(MSG, 0xFF, 3, 15, 1), "bob", "12345", "c"), ErrSplit, CodeArgs},
		{"perm wrong size", ServerBound, DialectSpec, raw(hdr(ADMIN, 3, 2, 9, 1), "bob", "12"), ErrSplit, CodeArgs},
		{"hello with id", ClientBound, DialectSpec, raw(hdr(HELLO, 0xFF, 1, 4, 1), "hi"), ErrIDNotNull, CodeHeader},
		{"ok null id", ClientBound, DialectSpec, raw(hdr(OK, 0xFF, 0, 0, 0)), ErrNullID, CodeHeader},
		{"hook all", ClientBound, DialectSpec, raw(hdr(HOOK, 0, 0, 0, 0)), ErrBadInfo, CodeHeader},
		{"req reply perm missing", ClientBound, DialectSpec, raw(hdr(REQ, 0xFF, 3, 8, 1), "a", "k", ""), ErrSplit, CodeArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := AppendRaw(nil, tt.r)
			// Follow with a valid packet to show nothing panics or hangs.
			dec := NewDecoder(bytes.NewReader(frame), tt.dir, tt.d)
			var p Packet
			err := dec.ReadPacket(&p)
			assertProtoErr(t, err, tt.err, tt.code)
			assert.Equal(t, ParseHeader(frame), dec.LastHeader())

			// The raw decoder returns the packet and reports the same error.
			rdec := NewRawDecoder(bytes.NewReader(frame), tt.dir, tt.d)
			require.NoError(t, rdec.ReadPacket(&p))
			assertProtoErr(t, rdec.FramingError(), tt.err, tt.code)
			assert.Equal(t, tt.r.Header.Action, p.Action)
			assert.Equal(t, string(frame[10:]), string(rdec.LastPayload()))
		})
	}
}

func TestDecoderEOF(t *testing.T) {
	good, err := MarshalPacket(NewPacket(REQ, 5, []byte("bob")), DialectSpec)
	require.NoError(t, err)
	var p Packet
	dec := NewDecoder(bytes.NewReader(nil), ServerBound, DialectSpec)
	assert.Equal(t, io.EOF, dec.ReadPacket(&p))
	for cut := 1; cut < len(good); cut++ {
		dec := NewDecoder(iotest.OneByteReader(bytes.NewReader(good[:cut])), ServerBound, DialectSpec)
		assert.Equal(t, io.ErrUnexpectedEOF, dec.ReadPacket(&p), "cut at %d", cut)
	}
	boom := errors.New("boom")
	dec = NewDecoder(iotest.ErrReader(boom), ServerBound, DialectSpec)
	assert.ErrorIs(t, dec.ReadPacket(&p), boom)
	// A truncated payload after a header error is not even read.
	dec = NewDecoder(bytes.NewReader([]byte{0x20, 0, 0, 0, 0, 0, 0, 0}), ServerBound, DialectSpec)
	assert.ErrorIs(t, dec.ReadPacket(&p), ErrBadVersion)
}

func TestDecoderBuffersAndClone(t *testing.T) {
	a, _ := MarshalPacket(NewPacket(VERIF, 3, []byte("alice"), crlfBlob(600, 1)), DialectSpec)
	b, _ := MarshalPacket(NewPacket(REQ, 4, []byte("bob")), DialectSpec)
	dec := NewDecoder(bytes.NewReader(append(append([]byte{}, a...), b...)), ServerBound, DialectSpec)
	var p Packet
	require.NoError(t, dec.ReadPacket(&p))
	kept := p.Clone()
	require.Equal(t, 600+2+5+2, dec.BufferCap())
	require.NoError(t, dec.ReadPacket(&p))
	assert.Equal(t, "bob", string(p.Args[0]))
	assert.Equal(t, crlfBlob(600, 1), kept.Args[1])
	assert.Equal(t, "alice", string(kept.Args[0]))
	assert.Equal(t, 609, dec.BufferCap(), "smaller packets reuse the buffer")
	assert.Equal(t, 0, dec.Buffered())
}

func TestDecoderReservedIgnored(t *testing.T) {
	h := hdr(KEEP, 0xFF, 0, 0, 9)
	h.Reserved = 0x1234
	var p Packet
	dec := NewDecoder(bytes.NewReader(AppendRaw(nil, raw(h))), ServerBound, DialectSpec)
	require.NoError(t, dec.ReadPacket(&p))
	assert.Equal(t, KEEP, p.Action)
	assert.Equal(t, uint16(0x1234), dec.LastHeader().Reserved)
}

func TestRawDecoderSplitsWhatItCan(t *testing.T) {
	frame := AppendRaw(nil, &RawPacket{Header: hdr(REQ, 0xFF, 1, 10, 0), Args: [][]byte{[]byte("a"), []byte("b")}, Trailer: []byte("tail")})
	dec := NewRawDecoder(bytes.NewReader(frame), ServerBound, DialectSpec)
	var p Packet
	require.NoError(t, dec.ReadPacket(&p))
	assert.Equal(t, [][]byte{[]byte("a"), []byte("b"), []byte("tail")}, p.Args)
	assert.ErrorIs(t, dec.FramingError(), ErrNullID)
	dec.SetCheck(true)
	assert.Equal(t, io.EOF, dec.ReadPacket(&p))
}

func TestAppendRaw(t *testing.T) {
	r := &RawPacket{
		Header:       hdr(MSG, 0xFF, 2, 99, 1),
		HeaderSep:    []byte{},
		Args:         [][]byte{[]byte("a"), []byte("b")},
		ArgSep:       []byte("\n"),
		OmitFinalSep: true,
		Trailer:      []byte("!"),
	}
	h := r.Header.Bytes()
	assert.Equal(t, append(h[:], "a\nb!"...), AppendRaw(nil, r))
}

func TestPacketValidate(t *testing.T) {
	for _, d := range []Dialect{DialectSpec, DialectGochat1} {
		for _, dir := range []Direction{ServerBound, ClientBound} {
			for _, p := range samplePackets(t, dir, d) {
				require.NoError(t, p.Validate(dir, d), "%s %s %v", d, dir, p)
			}
		}
	}
	stamp := DialectSpec.AppendTimestamp(nil, crlfTime)
	tests := []struct {
		name string
		p    *Packet
		dir  Direction
		err  error
	}{
		{"name with CRLF", NewPacket(REQ, 1, []byte("a\r\nb")), ServerBound, ErrSplit},
		{"stamp 5 bytes", NewPacket(MSG, 1, []byte("a"), []byte("12345"), []byte("c")), ServerBound, ErrSplit},
		{"perm 2 bytes", NewPacket(REQ, 1, []byte("a"), []byte("k"), []byte("12")), ClientBound, ErrSplit},
		{"ok without id", NewPacket(OK, 0), ClientBound, ErrNullID},
		{"id range", NewPacket(OK, 2000), ClientBound, ErrIDRange},
		{"wrong direction", NewPacket(MSG, 1, []byte("a"), stamp, []byte("c")), ClientBound, ErrWrongDirection},
	}
	for _, tt := range tests {
		assert.ErrorIs(t, tt.p.Validate(tt.dir, DialectSpec), tt.err, tt.name)
	}
	p := NewPacket(REQ, 9, []byte("bob"))
	b, _ := MarshalPacket(p, DialectSpec)
	assert.Equal(t, b, AppendRaw(nil, p.Raw()))
}
