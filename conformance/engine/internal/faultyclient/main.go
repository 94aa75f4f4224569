// Command faultyclient is the reference client's driver (docs/driver.md)
// with one fault injected into the bytes it sends, so tests can show that
// client scenarios catch broken clients. The fault is chosen with -fault:
//
//	msg-byte     flip a bit in the last ciphertext byte of every MSG
//	verif-wrong  change the last byte of the VERIF plaintext (wrong answer)
//	id-zero      send every packet with ID 0
//
// It relies on the reference client writing one packet per Write call on
// plain TCP.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/gochatproto/gochat/refclient/driver"
	"github.com/gochatproto/gochat/spec"
)

func main() {
	fault := flag.String("fault", "", "msg-byte, verif-wrong or id-zero")
	flag.Parse()
	corrupt, ok := faults[*fault]
	if !ok {
		fmt.Fprintf(os.Stderr, "faultyclient: unknown -fault %q\n", *fault)
		os.Exit(2)
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &faultConn{Conn: c, corrupt: corrupt}, nil
	}
	o := driver.Options{Client: "faultyclient -fault " + *fault, DialContext: dial}
	if err := driver.Serve(context.Background(), os.Stdin, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "faultyclient:", err)
		os.Exit(1)
	}
}

var faults = map[string]func(b []byte){
	"msg-byte":    lastArgByte(spec.MSG),
	"verif-wrong": lastArgByte(spec.VERIF),
	"id-zero": func(b []byte) {
		h := spec.ParseHeader(b)
		h.ID = 0
		hb := h.Bytes()
		copy(b, hb[:])
	},
}

// lastArgByte changes the byte before the final CRLF of packets of a.
func lastArgByte(a spec.Action) func(b []byte) {
	return func(b []byte) {
		if spec.ParseHeader(b).Action == a && len(b) > spec.HeaderSize+4 {
			b[len(b)-3] ^= 0x01
		}
	}
}

type faultConn struct {
	net.Conn
	corrupt func([]byte)
}

func (c *faultConn) Write(p []byte) (int, error) {
	if len(p) >= spec.HeaderSize {
		p = append([]byte(nil), p...)
		c.corrupt(p)
	}
	return c.Conn.Write(p)
}
