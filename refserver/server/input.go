package server

import (
	"bufio"
	"io"
	"net"
	"syscall"

	"github.com/gochatproto/gochat/spec"
)

// inputProbe tells the reader whether the next packet has already arrived
// in full, counting what the kernel holds beyond the read buffer. The
// reader flushes the session (answering held MSGs) only before a read
// that may block; with a 4 KiB buffer "may block" would otherwise be
// every 4 KiB of a burst, and each flush of held offline MSGs waits for a
// commit. Asking the kernel keeps a pipelined burst in one flush, so the
// MSGs of many senders share a commit. The probe only answers yes when
// the whole next packet is there, so a read it allows never blocks.
//
// The kernel is asked only when the last socket read filled the buffer it
// was given: a shorter read emptied the socket, so nothing more is likely
// there and one message at a time (online-w1) pays no extra syscall.
type inputProbe struct {
	raw  syscall.RawConn // nil: unknown (TLS, other platforms): always no
	pre  *prefixConn     // bytes replayed from admission
	br   *bufio.Reader
	src  io.Reader // what br reads from
	full bool      // the last read from src filled its buffer
	hdr  [spec.HeaderSize]byte
	// The probe's syscalls and their scratch (see kernelBytes).
	inq, peek func(fd uintptr)
	dst       []byte
	n         int
}

// newInputProbe returns a probe for nc; r is the reader the caller reads
// nc through, and the caller must build its bufio.Reader of size on the
// probe (p.Read), so the probe sees how full each socket read was.
func newInputProbe(nc net.Conn, r io.Reader, size int) *inputProbe {
	p := &inputProbe{src: r}
	p.br = bufio.NewReaderSize(p, size)
	if pc, ok := nc.(*prefixConn); ok {
		p.pre = pc
		nc = pc.Conn
	}
	if sc, ok := nc.(syscall.Conn); ok && probeSupported {
		if raw, err := sc.SyscallConn(); err == nil {
			p.raw = raw
		}
	}
	return p
}

// Read implements io.Reader for the probe's bufio.Reader.
func (p *inputProbe) Read(b []byte) (int, error) {
	n, err := p.src.Read(b)
	p.full = n == len(b)
	return n, err
}

// nextPacketArrived reports whether the packet after what br holds can be
// read without blocking. Called only when br does not hold it whole.
func (p *inputProbe) nextPacketArrived() bool {
	if p.raw == nil || !p.full || (p.pre != nil && len(p.pre.pre) > 0) {
		return false
	}
	avail := p.kernelBytes()
	b := p.br.Buffered()
	if avail <= 0 {
		return false
	}
	if b >= spec.HeaderSize {
		hb, err := p.br.Peek(spec.HeaderSize)
		if err != nil {
			return false
		}
		return avail >= packetSize(hb)-b
	}
	// The header itself is split: peek its rest in the kernel buffer.
	hb, err := p.br.Peek(b)
	if err != nil {
		return false
	}
	copy(p.hdr[:], hb)
	if !p.peekKernel(p.hdr[b:]) {
		return false
	}
	return avail >= packetSize(p.hdr[:])-b
}

// packetSize is the whole packet's size from its header.
func packetSize(hb []byte) int {
	const sepLen = 2 // CRLF after the header
	return spec.HeaderSize + sepLen + int(spec.ParseHeader(hb).Len)
}
