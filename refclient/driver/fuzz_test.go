package driver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"
)

// noServer dials nothing: odd-length addresses fail at once, the others
// get a connection whose far end is already closed, so HELLO never comes.
// Fuzzed "connect" commands therefore never reach the network.
func noServer(_ context.Context, _, addr string) (net.Conn, error) {
	if len(addr)%2 == 1 {
		return nil, errors.New("fuzz: no server")
	}
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

// driverCodes are the error codes a driver without a server may answer.
var driverCodes = map[string]bool{"bad_command": true, "unsupported": true, "local": true, "timeout": true, "closed": true}

// FuzzDriverCommands feeds arbitrary input lines to Serve with no server
// behind it. It must not panic, must end in bounded time, must write only
// JSON objects (the handshake first), and must answer every command line
// it read, up to and including a quit, with one response whose error code
// is one of the documented ones.
func FuzzDriverCommands(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"cmd":"connect","addr":"127.0.0.1:9","dialect":"spec"}` + "\n" + `{"id":2,"cmd":"login","user":"alice"}` + "\n" + `{"id":3,"cmd":"quit"}`,
		`{"id":1,"cmd":"connect","addr":"127.0.0.1:99","tls":true,"insecure":true,"keepalive_ms":-1}`,
		`{"id":1,"cmd":"register","user":"bob","key_pem":"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}`,
		`{"id":1,"cmd":"admin","op":"shutdown","args":["x"]}` + "\n" + `{"id":2,"cmd":"admin","op":"chgperms","args":["a","300"]}`,
		`{"id":1,"cmd":"list_users","kind":"online_perms"}` + "\n" + `{"id":2,"cmd":"subscribe","hook":"bogus"}`,
		`{"id":7,"cmd":"reconnect"}` + "\n" + `{"id":8,"cmd":"close"}` + "\n" + `{"id":9,"cmd":"keepalive"}`,
		`{"id":1e400,"cmd":"quit"}` + "\n" + `not json` + "\n" + `[1,2]` + "\n" + `{"cmd":""}` + "\n" + `null`,
		`{"id":1,"cmd":"connect","dialect":"klingon"}` + "\r\n" + `{"id":2,"cmd":"quit"}` + "\n" + `{"id":3,"cmd":"logout"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return // the line limit (1 MiB) is tested elsewhere; keep runs short
		}
		want := expectedResponses(data)
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			done <- Serve(ctx, bytes.NewReader(data), &out, Options{RequestTimeout: time.Second, DialContext: noServer})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Serve did not return")
		}
		if time.Since(start) > 8*time.Second {
			t.Fatalf("Serve took %v without a server", time.Since(start))
		}
		checkDriverOutput(t, out.Bytes(), want)
	})
}

// expectedResponses counts the command lines Serve reads: non-empty lines
// up to and including the first quit.
func expectedResponses(data []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		n++
		var c Command
		if json.Unmarshal(sc.Bytes(), &c) == nil && c.Cmd == "quit" {
			break
		}
	}
	return n
}

func checkDriverOutput(t *testing.T, out []byte, want int) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	if len(lines) == 0 {
		t.Fatal("no handshake line")
	}
	var hs map[string]any
	if err := json.Unmarshal(lines[0], &hs); err != nil || hs["driver"] != "gochat-driver" {
		t.Fatalf("first line %q is not the handshake", lines[0])
	}
	got := 0
	for _, ln := range lines[1:] {
		var m map[string]any
		if err := json.Unmarshal(ln, &m); err != nil || m == nil {
			t.Fatalf("output line %q is not a JSON object", ln)
		}
		if _, isEvent := m["event"]; isEvent {
			t.Fatalf("event %q without a server", ln)
		}
		if _, ok := m["id"].(float64); !ok {
			t.Fatalf("response %q has no numeric id", ln)
		}
		ok, isBool := m["ok"].(bool)
		if !isBool {
			t.Fatalf("response %q has no ok", ln)
		}
		if !ok {
			e, _ := m["error"].(map[string]any)
			code, _ := e["code"].(string)
			if !driverCodes[code] {
				t.Fatalf("response %q: error code %q is not a documented one", ln, code)
			}
		}
		got++
	}
	if got != want {
		t.Fatalf("%d responses to %d command lines:\n%s", got, want, out)
	}
}
