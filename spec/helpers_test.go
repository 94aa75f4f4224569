package spec

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testKey loads the committed 4096-bit fixture key (generating keys in
// tests is slow).
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/key1.pem")
	if err != nil {
		panic(err)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		panic(err)
	}
	return k
})

// crlfKey returns a 4096-bit public key whose PKIX DER contains CRLF:
// the committed fixture if present, else a crafted modulus (parses like
// any key; never used for encryption).
var crlfKey = sync.OnceValue(func() *rsa.PublicKey {
	if b, err := os.ReadFile("testdata/key_crlf.pem"); err == nil {
		if k, err := ParsePrivateKey(b); err == nil {
			return &k.PublicKey
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := make([]byte, 512)
	for i := range n {
		n[i] = byte(r.Uint32())
	}
	n[0] |= 0x80
	n[511] |= 1
	n[200], n[201] = '\r', '\n'
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
})

func derOf(t testing.TB, pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return der
}

// crlfBlob returns n pseudo-random bytes containing CRLF in the middle,
// starting with LF and ending with CR, the worst case for splitting.
func crlfBlob(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0] = '\n'
	b[n/2], b[n/2+1] = '\r', '\n'
	b[n-1] = '\r'
	return b
}

// crlfTime is a spec timestamp whose 4 bytes are 0D 0A 0D 0A.
var crlfTime = time.Unix(0x0D0A0D0A, 0)

// sampleArg returns a legal argument of kind k in dialect d; tricky
// selects values that contain or border on CRLF.
func sampleArg(t testing.TB, k Kind, d Dialect, tricky bool) []byte {
	switch k {
	case KindUsername:
		return []byte("alice")
	case KindKey:
		pub := &testKey().PublicKey
		if tricky {
			pub = crlfKey()
		}
		b, err := d.MarshalPublicKey(pub)
		require.NoError(t, err)
		return b
	case KindTimestamp:
		if tricky {
			if d == DialectSpec {
				return d.AppendTimestamp(nil, crlfTime)
			}
			// A varint ending in 0x0D (dates 2025-04..2029-07).
			return d.AppendTimestamp(nil, time.Unix(1795535841, 0))
		}
		return d.AppendTimestamp(nil, time.Unix(1700000000, 0))
	case KindPerm:
		if tricky {
			return []byte{'\r'}
		}
		return []byte{1}
	case KindOpaque:
		if tricky {
			return crlfBlob(512, 3)
		}
		return bytes.Repeat([]byte{0xAB}, 512)
	case KindText:
		if tricky {
			return []byte("\nline one\r\nline two\r")
		}
		return []byte("Welcome to the server!")
	case KindUserList:
		return []byte("alice\nbob 1")
	case KindRaw:
		return []byte("raw")
	}
	t.Fatalf("unknown kind %v", k)
	return nil
}

// infoVariants lists the Info values worth testing for a in dir.
func infoVariants(dir Direction, a Action) []uint8 {
	if !takesInfo(dir, a) {
		return []uint8{EmptyInfo}
	}
	switch a {
	case ERR:
		v := make([]uint8, 0, 24)
		for c := range uint8(len(errCodeNames)) {
			v = append(v, c)
		}
		return append(v, 0x40)
	case HOOK:
		return []uint8{1, 2, 3, 4}
	case ADMIN:
		return []uint8{0, 1, 2, 3, 4, 5, 6, 0xFE}
	case USRS:
		return []uint8{0, 1, 2, 3, 4}
	}
	return []uint8{0, 1, 2, 3, 4, 5} // SUB, UNSUB
}

// argCounts picks the argument counts to test for a schema.
func argCounts(s Schema) []int {
	if s.Max-s.Min > 3 {
		return []int{s.Min, s.Min + 1, s.Max}
	}
	var v []int
	for n := s.Min; n <= s.Max; n++ {
		v = append(v, n)
	}
	return v
}

func actions(dir Direction) []Action {
	var v []Action
	for a := OK; a <= HELLO; a++ {
		if a.Allowed(dir) {
			v = append(v, a)
		}
	}
	return v
}

func idFor(dir Direction, a Action) uint16 {
	if dir == ClientBound {
		switch a {
		case HELLO, SHTDWN, HOOK, RECIV, ERR:
			return NullID
		}
	}
	return 42
}

// samplePackets yields one legal packet per (action, info, arg count,
// trickiness) for dir and d.
func samplePackets(t testing.TB, dir Direction, d Dialect) []*Packet {
	var out []*Packet
	for _, a := range actions(dir) {
		for _, info := range infoVariants(dir, a) {
			s, ok := SchemaFor(dir, a, info)
			require.True(t, ok, "%s %s info %d", dir, a, info)
			for _, n := range argCounts(s) {
				for _, tricky := range []bool{false, true} {
					p := &Packet{Action: a, Info: info, ID: idFor(dir, a)}
					for i := range n {
						p.Args = append(p.Args, sampleArg(t, s.Kinds[i], d, tricky))
					}
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// chunkReader returns its data in pieces of pseudo-random size.
type chunkReader struct {
	data []byte
	r    *rand.Rand
}

func newChunkReader(data []byte, seed uint64) *chunkReader {
	return &chunkReader{data: data, r: rand.New(rand.NewPCG(seed, 99))}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1 + c.r.IntN(min(len(c.data), len(p), 37))
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}
