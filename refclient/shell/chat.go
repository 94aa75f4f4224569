package shell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refclient/app"
	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/refclient/store"
	"github.com/gochatproto/gochat/spec"
)

func cmdReq(s *Shell, ctx context.Context, a args) error {
	sess, name, err := s.sessionUser(a)
	if err != nil {
		return err
	}
	fp, perm, err := sess.RequestKey(ctx, name)
	if err != nil {
		return describe(err)
	}
	s.okf("%s: key %s, permission level %d", name, fp, perm)
	return nil
}

func cmdPerms(s *Shell, ctx context.Context, a args) error {
	sess, name, err := s.sessionUser(a)
	if err != nil {
		return err
	}
	c := sess.Client()
	_, _, perm, err := c.RequestKey(ctx, name)
	if err != nil && !errors.Is(err, core.ErrKeyChanged) {
		return describe(err)
	}
	s.printf("%s: permission level %d", name, perm)
	return nil
}

func cmdUsrs(s *Shell, ctx context.Context, a args) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	c := sess.Client()
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

func cmdMsg(s *Shell, ctx context.Context, a args) error {
	sess, to, err := s.sessionUser(a)
	if err != nil {
		return err
	}
	res, err := sess.Send(ctx, to, a.textFrom(1))
	if err != nil {
		if len(res.Parts) > 0 {
			return fmt.Errorf("%d of the parts sent, then: %w (not sent: %q)", len(res.Parts), describe(err), res.Unsent)
		}
		return describe(err)
	}
	note := ""
	if len(res.Parts) > 1 {
		note = fmt.Sprintf(" in %d parts (too long for one)", len(res.Parts))
	}
	if res.Queued {
		note += "; " + to + " is offline: queued on the server until they log in"
	}
	s.okf("message sent to %s%s", to, note)
	return nil
}

func cmdReciv(s *Shell, ctx context.Context, _ args) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	c := sess.Client()
	n, err := c.CatchUp(ctx)
	if err != nil {
		return describe(err)
	}
	s.syncEvents() // print the messages before the summary
	s.okf("%d cached messages received", n)
	return nil
}

func cmdSub(s *Shell, ctx context.Context, a args) error   { return hookCmd(s, ctx, a, true) }
func cmdUnsub(s *Shell, ctx context.Context, a args) error { return hookCmd(s, ctx, a, false) }

func hookCmd(s *Shell, ctx context.Context, a args, sub bool) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	c := sess.Client()
	h, err := core.ParseHookName(a.fields[0])
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

// ADMIN op args...: shutdown <minutes|duration|unix-time>, broadcast <text>,
// ban <user>, kick <user>, setperms <user> <level>, motd <text>.
func cmdAdmin(s *Shell, ctx context.Context, a args) error {
	sess, _, err := s.session()
	if err != nil {
		return err
	}
	op, rest := strings.ToLower(a.fields[0]), a.fields[1:]
	if (op == "broadcast" || op == "motd") && len(rest) > 0 {
		rest = []string{a.textFrom(1)} // spaces kept
	}
	done, err := sess.Admin(ctx, op, rest)
	var ue *app.UsageError
	if errors.As(err, &ue) {
		return fmt.Errorf("usage: ADMIN %s", ue.Usage)
	}
	if err != nil {
		return describe(err)
	}
	s.okf("%s", done)
	return nil
}

func cmdHistory(s *Shell, ctx context.Context, a args) error {
	sess, account, err := s.session()
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
	msgs, err := sess.History(ctx, peer, 0, n)
	if err != nil {
		return err
	}
	s.okf("%d messages with %s", len(msgs), peer)
	for _, m := range msgs {
		from := peer
		if m.Direction == store.Outgoing {
			from = account
		}
		queued := ""
		if m.Queued {
			queued = " (queued)"
		}
		s.printf("%s %s: %s%s", m.Stamp.Format(time.DateTime), from, m.Body, queued)
	}
	return nil
}
