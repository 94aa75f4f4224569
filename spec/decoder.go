package spec

import (
	"bufio"
	"errors"
	"io"
)

// readBufSize is the bufio size the decoder uses; it holds a typical
// packet (MSG with a 512-byte ciphertext) so most reads are one syscall.
const readBufSize = 4096

// Decoder reads packets from a byte stream.
//
// Buffer ownership: the argument slices ReadPacket stores in p.Args (and
// the Args slice itself) alias the decoder's internal buffers and stay
// valid only until the next ReadPacket call. Use Packet.Clone to keep
// them. A Decoder is not safe for concurrent use.
//
// Allocation: the payload buffer grows to the largest Len seen so far
// (never beyond MaxLen bytes), so reading packets no larger than earlier
// ones allocates nothing.
type Decoder struct {
	r       *bufio.Reader
	dir     Direction
	dialect Dialect
	check   bool

	hdr     Header
	hb      [frameOverhead]byte
	buf     []byte
	payload []byte
	args    [MaxArgs + 1][]byte
	ferr    error
}

// NewDecoder returns a checking decoder for packets travelling in
// direction dir: ReadPacket rejects every header and framing violation
// with a *ProtocolError carrying the ERR code to answer with. If r is a
// *bufio.Reader of at least 4096 bytes it is used directly.
func NewDecoder(r io.Reader, dir Direction, d Dialect) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, readBufSize), dir: dir, dialect: d, check: true}
}

// NewRawDecoder returns a decoder that only frames: it reads the header,
// two separator bytes and Len payload bytes, and returns the packet even
// if it breaks the rules. Arguments are split by the schema when that
// works and at every CRLF otherwise; FramingError tells what the checking
// decoder would have said.
func NewRawDecoder(r io.Reader, dir Direction, d Dialect) *Decoder {
	dec := NewDecoder(r, dir, d)
	dec.check = false
	return dec
}

// SetCheck switches between checking (true) and raw (false) decoding.
func (d *Decoder) SetCheck(check bool) { d.check = check }

// LastHeader returns the header of the most recent packet, including
// one rejected by ReadPacket.
func (d *Decoder) LastHeader() Header { return d.hdr }

// LastSeparator returns the two bytes that followed the last header.
func (d *Decoder) LastSeparator() [2]byte { return [2]byte{d.hb[8], d.hb[9]} }

// LastPayload returns the payload of the last packet (aliases the
// internal buffer, like Packet.Args). It is nil if ReadPacket stopped
// before reading the payload.
func (d *Decoder) LastPayload() []byte { return d.payload }

// FramingError returns the protocol violation of the last packet read
// by a raw decoder, or nil if it was legal.
func (d *Decoder) FramingError() error { return d.ferr }

// BufferCap reports the capacity of the payload buffer (for tests of the
// allocation bound).
func (d *Decoder) BufferCap() int { return cap(d.buf) }

// Buffered returns the number of bytes read from the stream but not yet
// consumed.
func (d *Decoder) Buffered() int { return d.r.Buffered() }

// ReadPacket reads exactly one packet into p. It returns io.EOF if the
// stream ends before the first header byte, io.ErrUnexpectedEOF if it
// ends inside a packet, and a *ProtocolError for violations (checking
// decoders only). After a header violation the payload is left unread.
func (d *Decoder) ReadPacket(p *Packet) error {
	d.payload, d.ferr = nil, nil
	if _, err := io.ReadFull(d.r, d.hb[:HeaderSize]); err != nil {
		return err
	}
	h := ParseHeader(d.hb[:])
	d.hdr = h
	herr := CheckHeader(d.dir, h)
	if herr != nil && d.check {
		return herr
	}
	if err := d.readFull(d.hb[HeaderSize:]); err != nil {
		return err
	}
	n := int(h.Len)
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.payload = d.buf[:n:n]
	if err := d.readFull(d.payload); err != nil {
		return err
	}
	p.Action, p.Info, p.ID = h.Action, h.Info, h.ID
	ferr := herr
	if ferr == nil && (d.hb[8] != '\r' || d.hb[9] != '\n') {
		ferr = perr(CodeHeader, ErrBadSeparator, "got %q", d.hb[8:])
	}
	if ferr == nil {
		s, _ := SchemaFor(d.dir, h.Action, h.Info)
		p.Args, ferr = SplitArgs(d.args[:0], d.payload, int(h.Args), s, d.dialect)
	}
	if ferr == nil {
		return nil
	}
	if d.check {
		p.Args = d.args[:0]
		return ferr
	}
	d.ferr = ferr
	p.Args = d.rawSplit(h)
	return nil
}

// rawSplit splits the payload of a broken packet as well as it can.
func (d *Decoder) rawSplit(h Header) [][]byte {
	if s, ok := SchemaFor(d.dir, h.Action, h.Info); ok {
		if args, err := SplitArgs(d.args[:0], d.payload, int(h.Args), s, d.dialect); err == nil {
			return args
		}
	}
	return SplitCRLF(d.args[:0], d.payload, len(d.args))
}

func (d *Decoder) readFull(b []byte) error {
	_, err := io.ReadFull(d.r, b)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
