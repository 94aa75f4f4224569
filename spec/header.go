package spec

import (
	"encoding/binary"
	"fmt"
)

// Header is the decoded 8-byte header. Fields are plain integers so that
// forged, out-of-range values can be represented; Bytes masks each field
// to its wire width.
type Header struct {
	Version  uint8
	Action   Action
	Info     uint8
	Args     uint8
	Len      uint16
	ID       uint16
	Reserved uint16
}

// Bit layout of the big-endian uint64 header.
const (
	shiftVersion  = 60
	shiftAction   = 52
	shiftInfo     = 44
	shiftArgs     = 40
	shiftLen      = 26
	shiftID       = 16
	maskVersion   = 0xF
	maskArgs      = 0xF
	maskLen       = 0x3FFF
	maskID        = 0x3FF
	headerSepLen  = 2
	crlf          = "\r\n"
	frameOverhead = HeaderSize + headerSepLen
)

// Bytes encodes h. Each field is truncated to its wire width (Version to
// 4 bits, Args to 4, Len to 14, ID to 10), so forged values wrap
// predictably instead of corrupting neighbouring fields.
func (h Header) Bytes() [8]byte {
	v := uint64(h.Version&maskVersion)<<shiftVersion |
		uint64(h.Action)<<shiftAction |
		uint64(h.Info)<<shiftInfo |
		uint64(h.Args&maskArgs)<<shiftArgs |
		uint64(h.Len&maskLen)<<shiftLen |
		uint64(h.ID&maskID)<<shiftID |
		uint64(h.Reserved)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b
}

// AppendHeader appends the 8 header bytes (no separator) to dst.
func AppendHeader(dst []byte, h Header) []byte {
	b := h.Bytes()
	return append(dst, b[:]...)
}

// ParseHeader decodes the first 8 bytes of b. It panics if len(b) < 8,
// like binary.BigEndian.Uint64; it performs no validation.
func ParseHeader(b []byte) Header {
	v := binary.BigEndian.Uint64(b[:HeaderSize])
	return Header{
		Version:  uint8(v >> shiftVersion & maskVersion),
		Action:   Action(v >> shiftAction),
		Info:     uint8(v >> shiftInfo),
		Args:     uint8(v >> shiftArgs & maskArgs),
		Len:      uint16(v >> shiftLen & maskLen),
		ID:       uint16(v >> shiftID & maskID),
		Reserved: uint16(v),
	}
}

// String renders h for transcripts, e.g.
// "v1 HELLO info=0xFF args=1 len=24 id=0 rsv=0xFFFF".
func (h Header) String() string {
	return fmt.Sprintf("v%d %s info=%s args=%d len=%d id=%d rsv=0x%04X",
		h.Version, h.Action, infoString(h.Action, h.Info), h.Args, h.Len, h.ID, h.Reserved)
}

// infoString names the Info value in the vocabulary of the action.
func infoString(a Action, info uint8) string {
	if info == EmptyInfo {
		return "0xFF"
	}
	switch a {
	case ERR:
		return ErrCode(info).String()
	case USRS:
		return UsrsKind(info).String()
	case ADMIN:
		return AdminOp(info).String()
	case SUB, UNSUB, HOOK:
		return Hook(info).String()
	}
	return fmt.Sprintf("0x%02X", info)
}

// takesInfo reports whether the action carries a meaningful Info value
// in the given direction.
func takesInfo(dir Direction, a Action) bool {
	if dir == ClientBound {
		return a == ERR || a == HOOK
	}
	return a == USRS || a == ADMIN || a == SUB || a == UNSUB
}

// CheckHeader applies CheckServerBound or CheckClientBound.
func CheckHeader(dir Direction, h Header) error {
	if dir == ClientBound {
		return CheckClientBound(h)
	}
	return CheckServerBound(h)
}

// CheckServerBound validates a header sent by a client. The error is a
// *ProtocolError with code ERR_VERSION or ERR_HEADER.
func CheckServerBound(h Header) error {
	if err := checkAction(ServerBound, h); err != nil {
		return err
	}
	if h.ID == NullID {
		return perr(CodeHeader, ErrNullID, "%s", h.Action)
	}
	return checkInfoArgs(ServerBound, h)
}

// CheckClientBound validates a header sent by a server: HELLO, SHTDWN,
// HOOK and RECIV carry the null ID, OK, VERIF, REQ and USRS a request ID,
// and ERR either.
func CheckClientBound(h Header) error {
	if err := checkAction(ClientBound, h); err != nil {
		return err
	}
	switch h.Action {
	case HELLO, SHTDWN, HOOK, RECIV:
		if h.ID != NullID {
			return perr(CodeHeader, ErrIDNotNull, "%s with ID %d", h.Action, h.ID)
		}
	case OK, VERIF, REQ, USRS:
		if h.ID == NullID {
			return perr(CodeHeader, ErrNullID, "%s", h.Action)
		}
	}
	return checkInfoArgs(ClientBound, h)
}

func checkAction(dir Direction, h Header) error {
	switch {
	case h.Version != Version:
		return perr(CodeVersion, ErrBadVersion, "version %d", h.Version)
	case h.Action == NullAction:
		return perr(CodeHeader, ErrNullAction, "")
	case !h.Action.Valid():
		return perr(CodeHeader, ErrUnknownAction, "0x%02X", uint8(h.Action))
	case !h.Action.Allowed(dir):
		return perr(CodeHeader, ErrWrongDirection, "%s is not %s", h.Action, dir)
	}
	return nil
}

func checkInfoArgs(dir Direction, h Header) error {
	if takesInfo(dir, h.Action) {
		if h.Info == EmptyInfo {
			return perr(CodeHeader, ErrInfoRequired, "%s", h.Action)
		}
	} else if h.Info != EmptyInfo {
		return perr(CodeHeader, ErrInfoForbidden, "%s with info 0x%02X", h.Action, h.Info)
	}
	s, ok := SchemaFor(dir, h.Action, h.Info)
	if !ok {
		return perr(CodeHeader, ErrBadInfo, "%s info 0x%02X", h.Action, h.Info)
	}
	if int(h.Args) < s.Min || int(h.Args) > s.Max {
		return perr(CodeHeader, ErrArgCount, "%s takes %d..%d arguments, got %d", h.Action, s.Min, s.Max, h.Args)
	}
	if (h.Args == 0) != (h.Len == 0) || int(h.Len) < 2*int(h.Args) {
		return perr(CodeHeader, ErrLenMismatch, "args=%d len=%d", h.Args, h.Len)
	}
	return nil
}
