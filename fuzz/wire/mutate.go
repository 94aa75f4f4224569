package wire

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// names used in transcripts; the fuzzer fills them from its accounts.
type roles struct {
	self, bystander string
	key             []byte // the fuzz account's key in the dialect (already registered: REG gets ERR_EXISTS)
	dialect         spec.Dialect
	// Admin mode (admin.go): the admin account, the account ADMIN
	// operations may hit, and the names they must never hit.
	admin, victim string
	keep          []string
}

func (r roles) pkt(a spec.Action, info uint8, id uint16, args ...[]byte) []byte {
	p := &spec.Packet{Action: a, Info: info, ID: id, Args: args}
	b, err := spec.MarshalPacket(p, r.dialect)
	if err != nil {
		panic(fmt.Sprintf("transcript packet %v: %v", p, err)) // a bug in the table below
	}
	return b
}

func (r roles) stamp() []byte { return r.dialect.AppendTimestamp(nil, time.Unix(1700000000, 0)) }

// transcripts are valid request sequences, as packets. Unauthenticated ones
// run right after HELLO, authenticated ones after a login.
func (r roles) transcripts(auth bool) [][][]byte {
	const ff = spec.EmptyInfo
	self, by := []byte(r.self), []byte(r.bystander)
	ct := append(bytes.Repeat([]byte{0xA5}, 100), '\r', '\n', 0x01)
	keep := r.pkt(spec.KEEP, ff, 9)
	if !auth {
		return [][][]byte{
			{r.pkt(spec.REG, ff, 1, []byte("fznew"), r.key), keep, r.pkt(spec.LOGIN, ff, 2, self)},
			{r.pkt(spec.LOGIN, ff, 1, self), r.pkt(spec.VERIF, ff, 2, self, bytes.Repeat([]byte("x"), spec.ChallengeLen))},
			{keep, r.pkt(spec.REQ, ff, 3, by), r.pkt(spec.USRS, 0, 4), r.pkt(spec.MSG, ff, 5, by, r.stamp(), ct), keep},
			{r.pkt(spec.RECIV, ff, 6, nil...), r.pkt(spec.SUB, 1, 7), r.pkt(spec.UNSUB, 0, 8), r.pkt(spec.LOGOUT, ff, 10), keep},
		}
	}
	return [][][]byte{
		{r.pkt(spec.MSG, ff, 1, by, r.stamp(), ct), keep, r.pkt(spec.RECIV, ff, 2), r.pkt(spec.REQ, ff, 3, by)},
		{r.pkt(spec.USRS, 0, 1), r.pkt(spec.USRS, 3, 2), keep, r.pkt(spec.SUB, 0, 3), r.pkt(spec.UNSUB, 2, 4)},
		{keep, r.pkt(spec.REQ, ff, 5, self), r.pkt(spec.ADMIN, 5, 6, []byte("motd")), r.pkt(spec.LOGOUT, ff, 7), r.pkt(spec.LOGIN, ff, 8, self)},
	}
}

var interesting = map[string][]int{
	"version":  {0, 2, 15},
	"action":   {0, 1, 2, 3, 6, 0x0a, 0x0d, 0x11, 0x12, 0x13, 0xff},
	"info":     {0, 1, 4, 5, 9, 0xfe, 0xff},
	"args":     {0, 1, 2, 3, 13, 14, 15},
	"len":      {0, 1, 2, 3, 2047, 2049, 16383},
	"id":       {0, 1, 1023},
	"reserved": {0, 0x1234},
}

var fields = []string{"version", "action", "info", "args", "len", "id", "reserved"}

// mutate returns a mutated copy of the transcript and a short description.
func mutate(rng *rand.Rand, pkts [][]byte) ([]byte, string) {
	ps := make([][]byte, len(pkts))
	for i, p := range pkts {
		ps[i] = bytes.Clone(p)
	}
	if rng.IntN(20) == 0 {
		return bytes.Join(ps, nil), "none"
	}
	var desc []string
	for n := 1 + rng.IntN(3); n > 0; n-- {
		var d string
		ps, d = mutateOnce(rng, ps)
		desc = append(desc, d)
	}
	return bytes.Join(ps, nil), fmt.Sprint(desc)
}

func mutateOnce(rng *rand.Rand, ps [][]byte) ([][]byte, string) {
	if len(ps) == 0 {
		return [][]byte{{byte(rng.IntN(256))}}, "seed-byte"
	}
	i := rng.IntN(len(ps))
	p := ps[i]
	switch rng.IntN(11) {
	case 0, 1: // header field override
		f := fields[rng.IntN(len(fields))]
		vals := interesting[f]
		v := vals[rng.IntN(len(vals))]
		if rng.IntN(4) == 0 {
			v = rng.IntN(1 << 16)
		}
		setField(p, f, v)
		return ps, fmt.Sprintf("%s[%d]=%d", f, i, v)
	case 2: // bit flips, mostly in headers
		if len(p) == 0 { // an earlier cut emptied it
			return ps, fmt.Sprintf("bitflip[%d]-empty", i)
		}
		for k := 1 + rng.IntN(3); k > 0; k-- {
			n := len(p)
			if rng.IntN(3) > 0 && n >= spec.HeaderSize {
				n = spec.HeaderSize
			}
			pos := rng.IntN(n)
			p[pos] ^= 1 << rng.IntN(8)
		}
		return ps, fmt.Sprintf("bitflip[%d]", i)
	case 3: // wrong counts
		setField(p, "args", rng.IntN(16))
		return ps, fmt.Sprintf("args[%d]", i)
	case 4: // oversize length, sometimes backed by filler
		l := rng.IntN(spec.MaxLen + 1)
		setField(p, "len", l)
		if rng.IntN(2) == 0 && l > len(p)-10 && l-(len(p)-10) < 4096 {
			ps[i] = append(p, bytes.Repeat([]byte{'z'}, l-(len(p)-10))...)
		}
		return ps, fmt.Sprintf("len[%d]=%d", i, l)
	case 5: // one oversize or limit-sized argument
		n := []int{2045, 2046, 2047, 2048, 2049, 4000}[rng.IntN(6)]
		arg := append(bytes.Repeat([]byte{'a'}, n), '\r', '\n')
		setField(p, "args", 1)
		setField(p, "len", len(arg))
		ps[i] = append(p[:min(len(p), spec.HeaderSize+2):min(len(p), spec.HeaderSize+2)], arg...)
		return ps, fmt.Sprintf("bigarg[%d]=%d", i, n)
	case 6: // header separator
		if len(p) >= spec.HeaderSize+2 {
			seps := [][]byte{[]byte("\n\n"), []byte("XY"), []byte("\r\r"), []byte("\n\r"), {0, 0}}
			copy(p[spec.HeaderSize:], seps[rng.IntN(len(seps))])
		}
		return ps, fmt.Sprintf("sep[%d]", i)
	case 7: // truncate one packet
		ps[i] = p[:rng.IntN(len(p)+1)]
		return ps, fmt.Sprintf("cut[%d]", i)
	case 8: // duplicate or drop a packet
		if rng.IntN(2) == 0 {
			return append(ps[:i+1:i+1], append([][]byte{bytes.Clone(p)}, ps[i+1:]...)...), fmt.Sprintf("dup[%d]", i)
		}
		return append(ps[:i:i], ps[i+1:]...), fmt.Sprintf("drop[%d]", i)
	case 9: // insert random bytes
		junk := make([]byte, 1+rng.IntN(12))
		for k := range junk {
			junk[k] = byte(rng.IntN(256))
		}
		pos := rng.IntN(len(p) + 1)
		ps[i] = append(p[:pos:pos], append(junk, p[pos:]...)...)
		return ps, fmt.Sprintf("insert[%d]", i)
	}
	// missing or doubled final CRLF
	if len(p) > spec.HeaderSize+2 && rng.IntN(2) == 0 {
		ps[i] = p[:len(p)-2]
		return ps, fmt.Sprintf("nocrlf[%d]", i)
	}
	ps[i] = append(p, '\r', '\n')
	return ps, fmt.Sprintf("extracrlf[%d]", i)
}

// setField rewrites one header field of packet p (if it has a header).
func setField(p []byte, f string, v int) {
	if len(p) < spec.HeaderSize {
		return
	}
	h := spec.ParseHeader(p)
	switch f {
	case "version":
		h.Version = uint8(v)
	case "action":
		h.Action = spec.Action(v)
	case "info":
		h.Info = uint8(v)
	case "args":
		h.Args = uint8(v)
	case "len":
		h.Len = uint16(v)
	case "id":
		h.ID = uint16(v)
	case "reserved":
		h.Reserved = uint16(v)
	}
	b := h.Bytes()
	copy(p, b[:])
}

// delivery is how the bytes reach the server.
type delivery string

const (
	oneWrite   delivery = "write"
	splitWrite delivery = "split"      // a few random cut points
	byteWise   delivery = "bytewise"   // one byte per write
	slowWrite  delivery = "slow"       // split with pauses
	abrupt     delivery = "close"      // write, then close without reading
	slowReader delivery = "slowread"   // write, wait, then read
	interleave delivery = "interleave" // two connections write concurrently
)

var deliveries = []delivery{oneWrite, oneWrite, oneWrite, splitWrite, byteWise, slowWrite, abrupt, slowReader, interleave}

// chunks cuts b as the delivery says.
func chunks(rng *rand.Rand, d delivery, b []byte) [][]byte {
	switch d {
	case byteWise:
		if len(b) > 4096 { // keep a case short; the tail goes in one write
			return append(bytes.Split(b[:4096], nil), b[4096:])
		}
		return bytes.Split(b, nil)
	case splitWrite, slowWrite:
		var out [][]byte
		for len(b) > 1 && len(out) < 8 {
			n := 1 + rng.IntN(len(b)-1)
			out, b = append(out, b[:n]), b[n:]
		}
		return append(out, b)
	}
	return [][]byte{b}
}
