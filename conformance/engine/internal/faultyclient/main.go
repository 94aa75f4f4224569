// Command faultyclient is the reference client's driver (docs/driver.md)
// with one fault injected, so tests can show that client scenarios catch
// broken clients. The fault is chosen with -fault:
//
//	msg-byte      flip a bit in the last ciphertext byte of every MSG
//	verif-wrong   change the last byte of the VERIF plaintext (wrong answer)
//	id-zero       send every packet with ID 0
//	brdcast-plain send ADMIN BRDCAST over plain TCP when told to broadcast
//	              (the reference client refuses; this one sends it anyway)
//	ignore-malformed  silently drop a server packet whose header breaks the
//	              rules instead of closing the connection
//	crash-shtdwn  crash (exit 2, like an unrecovered panic) on a SHTDWN
//	              without arguments
//	lenient-version  read every packet as version 1, whatever it says
//	insecure-tls  never verify the server's certificate
//	hang-on-close a command pending when the connection ends never completes
//	shtdwn-ms     report a shutdown time in milliseconds
//	swap-messages report every two message events in reverse order
//	no-pinning    take a changed key for a known user silently
//	msg-plaintext send every MSG with its text in clear instead of a ciphertext
//
// -events names the events the adapter reports; it declares them in the
// handshake ("events", docs/driver.md) and drops the others.
//
// -only names the driver commands the adapter supports (comma separated);
// every other command but quit and close is answered "unsupported", which
// makes it a deliberately thin adapter around a complete client.
//
// Byte faults rely on the reference client writing one packet per Write
// call on plain TCP, and read faults on the runner's packets arriving one
// per Read; both apply to plain TCP only.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/gochatproto/gochat/refclient/driver"
	"github.com/gochatproto/gochat/spec"
)

func main() {
	fault := flag.String("fault", "", "msg-byte, verif-wrong, id-zero or brdcast-plain (empty: none)")
	only := flag.String("only", "", "comma-separated driver commands to support (empty: all)")
	events := flag.String("events", "*", "comma-separated driver events to report and declare in the handshake (*: all)")
	flag.Parse()
	corrupt, ok := faults[*fault]
	if !ok {
		corrupt = faults[""]
	}
	onRead := readFaults[*fault]
	report := reportFaults[*fault]
	if !ok && onRead == nil && report == nil && !slices.Contains(driverFaults, *fault) {
		fmt.Fprintf(os.Stderr, "faultyclient: unknown -fault %q\n", *fault)
		os.Exit(2)
	}
	f := &filter{out: &lockedWriter{w: os.Stdout}, brdcast: *fault == "brdcast-plain", insecure: *fault == "insecure-tls"}
	if report != nil {
		f.out.rewrite = report()
	}
	if *events != "*" {
		f.out.rewrite = onlyEvents(strings.Split(*events, ","), f.out.rewrite)
	}
	if *only != "" {
		f.only = map[string]bool{"quit": true, "close": true}
		for _, c := range strings.Split(*only, ",") {
			f.only[strings.TrimSpace(c)] = true
		}
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		fc := &faultConn{Conn: c, corrupt: corrupt}
		if f.setConn(fc) {
			fc.onRead = onRead
			if *fault == "msg-plaintext" {
				fc.rewrite = f.plaintextMSG
			}
		}
		return fc, nil
	}
	in := f.start(os.Stdin)
	o := driver.Options{Client: "faultyclient -fault " + *fault + " -only " + *only, DialContext: dial,
		NoPinning: *fault == "no-pinning"}
	if err := driver.Serve(context.Background(), in, f.out, o); err != nil {
		fmt.Fprintln(os.Stderr, "faultyclient:", err)
		os.Exit(1)
	}
}

// driverFaults are handled by the filter or the driver's options.
var driverFaults = []string{"brdcast-plain", "insecure-tls", "no-pinning", "msg-plaintext"}

var faults = map[string]func(b []byte){
	"":            func([]byte) {},
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

// readFaults see each chunk the client reads on plain TCP; true drops it.
// They may change the chunk in place.
var readFaults = map[string]func(b []byte) bool{
	"lenient-version": func(b []byte) bool {
		b[0] = b[0]&0x0F | spec.Version<<4
		return false
	},
	"ignore-malformed": func(b []byte) bool {
		return spec.CheckClientBound(spec.ParseHeader(b)) != nil
	},
	"crash-shtdwn": func(b []byte) bool {
		if h := spec.ParseHeader(b); h.Action == spec.SHTDWN && h.Args == 0 {
			fmt.Fprintln(os.Stderr, "panic: runtime error: index out of range [0] with length 0 (faultyclient crash-shtdwn)")
			os.Exit(2)
		}
		return false
	},
}

type faultConn struct {
	net.Conn
	corrupt func([]byte)
	onRead  func([]byte) bool
	rewrite func([]byte) []byte // replaces a whole packet (nil: none)
}

func (c *faultConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if c.onRead == nil || n < spec.HeaderSize || err != nil || !c.onRead(p[:n]) {
			return n, err
		}
	}
}

func (c *faultConn) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= spec.HeaderSize {
		p = append([]byte(nil), p...)
		c.corrupt(p)
		if c.rewrite != nil {
			p = c.rewrite(p)
		}
	}
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
