package spec

import (
	"bytes"
	"fmt"
)

// Direction says who sends a packet.
type Direction uint8

const (
	// ServerBound packets travel from client to server.
	ServerBound Direction = iota
	// ClientBound packets travel from server to client.
	ClientBound
)

func (d Direction) String() string {
	if d == ClientBound {
		return "client-bound"
	}
	return "server-bound"
}

// Packet is a legal protocol packet. Info must be EmptyInfo (0xFF) for
// actions that take none; NewPacket sets it.
type Packet struct {
	Action Action
	Info   uint8
	ID     uint16
	Args   [][]byte
}

// NewPacket returns a packet with empty Info.
func NewPacket(a Action, id uint16, args ...[]byte) *Packet {
	return &Packet{Action: a, Info: EmptyInfo, ID: id, Args: args}
}

// Header computes the header of p: Version 1, Reserved 0xFFFF, Args and
// Len from p.Args (Len counts each argument's CRLF, not the header's).
func (p *Packet) Header() Header {
	return Header{
		Version:  Version,
		Action:   p.Action,
		Info:     p.Info,
		Args:     uint8(len(p.Args)),
		Len:      uint16(payloadLen(p.Args)),
		ID:       p.ID,
		Reserved: DefaultReserved,
	}
}

// WireSize is the number of bytes AppendPacket writes for p.
func (p *Packet) WireSize() int { return frameOverhead + payloadLen(p.Args) }

// Clone returns a deep copy of p whose arguments share one new buffer;
// use it to keep a packet read by a Decoder past the next ReadPacket.
func (p *Packet) Clone() *Packet {
	q := *p
	if p.Args == nil {
		return &q
	}
	buf := make([]byte, 0, payloadLen(p.Args))
	q.Args = make([][]byte, len(p.Args))
	for i, a := range p.Args {
		buf = append(buf, a...)
		q.Args[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return &q
}

// String renders p for transcripts: header fields and argument sizes.
func (p *Packet) String() string {
	s := fmt.Sprintf("%s id=%d info=%s", p.Action, p.ID, infoString(p.Action, p.Info))
	for i, a := range p.Args {
		s += fmt.Sprintf(" arg%d[%d]", i+1, len(a))
	}
	return s
}

func payloadLen(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + 2
	}
	return n
}

// AppendPacket appends the wire form of p to dst. It refuses packets the
// header cannot represent or the dialect forbids (ID over 1023, more than
// 15 arguments, an argument over d.MaxArgSize(), a payload over 16383
// bytes) with a *ProtocolError of code ERR_PACKET. It does not check
// header rules (use CheckHeader or Validate) and does not allocate when
// dst has room for p.WireSize() more bytes.
func AppendPacket(dst []byte, p *Packet, d Dialect) ([]byte, error) {
	if err := checkEncodable(p, d); err != nil {
		return dst, err
	}
	h := p.Header().Bytes()
	dst = append(dst, h[:]...)
	dst = append(dst, crlf...)
	for _, a := range p.Args {
		dst = append(dst, a...)
		dst = append(dst, crlf...)
	}
	return dst, nil
}

// MarshalPacket returns the wire form of p in a new slice.
func MarshalPacket(p *Packet, d Dialect) ([]byte, error) {
	if err := checkEncodable(p, d); err != nil {
		return nil, err
	}
	return AppendPacket(make([]byte, 0, p.WireSize()), p, d)
}

func checkEncodable(p *Packet, d Dialect) error {
	if p.ID > MaxID {
		return perr(CodePacket, ErrIDRange, "ID %d", p.ID)
	}
	if len(p.Args) > MaxArgs {
		return perr(CodePacket, ErrTooManyArgs, "%d arguments", len(p.Args))
	}
	max := d.MaxArgSize()
	total := 0
	for i, a := range p.Args {
		if len(a) > max {
			return perr(CodePacket, ErrArgTooLong, "argument %d has %d bytes, limit %d", i+1, len(a), max)
		}
		total += len(a) + 2
	}
	if total > MaxLen {
		return perr(CodePacket, ErrPayloadTooLong, "%d bytes", total)
	}
	return nil
}

// Validate reports whether p, sent in direction dir, would be accepted
// by a checking Decoder in dialect d and decoded to the same arguments:
// the header rules hold, it is encodable, and its arguments survive the
// schema's split (for example, a CRLF inside a username would not).
// Senders use it to refuse packets a peer could not read.
func (p *Packet) Validate(dir Direction, d Dialect) error {
	if err := checkEncodable(p, d); err != nil {
		return err
	}
	h := p.Header()
	if err := CheckHeader(dir, h); err != nil {
		return err
	}
	s, _ := SchemaFor(dir, p.Action, p.Info)
	for i, a := range p.Args {
		if size := s.Kinds[i].FixedSize(d); size > 0 && len(a) != size {
			return perr(CodePacket, ErrSplit, "argument %d (%s) has %d bytes, want %d", i+1, s.Kinds[i], len(a), size)
		}
		if !s.Kinds[i].Delimited(d) && s.Kinds[i].FixedSize(d) == 0 && bytes.Contains(a, []byte(crlf)) {
			return perr(CodePacket, ErrSplit, "argument %d (%s) contains CRLF", i+1, s.Kinds[i])
		}
	}
	return nil
}

// Raw returns the frame of p as a RawPacket, a starting point for
// forging variants of a legal packet.
func (p *Packet) Raw() *RawPacket {
	return &RawPacket{Header: p.Header(), Args: p.Args}
}
