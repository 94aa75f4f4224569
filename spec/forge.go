package spec

// RawPacket describes an arbitrary, possibly illegal frame for the
// conformance runner. Nothing is checked or computed: the header is
// written as given (fields masked to their widths), so Args and Len must
// be filled in by the caller, e.g. from Packet.Header.
type RawPacket struct {
	Header       Header
	HeaderSep    []byte // written after the header; nil means CRLF
	Args         [][]byte
	ArgSep       []byte // written after each argument; nil means CRLF
	OmitFinalSep bool   // leave out the separator after the last argument
	Trailer      []byte // appended verbatim at the end
}

// AppendRaw appends exactly the frame r describes to dst.
func AppendRaw(dst []byte, r *RawPacket) []byte {
	dst = AppendHeader(dst, r.Header)
	dst = append(dst, sepOr(r.HeaderSep)...)
	sep := sepOr(r.ArgSep)
	for i, a := range r.Args {
		dst = append(dst, a...)
		if i < len(r.Args)-1 || !r.OmitFinalSep {
			dst = append(dst, sep...)
		}
	}
	return append(dst, r.Trailer...)
}

func sepOr(b []byte) []byte {
	if b == nil {
		return []byte(crlf)
	}
	return b
}
