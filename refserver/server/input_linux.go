package server

import (
	"syscall"
	"unsafe"
)

const probeSupported = true

// kernelBytes is FIONREAD: bytes received and not yet read; -1 on error.
func (p *inputProbe) kernelBytes() int {
	if p.inq == nil {
		// Built once: a closure made per call would allocate per packet.
		p.inq = func(fd uintptr) {
			var n int32
			_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
			p.n = -1
			if errno == 0 {
				p.n = int(n)
			}
		}
		p.peek = func(fd uintptr) {
			n, _, err := syscall.Recvfrom(int(fd), p.dst, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			p.n = -1
			if err == nil {
				p.n = n
			}
		}
	}
	p.n = -1
	_ = p.raw.Control(p.inq)
	return p.n
}

// peekKernel copies the next len(dst) received bytes into dst without
// consuming them; false if fewer are there. Call after kernelBytes.
func (p *inputProbe) peekKernel(dst []byte) bool {
	p.n, p.dst = -1, dst
	_ = p.raw.Control(p.peek)
	p.dst = nil
	return p.n == len(dst)
}
