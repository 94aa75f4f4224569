package spec

import (
	"encoding/binary"
	"time"
)

// AppendTimestamp appends t's Unix seconds: 4 big-endian bytes in
// DialectSpec (truncated to 32 bits: dates outside 1970..2106 wrap), a
// zigzag varint (encoding/binary.AppendVarint) in DialectGochat1.
func (d Dialect) AppendTimestamp(dst []byte, t time.Time) []byte {
	if d == DialectGochat1 {
		return binary.AppendVarint(dst, t.Unix())
	}
	return binary.BigEndian.AppendUint32(dst, uint32(t.Unix()))
}

// ParseTimestamp decodes a timestamp argument. DialectSpec needs exactly
// 4 bytes; DialectGochat1 needs one varint using every byte (upstream
// ignores trailing bytes; we do not).
func (d Dialect) ParseTimestamp(b []byte) (time.Time, error) {
	if d == DialectGochat1 {
		v, n := binary.Varint(b)
		if n <= 0 || n != len(b) {
			return time.Time{}, perr(CodeArgs, ErrBadTimestamp, "not a single varint (%d bytes)", len(b))
		}
		return time.Unix(v, 0), nil
	}
	if len(b) != 4 {
		return time.Time{}, perr(CodeArgs, ErrBadTimestamp, "%d bytes, want 4", len(b))
	}
	return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), nil
}

// ParseTimestampAny guesses the dialect: 4 bytes are a spec timestamp,
// anything else a varint. (A 4-byte varint only encodes dates before
// 1975, so the guess is safe for real traffic.)
func ParseTimestampAny(b []byte) (time.Time, error) {
	if len(b) == 4 {
		return DialectSpec.ParseTimestamp(b)
	}
	return DialectGochat1.ParseTimestamp(b)
}
