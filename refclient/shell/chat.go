package shell

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

func cmdReq(s *Shell, ctx context.Context, a args) error {
	c, sv, account, err := s.session()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	pub, _, perm, err := c.RequestKey(ctx, name)
	if err != nil {
		return describe(err)
	}
	if err := s.st.SetContactPermission(ctx, sv.Name, account, name, perm); err != nil {
		s.opts.Logger.Debug("recording permission", "err", err)
	}
	s.okf("%s: key %s, permission level %d", name, spec.Fingerprint(pub), perm)
	return nil
}

func cmdPerms(s *Shell, ctx context.Context, a args) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	name, err := username(a.fields[0])
	if err != nil {
		return err
	}
	_, _, perm, err := c.RequestKey(ctx, name)
	if err != nil && !errors.Is(err, core.ErrKeyChanged) {
		return describe(err)
	}
	s.printf("%s: permission level %d", name, perm)
	return nil
}

func cmdUsrs(s *Shell, ctx context.Context, a args) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	kind, err := spec.ParseUsrsKind(a.fields[0])
	if err != nil || !kind.Valid() {
		return fmt.Errorf("list kind must be all, online, allperms or onlineperms")
	}
	users, err := c.Users(ctx, kind)
	if err != nil {
		return describe(err)
	}
	s.okf("%d users (%s)", len(users), strings.ToLower(strings.TrimPrefix(kind.String(), "USRS_")))
	for _, u := range users {
		if u.HasPerm {
			s.printf("%s %d", u.Name, u.Perm)
		} else {
			s.printf("%s", u.Name)
		}
	}
	return nil
}

// contactKey returns the pinned key of user, asking the server (and so
// pinning it) the first time. A pending key change blocks sending.
func (s *Shell) contactKey(ctx context.Context, c *core.Client, sv store.Server, account, user string) (*rsa.PublicKey, error) {
	ct, err := s.st.Contact(ctx, sv.Name, account, user)
	if errors.Is(err, store.ErrNotFound) {
		pub, _, _, err := c.RequestKey(ctx, user)
		return pub, describe(err)
	}
	if err != nil {
		return nil, err
	}
	if ct.Pending != nil {
		return nil, fmt.Errorf("the server now reports a different key for %s (%s); verify it and run TRUST %s", user, ct.Pending.Fingerprint, user)
	}
	k, err := x509.ParsePKIXPublicKey(ct.PublicKey)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("pinned key is not RSA")
	}
	return pub, nil
}

func cmdMsg(s *Shell, ctx context.Context, a args) error {
	c, sv, account, err := s.session()
	if err != nil {
		return err
	}
	to, err := username(a.fields[0])
	if err != nil {
		return err
	}
	text := a.textFrom(1)
	pub, err := s.contactKey(ctx, c, sv, account, to)
	if err != nil {
		return err
	}
	at := s.opts.Now().Truncate(time.Second)
	if err := c.SendMessage(ctx, to, pub, text, at); err != nil {
		return describe(err)
	}
	if _, _, err := s.st.AddMessage(ctx, store.Message{
		Server: sv.Name, Account: account, Peer: to, Direction: store.Outgoing, Stamp: at, Body: text,
	}); err != nil {
		return fmt.Errorf("sent, but not saved locally: %w", err)
	}
	s.okf("message sent to %s", to)
	return nil
}

func cmdReciv(s *Shell, ctx context.Context, _ args) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	n, err := c.CatchUp(ctx)
	if err != nil {
		return describe(err)
	}
	s.syncEvents() // print the messages before the summary
	s.okf("%d cached messages received", n)
	return nil
}

// hookNames are the original client's names, plus the protocol's.
var hookNames = map[string]spec.Hook{
	"all":                spec.HookAll,
	"new_login":          spec.HookNewLogin,
	"new_logout":         spec.HookNewLogout,
	"duplicated_session": spec.HookDupSess,
	"permissions_change": spec.HookPermsChg,
}

func parseHook(s string) (spec.Hook, error) {
	if h, ok := hookNames[strings.ToLower(s)]; ok {
		return h, nil
	}
	h, err := spec.ParseHook(s)
	if err != nil || !h.Valid() {
		return 0, fmt.Errorf("unknown hook %q (all, new_login, new_logout, duplicated_session, permissions_change)", s)
	}
	return h, nil
}

func cmdSub(s *Shell, ctx context.Context, a args) error   { return hookCmd(s, ctx, a, true) }
func cmdUnsub(s *Shell, ctx context.Context, a args) error { return hookCmd(s, ctx, a, false) }

func hookCmd(s *Shell, ctx context.Context, a args, sub bool) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	h, err := parseHook(a.fields[0])
	if err != nil {
		return err
	}
	op, verb := c.Subscribe, "subscribed to"
	if !sub {
		op, verb = c.Unsubscribe, "unsubscribed from"
	}
	if err := op(ctx, h); err != nil {
		return describe(err)
	}
	s.okf("%s %s", verb, strings.ToLower(a.fields[0]))
	return nil
}

// ADMIN op args...: shutdown <minutes|duration>, broadcast <text>,
// ban <user>, kick <user>, setperms <user> <level>, motd <text>.
func cmdAdmin(s *Shell, ctx context.Context, a args) error {
	c, _, _, err := s.session()
	if err != nil {
		return err
	}
	op, rest := strings.ToLower(a.fields[0]), a.fields[1:]
	need := func(n int, usage string) error {
		if len(rest) < n {
			return fmt.Errorf("usage: ADMIN %s", usage)
		}
		return nil
	}
	switch op {
	case "shutdown":
		if err = need(1, "shutdown <minutes|duration>"); err != nil {
			return err
		}
		d, perr := parseDelay(rest[0])
		if perr != nil {
			return perr
		}
		at := s.opts.Now().Add(d).Truncate(time.Second)
		err = c.AdminShutdown(ctx, at)
		if err == nil {
			s.okf("shutdown scheduled at %s", at.Format(time.DateTime))
		}
	case "broadcast":
		if err = need(1, "broadcast <text>"); err != nil {
			return err
		}
		if err = c.AdminBroadcast(ctx, a.textFrom(1)); err == nil {
			s.okf("broadcast sent")
		}
	case "ban", "dereg", "kick":
		if err = need(1, op+" <user>"); err != nil {
			return err
		}
		name, uerr := username(rest[0])
		if uerr != nil {
			return uerr
		}
		if op == "kick" {
			err = c.AdminKick(ctx, name)
		} else {
			err = c.AdminDereg(ctx, name)
		}
		if err == nil {
			s.okf("%s: %s done", name, op)
		}
	case "setperms":
		if err = need(2, "setperms <user> <level>"); err != nil {
			return err
		}
		name, uerr := username(rest[0])
		if uerr != nil {
			return uerr
		}
		lvl, perr := strconv.ParseUint(rest[1], 10, 8)
		if perr != nil {
			return fmt.Errorf("level must be 0..255")
		}
		if err = c.AdminSetPerm(ctx, name, uint8(lvl)); err == nil {
			s.okf("%s now has permission level %d", name, lvl)
		}
	case "motd":
		if err = need(1, "motd <text>"); err != nil {
			return err
		}
		if err = c.AdminMOTD(ctx, a.textFrom(1)); err == nil {
			s.okf("MOTD changed")
		}
	default:
		return fmt.Errorf("unknown ADMIN operation %q (shutdown, broadcast, ban, kick, setperms, motd)", op)
	}
	return describe(err)
}

// parseDelay accepts whole minutes (as the original) or a Go duration.
func parseDelay(s string) (time.Duration, error) {
	if m, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(m) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad delay %q: minutes or a duration like 90s", s)
	}
	return d, nil
}

func cmdHistory(s *Shell, ctx context.Context, a args) error {
	_, sv, account, err := s.session()
	if err != nil {
		return err
	}
	peer, err := username(a.fields[0])
	if err != nil {
		return err
	}
	n := 20
	if len(a.fields) > 1 {
		if n, err = strconv.Atoi(a.fields[1]); err != nil || n < 1 {
			return fmt.Errorf("bad count %q", a.fields[1])
		}
	}
	msgs, err := s.st.History(ctx, sv.Name, account, peer, 0, n)
	if err != nil {
		return err
	}
	s.okf("%d messages with %s", len(msgs), peer)
	for _, m := range msgs {
		from := peer
		if m.Direction == store.Outgoing {
			from = account
		}
		s.printf("%s %s: %s", m.Stamp.Format(time.DateTime), from, m.Body)
	}
	return nil
}
