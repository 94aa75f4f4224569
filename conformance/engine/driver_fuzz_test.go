package engine

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
)

// FuzzDriverLines feeds arbitrary adapter output to the runner's side of
// the driver protocol: the line reader (proc.read), the filing of
// responses and events (clientSide.line), and the checks of responses and
// events against expectations (response, expectEvent, checkFields). None
// of it may panic or wait past its deadline; every line is filed as a
// response, an event, or a reported non-object line.
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
		e := &Engine{o: Options{Role: scenario.RoleClient, TimeoutScale: 1}}
		sc := &scenario.Scenario{ID: "FUZZ-LINES", Role: scenario.RoleClient}
		x := newExec(context.Background(), e, sc, &result.Result{}, time.Now())
		s := &clientSide{responses: map[int64]map[string]any{}, cmds: map[int64]string{}}
		x.side = s
		p := &proc{lines: make(chan map[string]any, 4)}
		go p.read(bytes.NewReader(data))
		lines := 0
		for m := range p.lines {
			lines++
			s.line(x, m)
		}
		bad := len(x.res.Failures)
		if len(s.events)+bad > lines || (lines > 0 && len(s.events)+bad+len(s.responses) == 0) {
			t.Fatalf("%d lines filed as %d events, %d responses, %d bad", lines, len(s.events), len(s.responses), bad)
		}
		exerciseChecks(t, x, s)
	})
}

// exerciseChecks runs the response and event checks over what was filed,
// with expectations that reach every field comparison path.
func exerciseChecks(t *testing.T, x *exec, s *clientSide) {
	fields := map[string]scenario.Template{}
	for k, v := range map[string]string{"user": "bob", "perm": "1", "ok": "true", "users": "any",
		"fingerprint": "9c1e", "stamp": "1700000000"} {
		fields[k] = scenario.MustTemplate(v)
	}
	no := false
	wants := []*scenario.Response{
		{Within: time.Nanosecond},
		{OK: &no, Error: "ERR_EXISTS", Within: time.Nanosecond},
		{Fields: fields, Within: time.Nanosecond},
	}
	deadline := time.Now().Add(5 * time.Second)
	n := 0
	for id := range s.responses {
		if n++; n > 8 {
			break
		}
		for _, w := range wants {
			x.stopped = false
			s.response(x, w, id)
		}
	}
	x.stopped = false
	s.response(x, wants[0], -12345) // never answered: a bounded wait, then a failure
	for _, ev := range []string{"connected", "message", "hook", "shutdown", "server_error", "disconnected"} {
		x.stopped = false
		s.expectEvent(x, &scenario.ExpectEvent{Event: ev, Fields: fields, Within: time.Nanosecond})
	}
	if time.Now().After(deadline) {
		t.Fatal("checks waited past their deadlines")
	}
}
