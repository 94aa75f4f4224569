package spec

import "fmt"

// Dialect selects between the two encodings this project speaks: the
// written specification ("spec", the default) and the behaviour of the
// original implementation ("gochat1").
type Dialect uint8

const (
	// DialectSpec follows SPECIFICATION.md: DER keys, 4-byte timestamps,
	// arguments of up to 2047 data bytes.
	DialectSpec Dialect = 0
	// DialectGochat1 follows the original implementation: PEM keys,
	// zigzag varint timestamps, arguments of up to 2045 data bytes
	// (upstream counts the CRLF in its 2047 limit).
	DialectGochat1 Dialect = 1
)

// Per-argument data limits (terminating CRLF not included).
const (
	MaxArgSizeSpec    = 2047
	MaxArgSizeGochat1 = 2045
)

// String returns "spec" or "gochat1".
func (d Dialect) String() string {
	switch d {
	case DialectSpec:
		return "spec"
	case DialectGochat1:
		return "gochat1"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

// Valid reports whether d is a known dialect.
func (d Dialect) Valid() bool { return d <= DialectGochat1 }

// ParseDialect is the inverse of String.
func ParseDialect(s string) (Dialect, error) {
	switch s {
	case "spec", "":
		return DialectSpec, nil
	case "gochat1":
		return DialectGochat1, nil
	}
	return 0, fmt.Errorf("spec: unknown dialect %q", s)
}

// MaxArgSize is the largest number of data bytes one argument may carry,
// not counting its terminating CRLF.
func (d Dialect) MaxArgSize() int {
	if d == DialectGochat1 {
		return MaxArgSizeGochat1
	}
	return MaxArgSizeSpec
}
