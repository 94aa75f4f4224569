package shell

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/store"
)

func cmdConn(s *Shell, ctx context.Context, a args) error {
	if _, err := s.conn(); err == nil {
		return errors.New("already connected (use DISCN first)")
	}
	sv, err := s.resolveServer(ctx, a.fields)
	if err != nil {
		return err
	}
	sess, err := app.Connect(ctx, s.appConfig(), sv, s.handleEvent)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.sess = sess
	s.mu.Unlock()
	c := sess.Client()
	secure := "plain TCP"
	if c.Secure() {
		secure = "TLS"
	}
	s.okf("connected to %s (%s, server %q, dialect %s)", sv.Address, secure, sv.Name, c.Dialect())
	s.infof("server MOTD: %s", c.MOTD())
	return nil
}

// resolveServer finds the server named by CONN's arguments: a saved
// server's name, or an address ("addr port", or "[tls:]host[:port]" with
// the recommended port when none is given) that is looked up among the
// saved servers and saved under the name "host:port" when new.
func (s *Shell) resolveServer(ctx context.Context, f []string) (store.Server, error) {
	want := store.Server{Dialect: store.Dialect(s.opts.Dialect.String()), TLS: strings.HasPrefix(f[0], "tls:")}
	target, flags := f[0], f[1:]
	if len(f) > 1 && !strings.HasPrefix(f[1], "-") {
		addr, err := app.HostPort(f[0], f[1])
		if err != nil {
			return want, err
		}
		target, flags = addr, f[2:]
	}
	if err := app.ParseServerOptions(&want, flags); err != nil {
		return want, err
	}
	return app.ResolveServer(ctx, s.st, target, want)
}

func cmdDiscn(s *Shell, _ context.Context, _ args) error {
	if _, err := s.conn(); err != nil {
		return err
	}
	s.disconnect()
	s.okf("disconnected")
	return nil
}

// disconnect closes the connection and waits for its events to be printed.
func (s *Shell) disconnect() {
	s.mu.Lock()
	sess := s.sess
	s.sess = nil
	if sess != nil {
		s.last = sess
	}
	s.mu.Unlock()
	if sess != nil {
		sess.Close()
	}
}

func cmdServers(s *Shell, ctx context.Context, _ args) error {
	list, err := s.st.Servers(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		s.infof("no saved servers")
	}
	for _, sv := range list {
		opts := ""
		if sv.TLS {
			opts += " tls"
		}
		if sv.InsecureSkipVerify {
			opts += " insecure"
		}
		s.printf("%s %s dialect=%s%s", sv.Name, sv.Address, sv.Dialect, opts)
	}
	return nil
}

func cmdRegServer(s *Shell, ctx context.Context, a args) error {
	addr, err := app.HostPort(a.fields[1], a.fields[2])
	if err != nil {
		return err
	}
	sv := store.Server{Name: a.fields[0], Address: addr, Dialect: store.Dialect(s.opts.Dialect.String())}
	if err := app.ParseServerOptions(&sv, a.fields[3:]); err != nil {
		return err
	}
	if err := s.st.AddServer(ctx, sv); err != nil {
		return err
	}
	s.okf("server %s saved", sv.Name)
	return nil
}

func cmdDelServer(s *Shell, ctx context.Context, a args) error {
	s.mu.Lock()
	inUse := s.sess != nil && s.sess.Server().Name == a.fields[0]
	s.mu.Unlock()
	if inUse {
		return errors.New("disconnect from this server first")
	}
	if err := s.st.DeleteServer(ctx, a.fields[0]); err != nil {
		return err
	}
	s.okf("server %s deleted with its local accounts and messages", a.fields[0])
	return nil
}

// RECONN dials the previous server again and restores the session: with
// the reusable token over TLS, else with the handshake and the key still
// held in memory.
func cmdReconn(s *Shell, ctx context.Context, _ args) error {
	s.mu.Lock()
	cur, last := s.sess, s.last
	s.mu.Unlock()
	switch {
	case cur != nil:
		return errors.New("already connected")
	case last == nil:
		return errors.New("no previous connection (use CONN)")
	}
	sess, res, err := last.Reconnect(ctx, app.LoginOptions{})
	if sess == nil {
		return err
	}
	s.mu.Lock()
	s.sess, s.last = sess, nil
	s.mu.Unlock()
	s.okf("reconnected to %s", sess.Server().Address)
	if err != nil {
		return fmt.Errorf("connected, but restoring the session failed: %w", describe(err))
	}
	switch user := sess.User(); {
	case user == "":
		s.infof("no session to restore")
	case res.UsedToken:
		s.okf("logged in as %s with the reusable token (permission level %d)", user, res.Perm)
	default:
		s.okf("logged in as %s with the handshake (permission level %d)", user, res.Perm)
	}
	return nil
}
