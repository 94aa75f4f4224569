package load

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:9037", false, true},
		{"127.1.2.3:1", false, true},
		{"[::1]:9037", false, true},
		{"localhost:9037", false, true},
		{"LOCALHOST:9037", false, true},
		{"10.0.0.1:9037", false, false},
		{"[::ffff:10.0.0.1]:9037", false, false},
		{"example.org:9037", false, false},
		{"localhost.example.org:9037", false, false},
		{":9037", false, false},
		{"0.0.0.0:9037", false, false},
		{"127.0.0.1", false, false},
		{"127.0.0.1:", false, false},
		{"10.0.0.1:9037", true, true},
		{"example.org:9037", true, true},
		{"example.org", true, false},
	} {
		err := CheckAddr(tc.addr, tc.remote)
		if tc.ok {
			assert.NoError(t, err, tc.addr)
		} else {
			assert.Error(t, err, tc.addr)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultOptions()
	assert.NoError(t, ok.Validate())
	for name, mut := range map[string]func(*Options){
		"remote":       func(o *Options) { o.Addr = "192.0.2.1:9037" },
		"unbounded":    func(o *Options) { o.Duration, o.Count = 0, 0 },
		"negative":     func(o *Options) { o.Warmup = -time.Second },
		"window":       func(o *Options) { o.Window = 1000 },
		"zero pairs":   func(o *Options) { o.Pairs = 0 },
		"pool":         func(o *Options) { o.Pairs = poolSize },
		"payload":      func(o *Options) { o.Payload = 4096 },
		"prefix":       func(o *Options) { o.Prefix = "Load!" },
		"long prefix":  func(o *Options) { o.Prefix = "abcdefghij" },
		"dialect":      func(o *Options) { o.Dialect = 7 },
		"zero logins":  func(o *Options) { o.Logins = 0 },
		"zero conns":   func(o *Options) { o.Conns = 0 },
		"zero message": func(o *Options) { o.Messages = 0 },
	} {
		o := DefaultOptions()
		mut(&o)
		assert.Error(t, o.Validate(), name)
	}
	o := DefaultOptions()
	o.Duration, o.Count = 0, 10
	assert.NoError(t, o.Validate(), "count alone bounds the run")
	o = DefaultOptions()
	o.Addr, o.AllowRemote = "192.0.2.1:9037", true
	assert.NoError(t, o.Validate())
}

func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	ctx := context.Background()
	assert.Equal(t, 2, Command(ctx, nil, &out, &errb), "no profile")
	assert.Equal(t, 2, Command(ctx, []string{"--addr", "192.0.2.1:9037", "online"}, &out, &errb))
	assert.Contains(t, errb.String(), "loopback")
	assert.Equal(t, 2, Command(ctx, []string{"--dialect", "x", "online"}, &out, &errb))
	assert.Equal(t, 2, Command(ctx, []string{"--bogus"}, &out, &errb))
	assert.Equal(t, 0, Command(ctx, []string{"-h"}, &out, &errb))
	errb.Reset()
	out.Reset()
	code := Command(ctx, []string{"--stub", "--count", "10", "--warmup", "0", "--pairs", "1", "online", "nosuch"}, &out, &errb)
	assert.Equal(t, 1, code, "unknown profile fails the run")
	assert.Contains(t, out.String(), "stub")
	assert.Contains(t, errb.String(), "nosuch")
}
