package spec

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHelloExactBytes(t *testing.T) {
	motd := []byte("Welcome to the server!")
	p := NewPacket(HELLO, NullID, motd)
	b, err := MarshalPacket(p, DialectSpec)
	require.NoError(t, err)
	want := append([]byte{0x11, 0x2F, 0xF1, 0x00, 0x60, 0x00, 0xFF, 0xFF, '\r', '\n'}, motd...)
	want = append(want, '\r', '\n')
	require.Equal(t, want, b)
	require.Equal(t, Header{Version: 1, Action: HELLO, Info: 0xFF, Args: 1, Len: 24, ID: 0, Reserved: 0xFFFF}, ParseHeader(b))

	var got Packet
	dec := NewDecoder(bytes.NewReader(b), ClientBound, DialectSpec)
	require.NoError(t, dec.ReadPacket(&got))
	require.Equal(t, HELLO, got.Action)
	require.Equal(t, [][]byte{motd}, got.Args)
}
