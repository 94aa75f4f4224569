package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"
)

// decodeResult is one step of decoding a stream, for comparing readers.
type decodeResult struct {
	pkt *Packet
	err error
}

const fuzzMaxPackets = 64

// decodeAll reads packets until an error, recording each step and
// checking the allocation bound after every read.
func decodeAll(t *testing.T, r io.Reader, dir Direction, d Dialect) []decodeResult {
	dec := NewDecoder(r, dir, d)
	var out []decodeResult
	maxLen := 0
	for range fuzzMaxPackets {
		var p Packet
		err := dec.ReadPacket(&p)
		if l := int(dec.LastHeader().Len); err == nil || dec.LastPayload() != nil {
			maxLen = max(maxLen, l)
		}
		if dec.BufferCap() > maxLen || dec.BufferCap() > MaxLen {
			t.Fatalf("buffer cap %d exceeds largest Len %d", dec.BufferCap(), maxLen)
		}
		if err != nil {
			out = append(out, decodeResult{err: err})
			return out
		}
		out = append(out, decodeResult{pkt: p.Clone()})
	}
	return out
}

func fuzzDecode(t *testing.T, data []byte, dir Direction, gochat1 bool) {
	d := DialectSpec
	if gochat1 {
		d = DialectGochat1
	}
	whole := decodeAll(t, bytes.NewReader(data), dir, d)
	for name, r := range map[string]io.Reader{
		"onebyte": iotest.OneByteReader(bytes.NewReader(data)),
		"chunks":  newChunkReader(data, uint64(len(data))),
	} {
		other := decodeAll(t, r, dir, d)
		if len(other) != len(whole) {
			t.Fatalf("%s reader: %d results, whole reader %d", name, len(other), len(whole))
		}
		for i := range whole {
			if !errors.Is(other[i].err, whole[i].err) && fmt.Sprint(other[i].err) != fmt.Sprint(whole[i].err) {
				t.Fatalf("%s reader result %d: %v vs %v", name, i, other[i].err, whole[i].err)
			}
		}
	}
	off := 0
	for _, res := range whole {
		if res.err != nil {
			if res.err != io.EOF && res.err != io.ErrUnexpectedEOF {
				if _, ok := CodeOf(res.err); !ok {
					t.Fatalf("error without code: %v", res.err)
				}
			}
			break
		}
		p := res.pkt
		if err := CheckHeader(dir, p.Header()); err != nil {
			t.Fatalf("accepted packet fails its header check: %v", err)
		}
		b, err := MarshalPacket(p, d)
		if err != nil {
			t.Fatalf("accepted packet does not encode: %v", err)
		}
		copy(b[6:8], data[off+6:off+8]) // Reserved is ignored on receive
		if !bytes.Equal(b, data[off:off+len(b)]) {
			t.Fatalf("re-encoding differs:\n got %q\nwant %q", b, data[off:off+len(b)])
		}
		off += len(b)
	}
	// The raw decoder never reports protocol errors and agrees with the
	// checking decoder on what is legal.
	rdec := NewRawDecoder(bytes.NewReader(data), dir, d)
	for i := range fuzzMaxPackets {
		var p Packet
		if err := rdec.ReadPacket(&p); err != nil {
			if _, ok := CodeOf(err); ok {
				t.Fatalf("raw decoder returned protocol error %v", err)
			}
			break
		}
		if i < len(whole) && (whole[i].err == nil) != (rdec.FramingError() == nil) {
			t.Fatalf("packet %d: checking decoder %v, raw decoder %v", i, whole[i].err, rdec.FramingError())
		}
		if len(p.Args) > MaxArgs+1 {
			t.Fatalf("raw decoder returned %d args", len(p.Args))
		}
		if rdec.FramingError() != nil {
			break // the checking decoder stopped here
		}
	}
}

func FuzzDecodeServerBound(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, gochat1 bool) { fuzzDecode(t, data, ServerBound, gochat1) })
}

func FuzzDecodeClientBound(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, gochat1 bool) { fuzzDecode(t, data, ClientBound, gochat1) })
}

func FuzzSplitArgs(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte, clientBound bool, action, info, n uint8, gochat1 bool) {
		dir, d := ServerBound, DialectSpec
		if clientBound {
			dir = ClientBound
		}
		if gochat1 {
			d = DialectGochat1
		}
		s, ok := SchemaFor(dir, Action(action), info)
		if !ok {
			return
		}
		args, err := SplitArgs(nil, payload, int(n%16), s, d)
		if err != nil {
			if _, ok := CodeOf(err); !ok {
				t.Fatalf("error without code: %v", err)
			}
			return
		}
		if len(args) != int(n%16) {
			t.Fatalf("%d args, want %d", len(args), n%16)
		}
		for i, a := range args {
			if len(a) > d.MaxArgSize() {
				t.Fatalf("arg %d too long", i)
			}
			if size := s.Kinds[i].FixedSize(d); size > 0 && len(a) != size {
				t.Fatalf("arg %d has %d bytes, kind %s needs %d", i, len(a), s.Kinds[i], size)
			}
			if !s.Kinds[i].Delimited(d) && s.Kinds[i].FixedSize(d) == 0 && bytes.Contains(a, []byte(crlf)) {
				t.Fatalf("arg %d of kind %s contains CRLF", i, s.Kinds[i])
			}
		}
		if !bytes.Equal(payloadOf(args...), payload) {
			t.Fatalf("rejoined args differ from payload")
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range []Dialect{DialectSpec, DialectGochat1} {
			tm, err := d.ParseTimestamp(b)
			if err != nil {
				continue
			}
			enc := d.AppendTimestamp(nil, tm)
			if d == DialectSpec && !bytes.Equal(enc, b) {
				t.Fatalf("spec timestamp %x re-encodes as %x", b, enc)
			}
			back, err := d.ParseTimestamp(enc)
			if err != nil || !back.Equal(tm) {
				t.Fatalf("%s: %v does not round-trip: %v", d, tm, err)
			}
		}
		_, _ = ParseTimestampAny(b)
	})
}

func FuzzParsePublicKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		_ = CheckKeySize(pub)
		canon, err := CanonicalKey(b)
		if err != nil {
			t.Fatalf("parsed key has no canonical form: %v", err)
		}
		again, err := ParsePublicKey(canon)
		if err != nil || !again.Equal(pub) {
			t.Fatalf("canonical form does not parse back: %v", err)
		}
	})
}

func FuzzParseUserList(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, maxArg uint16) {
		frags := bytes.Split(b, []byte{0})
		entries, err := ParseUserList(frags)
		if err != nil || len(entries) == 0 {
			return
		}
		withPerms := entries[0].HasPerm
		for _, e := range entries {
			if e.HasPerm != withPerms {
				return
			}
		}
		limit := max(int(maxArg%4096), 40)
		out := FormatUserList(entries, withPerms, limit)
		back, err := ParseUserList(out)
		if err != nil || len(back) != len(entries) {
			t.Fatalf("formatted list does not parse back: %v", err)
		}
		for i := range back {
			if back[i] != entries[i] {
				t.Fatalf("entry %d: %+v vs %+v", i, back[i], entries[i])
			}
		}
		for _, fr := range out {
			if len(fr) > limit && bytes.Contains(fr, []byte{'\n'}) {
				t.Fatalf("fragment of %d bytes over limit %d", len(fr), limit)
			}
		}
	})
}

// TestWriteFuzzCorpus regenerates the seed corpora under testdata/fuzz.
// Run with GOCHAT_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("GOCHAT_WRITE_CORPUS") == "" {
		t.Skip("set GOCHAT_WRITE_CORPUS=1 to regenerate seed corpora")
	}
	write := func(name string, seeds [][]any) {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, vals := range seeds {
			var buf bytes.Buffer
			buf.WriteString("go test fuzz v1\n")
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					fmt.Fprintf(&buf, "[]byte(%q)\n", v)
				case bool:
					fmt.Fprintf(&buf, "bool(%v)\n", v)
				case uint8:
					fmt.Fprintf(&buf, "byte('\\x%02x')\n", v)
				case uint16:
					fmt.Fprintf(&buf, "uint16(%d)\n", v)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, dir := range []Direction{ServerBound, ClientBound} {
		var seeds [][]any
		for _, d := range []Dialect{DialectSpec, DialectGochat1} {
			pkts := samplePackets(t, dir, d)
			var stream []byte
			for i, p := range pkts {
				b, _ := MarshalPacket(p, d)
				stream = append(stream, b...)
				if i%9 == 0 && len(b) < 1200 {
					seeds = append(seeds, []any{b, d == DialectGochat1})
				}
			}
			seeds = append(seeds, []any{stream[:min(len(stream), 3000)], d == DialectGochat1})
		}
		seeds = append(seeds,
			[]any{AppendRaw(nil, raw(hdr(REQ, 0xFF, 1, 7, 1), "bob", "x")), false},
			[]any{AppendRaw(nil, &RawPacket{Header: hdr(MSG, 0xFF, 3, 14, 1), HeaderSep: []byte("XY"), Args: [][]byte{[]byte("a"), []byte("1234"), []byte("c")}}), false},
			[]any{[]byte{0x11, 0x2F, 0xF1, 0x00, 0x60}, false},
		)
		name := "FuzzDecodeServerBound"
		if dir == ClientBound {
			name = "FuzzDecodeClientBound"
		}
		write(name, seeds)
	}
	stamp := DialectSpec.AppendTimestamp(nil, crlfTime)
	der := derOf(t, crlfKey())
	write("FuzzSplitArgs", [][]any{
		{payloadOf([]byte("bob"), stamp, crlfBlob(64, 1)), false, uint8(MSG), uint8(0xFF), uint8(3), false},
		{payloadOf([]byte("bob"), []byte{0xC2, 0xCF, 0xAD, 0xB0, 0x0D}, crlfBlob(64, 2)), true, uint8(RECIV), uint8(0xFF), uint8(3), true},
		{payloadOf([]byte("alice"), der, []byte{'\r'}), true, uint8(REQ), uint8(0xFF), uint8(3), false},
		{payloadOf([]byte("alice"), der), false, uint8(REG), uint8(0xFF), uint8(2), false},
		{payloadOf([]byte("a\nb 1"), []byte("c")), true, uint8(USRS), uint8(0xFF), uint8(2), false},
		{payloadOf([]byte("bob"), []byte{1}), false, uint8(ADMIN), uint8(3), uint8(2), true},
		{[]byte("x\r\ny"), false, uint8(ADMIN), uint8(9), uint8(2), false},
	})
	write("FuzzParseTimestamp", [][]any{
		{stamp}, {[]byte{0xC2, 0xCF, 0xAD, 0xB0, 0x0D}}, {[]byte("zz")}, {[]byte{}}, {[]byte{0x80, 0x00}},
		{DialectGochat1.AppendTimestamp(nil, time.Unix(-1<<40, 0))},
	})
	pemKey, _ := DialectGochat1.MarshalPublicKey(&testKey().PublicKey)
	write("FuzzParsePublicKey", [][]any{
		{der}, {pemKey}, {der[:100]}, {[]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}, {[]byte{0x30, 0x00}},
	})
	write("FuzzParseUserList", [][]any{
		{[]byte("alice\nbob\ncarol"), uint16(8)},
		{[]byte("alice 0\nbob 1\x00carol 2"), uint16(2045)},
		{[]byte("x 255"), uint16(40)},
		{[]byte("a 01\nb 300"), uint16(100)},
		{[]byte(""), uint16(0)},
	})
}
