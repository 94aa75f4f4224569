package core

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// Each admin operation's exact Info and arguments, in both dialects.
func TestAdminWireFormat(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		cases := []struct {
			name string
			call func(c *Client, ctx context.Context) error
			op   spec.AdminOp
			args [][]byte
		}{
			{"shutdown", func(c *Client, ctx context.Context) error { return c.AdminShutdown(ctx, at) },
				spec.AdminShtdwn, [][]byte{d.AppendTimestamp(nil, at)}},
			{"dereg", func(c *Client, ctx context.Context) error { return c.AdminDereg(ctx, "Eve") },
				spec.AdminDereg, [][]byte{[]byte("eve")}},
			{"setperms", func(c *Client, ctx context.Context) error { return c.AdminSetPerm(ctx, "bob", 1) },
				spec.AdminChgPerms, [][]byte{[]byte("bob"), {1}}},
			{"kick", func(c *Client, ctx context.Context) error { return c.AdminKick(ctx, "bob") },
				spec.AdminKick, [][]byte{[]byte("bob")}},
			{"motd", func(c *Client, ctx context.Context) error { return c.AdminMOTD(ctx, "new\r\nmotd") },
				spec.AdminMotd, [][]byte{[]byte("new\r\nmotd")}},
		}
		for _, tc := range cases {
			t.Run(d.String()+"/"+tc.name, func(t *testing.T) {
				c, f := pipePair(t, Config{Dialect: d})
				done := make(chan error, 1)
				go func() { done <- tc.call(c, testCtx(t)) }()
				p := f.recv()
				assert.Equal(t, spec.ADMIN, p.Action)
				assert.Equal(t, uint8(tc.op), p.Info)
				assert.Equal(t, tc.args, p.Args)
				f.reply(p, spec.OK)
				require.NoError(t, <-done)
			})
		}
	}
}

func TestBroadcastOverTLS(t *testing.T) {
	c, f := tlsPair(t, Config{})
	done := make(chan error, 1)
	go func() { done <- c.AdminBroadcast(testCtx(t), "maintenance at noon") }()
	p := f.recv()
	assert.Equal(t, uint8(spec.AdminBrdcast), p.Info)
	assert.Equal(t, [][]byte{[]byte("maintenance at noon")}, p.Args)
	f.replyErr(p, spec.CodePerms)
	assert.True(t, IsCode(<-done, spec.CodePerms))
}

// gochat1 replies carry PEM keys; RequestKey returns canonical DER.
func TestRequestKeyGochat1PEM(t *testing.T) {
	_, bob := testKeys(t)
	c, f := pipePair(t, Config{Dialect: spec.DialectGochat1})
	type res struct {
		der  []byte
		perm uint8
		err  error
	}
	done := make(chan res, 1)
	go func() { _, der, perm, err := c.RequestKey(testCtx(t), "bob"); done <- res{der, perm, err} }()
	pem, err := spec.DialectGochat1.MarshalPublicKey(&bob.PublicKey)
	require.NoError(t, err)
	f.reply(f.recv(), spec.REQ, []byte("bob"), pem, []byte{2})
	r := <-done
	require.NoError(t, r.err)
	der, _ := spec.DialectSpec.MarshalPublicKey(&bob.PublicKey)
	assert.Equal(t, der, r.der)
	assert.Equal(t, uint8(2), r.perm)
}

func TestDupSessHook(t *testing.T) {
	c, f := pipePair(t, Config{})
	p := spec.NewPacket(spec.HOOK, 0, []byte("127.0.0.1"))
	p.Info = uint8(spec.HookDupSess)
	f.send(p)
	h := nextEvent(t, c).(Hook)
	assert.Equal(t, Hook{Kind: spec.HookDupSess, IP: "127.0.0.1"}, h)
	assert.Equal(t, "duplicated_session from 127.0.0.1", FormatHook(h))
}
