package clientrun

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/conformance/scenario"
)

// FuzzDriverLines feeds arbitrary adapter output to the runner's side of
// the driver protocol: the line reader (proc.read), the filing of
// responses and events (fileLine), and the checks of responses and events
// against expectations (response, expectEvent, checkFields). None of it
// may panic or wait past its deadline; every line is filed as a response,
// an event, or a reported non-object line.
func FuzzDriverLines(f *testing.F) {
	for _, s := range []string{
		`{"driver":"gochat-driver","version":1,"client":"x"}` + "\n" + `{"event":"connected","motd":"hi"}` + "\n" + `{"id":1,"ok":true}`,
		`{"id":2,"ok":true,"user":"bob","perm":0,"fingerprint":"9c1e"}` + "\n" + `{"id":3,"ok":false,"error":{"code":"ERR_EXISTS","message":"x"}}`,
		`{"id":1,"ok":false,"error":{"code":"unsupported"}}` + "\n" + `{"id":1,"ok":"yes","error":"flat"}`,
		`{"event":"message","from":"bob","text":"hi","stamp":1700000000}` + "\n" + `{"event":"hook","hook":"new_login","user":"a","perm":1}`,
		`{"event":"shutdown","at":1e300}` + "\n" + `{"event":{"nested":[1,2]}}` + "\n" + `{"id":-1e20,"ok":true}`,
		`not json` + "\n" + `[1]` + "\n" + `null` + "\n" + `{"id":1,"ok":true,"users":[{"name":"a","perm":1}]}`,
		"{\"id\":1}\r\n\n\n{\"id\":1e400}\n{\"event\":null}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		x := newExec(context.Background(), &scenario.Scenario{ID: "FUZZ-LINES"}, Options{TimeoutScale: 1}, &runner.Result{})
		p := &proc{lines: make(chan map[string]any, 4)}
		go p.read(bytes.NewReader(data))
		lines := 0
		for m := range p.lines {
			lines++
			x.fileLine(m)
		}
		bad := len(x.res.Failures)
		if len(x.events)+bad > lines || (lines > 0 && len(x.events)+bad+len(x.responses) == 0) {
			t.Fatalf("%d lines filed as %d events, %d responses, %d bad", lines, len(x.events), len(x.responses), bad)
		}
		exerciseChecks(t, x)
	})
}

// exerciseChecks runs the response and event checks over what was filed,
// with expectations that reach every field comparison path.
func exerciseChecks(t *testing.T, x *exec) {
	st := &scenario.ClientStep{}
	fields := map[string]string{"user": "bob", "perm": "1", "ok": "true", "users": "any", "fingerprint": "9c1e", "stamp": "1700000000"}
	no := false
	wants := []*scenario.Response{
		{Within: time.Nanosecond},
		{OK: &no, Error: "ERR_EXISTS", Within: time.Nanosecond},
		{Fields: fields, Within: time.Nanosecond},
	}
	deadline := time.Now().Add(5 * time.Second)
	n := 0
	for id := range x.responses {
		if n++; n > 8 {
			break
		}
		for _, w := range wants {
			x.stopped = false
			x.response(st, w, id)
		}
	}
	x.stopped = false
	x.response(st, wants[0], -12345) // never answered: a bounded wait, then a failure
	for _, ev := range []string{"connected", "message", "hook", "shutdown", "server_error", "disconnected"} {
		x.stopped = false
		x.expectEvent(&scenario.ClientStep{ExpectEvent: &scenario.ExpectEvent{Event: ev, Fields: fields, Within: time.Nanosecond}})
	}
	if time.Now().After(deadline) {
		t.Fatal("checks waited past their deadlines")
	}
}
