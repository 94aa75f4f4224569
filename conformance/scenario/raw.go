package scenario

import "github.com/gochatproto/gochat/spec"

// Override returns h, the header a legal packet would have, with the
// fields rh sets replaced. A nil rh changes nothing.
func (rh *RawHeader) Override(h spec.Header) spec.Header {
	if rh == nil {
		return h
	}
	if rh.Version != nil {
		h.Version = uint8(*rh.Version)
	}
	if rh.Args != nil {
		h.Args = uint8(*rh.Args)
	}
	if rh.Len != nil {
		h.Len = uint16(*rh.Len)
	}
	if rh.Reserved != nil {
		h.Reserved = uint16(*rh.Reserved)
	}
	return h
}

// Packet is the forged packet s describes (when it gives no Hex), with
// header h and the evaluated arguments. Loading rejects separators that
// are not hex in server scenarios; elsewhere the bytes before the first
// bad digit are used.
func (s *SendRaw) Packet(h spec.Header, args [][]byte) *spec.RawPacket {
	rp := &spec.RawPacket{Header: h, Args: args, OmitFinalSep: s.OmitFinalSep}
	rp.HeaderSep = hexOrNil(s.HeaderSep)
	rp.ArgSep = hexOrNil(s.ArgSep)
	rp.Trailer = hexOrNil(s.Trailer)
	return rp
}

func hexOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	b, _ := decodeHex(s)
	return b
}
