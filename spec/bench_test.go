package spec

import (
	"bytes"
	"testing"
	"time"
)

func msg512(b *testing.B) *Packet {
	stamp := DialectSpec.AppendTimestamp(nil, time.Unix(1700000000, 0))
	return NewPacket(MSG, 42, []byte("alice"), stamp, crlfBlob(512, 9))
}

func BenchmarkEncodeMSG512(b *testing.B) {
	p := msg512(b)
	buf := make([]byte, 0, p.WireSize())
	b.ReportAllocs()
	b.SetBytes(int64(p.WireSize()))
	for b.Loop() {
		var err error
		buf, err = AppendPacket(buf[:0], p, DialectSpec)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader serves the same bytes forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func BenchmarkDecodeMSG512(b *testing.B) {
	p := msg512(b)
	frame, err := MarshalPacket(p, DialectSpec)
	if err != nil {
		b.Fatal(err)
	}
	dec := NewDecoder(&loopReader{data: frame}, ServerBound, DialectSpec)
	var got Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := dec.ReadPacket(&got); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Equal(got.Args[2], p.Args[2]) {
		b.Fatal("decoded ciphertext differs")
	}
}

func BenchmarkCheckServerBound(b *testing.B) {
	h := msg512(b).Header()
	b.ReportAllocs()
	for b.Loop() {
		if CheckServerBound(h) != nil {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkSplitArgsMSG512(b *testing.B) {
	p := msg512(b)
	frame, _ := MarshalPacket(p, DialectSpec)
	s, _ := SchemaFor(ServerBound, MSG, EmptyInfo)
	dst := make([][]byte, 0, 3)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = SplitArgs(dst, frame[10:], 3, s, DialectSpec); err != nil {
			b.Fatal(err)
		}
	}
}
