package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/spec"
)

// The login deadline (E-48) closes a connection that is not logged in D
// after its HELLO, with ERR_LOGIN and ID 0; KEEP and a pending
// verification do not extend it; a logged-in connection is left to the
// idle timeout, which is unchanged; a session's end restarts it. Timers
// never fire early, so every "not before" below is exact; the upper
// bounds are only the test's patience.
func TestLoginDeadline(t *testing.T) {
	d := scaled(time.Second)
	idle := 2 * d
	e := newEnv(t, func(c *server.Config) {
		c.Limits.LoginDeadline = d
		c.IdleTimeout = idle
		c.VerifyTimeout = 10 * d
	})
	e.user("alice", 0, 0)
	e.user("bob", 1, 0)
	e.user("carol", 2, 0)
	patience := d + scaled(5*time.Second)

	t.Run("anonymous", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		c := e.on(t).dial()
		c.expectCloseWith(spec.CodeLogin, patience)
		require.GreaterOrEqual(t, time.Since(start), d)
	})

	t.Run("KEEP does not extend it", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		c := e.on(t).dial()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			keep, _ := spec.MarshalPacket(&spec.Packet{Action: spec.KEEP, Info: spec.EmptyInfo, ID: 1}, e.cfg.Dialect)
			for {
				select {
				case <-stop:
					return
				case <-time.After(d / 10):
					if _, err := c.nc.Write(keep); err != nil {
						return
					}
				}
			}
		}()
		c.expectCloseWith(spec.CodeLogin, patience)
		require.GreaterOrEqual(t, time.Since(start), d)
	})

	t.Run("a pending verification does not extend it", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		c := e.on(t).dial()
		c.challenge("carol", 2)
		c.expectCloseWith(spec.CodeLogin, patience)
		require.GreaterOrEqual(t, time.Since(start), d)
	})

	t.Run("logged in, the idle timeout rules", func(t *testing.T) {
		t.Parallel()
		hello := time.Now()
		c := e.on(t).dial()
		c.login("alice", 0)
		time.Sleep(time.Until(hello.Add(d + d/2)))
		// Past the login deadline, idle since the VERIF: still served.
		sent := time.Now()
		id := c.send(spec.USRS, uint8(spec.UsrsOnline))
		c.expect(spec.USRS, id)
		c.expectCloseWith(spec.CodeIdle, idle+patience)
		require.GreaterOrEqual(t, time.Since(sent), idle)
	})

	t.Run("LOGOUT restarts it", func(t *testing.T) {
		t.Parallel()
		hello := time.Now()
		c := e.on(t).dial()
		c.login("bob", 1)
		time.Sleep(time.Until(hello.Add(d + d/2)))
		out := time.Now()
		c.do(spec.LOGOUT, spec.EmptyInfo)
		c.expectCloseWith(spec.CodeLogin, patience)
		require.GreaterOrEqual(t, time.Since(out), d)
	})
}

// Without a login deadline an anonymous connection lives until the idle
// timeout, as before the limits existed.
func TestNoLoginDeadlineByDefault(t *testing.T) {
	idle := scaled(500 * time.Millisecond)
	e := newEnv(t, func(c *server.Config) { c.IdleTimeout = idle })
	c := e.on(t).dial()
	c.expectCloseWith(spec.CodeIdle, idle+scaled(5*time.Second))
}
