package expr

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// matchPerm requires the level want as one raw byte (ENC-7, ENC-12). The
// original says only that a level is sent as a single byte (a SHOULD):
// the same level as one ASCII digit differs only from E-14 (ENC-7), as a
// wider big-endian integer from the SHOULD (ENC-12); both pass the check
// and are filed under their requirement.
func (e *Env) matchPerm(want uint8, arg []byte) string {
	if len(arg) == 1 && arg[0] == want {
		return ""
	}
	if string(arg) == strconv.Itoa(int(want)) {
		if len(arg) == 1 {
			e.deviate(ReqPermRaw, "permission %d is the ASCII digit %s, not the raw byte (E-14)", want, Show(arg))
		} else {
			e.deviate(ReqPermOneByte, "permission %d is %d ASCII digits, not a single byte", want, len(arg))
		}
		return ""
	}
	if n := len(arg); n > 1 && n <= 8 && beUint(arg) == uint64(want) {
		e.deviate(ReqPermOneByte, "permission %d is a %d-byte integer, not a single byte", want, n)
		return ""
	}
	return fmt.Sprintf("permission is %s, want the single byte %d", Show(arg), want)
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// altStamp is a timestamp read in an encoding other than the dialect's.
type altStamp struct {
	enc  string
	secs int64
}

// otherStamps reads b in the common timestamp encodings: big- and
// little-endian 4 and 8 bytes, (zigzag) varints and decimal digits.
func otherStamps(b []byte) []altStamp {
	var out []altStamp
	switch len(b) {
	case 4:
		out = append(out, altStamp{"4 bytes big-endian", int64(binary.BigEndian.Uint32(b))},
			altStamp{"4 bytes little-endian", int64(binary.LittleEndian.Uint32(b))})
	case 8:
		out = append(out, altStamp{"8 bytes big-endian", int64(binary.BigEndian.Uint64(b))},
			altStamp{"8 bytes little-endian", int64(binary.LittleEndian.Uint64(b))})
	}
	if v, n := binary.Varint(b); n == len(b) && n > 0 {
		out = append(out, altStamp{"a zigzag varint", v})
	}
	if v, n := binary.Uvarint(b); n == len(b) && n > 0 && v <= 1<<62 {
		out = append(out, altStamp{"an unsigned varint", int64(v)})
	}
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		out = append(out, altStamp{"decimal digits", v})
	}
	return out
}

func stampReq(d spec.Dialect) string {
	if d == spec.DialectGochat1 {
		return ReqStampGochat1
	}
	return ReqStampSpec
}

// hasRawLevel reports whether the user list holds the expected entry
// "name level" with the level as one raw byte (after a space or not):
// the original leaves the list's format open, decimal digits are E-14's
// (ENC-8), so such an entry counts, filed as a deviation.
func (e *Env) hasRawLevel(entries []string, want string) bool {
	name, lvl, ok := strings.Cut(want, " ")
	n, err := strconv.Atoi(lvl)
	if !ok || err != nil || n < 0 || n > 255 {
		return false
	}
	raw := string([]byte{byte(n)})
	if !slices.Contains(entries, name+" "+raw) && !slices.Contains(entries, name+raw) {
		return false
	}
	e.deviate(ReqListLevel, "user list entry %q has its level as a raw byte, not decimal digits (E-14)", want)
	return true
}
