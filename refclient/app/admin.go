package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UsageError is an administrative operation called with missing or bad
// arguments; Usage is the operation's synopsis without a command prefix.
type UsageError struct{ Usage string }

func (e *UsageError) Error() string { return "usage: " + e.Usage }

// AdminOps lists the operations Admin takes, with their synopses. The
// original client's names (dereg, chgperms) and the shell's (ban,
// setperms) are both accepted.
var AdminOps = []string{
	"shutdown <minutes|duration|unix-time>", "broadcast <text>", "dereg|ban <user>",
	"kick <user>", "chgperms|setperms <user> <level>", "motd <text>",
}

// Admin runs an administrative operation. args are the operation's
// arguments; for broadcast and motd they are joined with single spaces
// unless there is exactly one (the raw text). It returns a line that says
// what was done.
func (s *Session) Admin(ctx context.Context, op string, args []string) (string, error) {
	if _, err := s.account(); err != nil {
		return "", err
	}
	op = strings.ToLower(op)
	need := func(n int, usage string) error {
		if len(args) < n {
			return &UsageError{Usage: usage}
		}
		return nil
	}
	switch op {
	case "shutdown":
		if err := need(1, "shutdown <minutes|duration|unix-time>"); err != nil {
			return "", err
		}
		at, err := ShutdownTime(args[0], s.cfg.Now())
		if err != nil {
			return "", err
		}
		if err := s.c.AdminShutdown(ctx, at); err != nil {
			return "", err
		}
		return "shutdown scheduled at " + at.Format(time.DateTime), nil
	case "broadcast", "motd":
		if err := need(1, op+" <text>"); err != nil {
			return "", err
		}
		text := strings.Join(args, " ")
		if op == "motd" {
			return "MOTD changed", s.c.AdminMOTD(ctx, text)
		}
		return "broadcast sent", s.c.AdminBroadcast(ctx, text)
	case "ban", "dereg", "kick":
		if err := need(1, op+" <user>"); err != nil {
			return "", err
		}
		name, err := Username(args[0])
		if err != nil {
			return "", err
		}
		if op == "kick" {
			err = s.c.AdminKick(ctx, name)
		} else {
			err = s.c.AdminDereg(ctx, name)
		}
		return fmt.Sprintf("%s: %s done", name, op), err
	case "setperms", "chgperms":
		if err := need(2, op+" <user> <level>"); err != nil {
			return "", err
		}
		name, err := Username(args[0])
		if err != nil {
			return "", err
		}
		lvl, err := strconv.ParseUint(args[1], 10, 8)
		if err != nil {
			return "", fmt.Errorf("level must be 0..255")
		}
		return fmt.Sprintf("%s now has permission level %d", name, lvl), s.c.AdminSetPerm(ctx, name, uint8(lvl))
	}
	return "", fmt.Errorf("unknown ADMIN operation %q (shutdown, broadcast, ban, kick, setperms, motd)", op)
}

// unixFloor separates a Unix time from a number of minutes: no one
// schedules a shutdown a billion minutes ahead.
const unixFloor = 1_000_000_000

// maxMinutes keeps a delay in minutes far from overflowing a Duration.
const maxMinutes = 100 * 366 * 24 * 60

// ShutdownTime parses when to shut down: whole minutes from now (as the
// original shell), a Unix time (as the original TUI), or a Go duration.
func ShutdownTime(s string, now time.Time) (time.Time, error) {
	if n, err := strconv.ParseUint(s, 10, 63); err == nil {
		switch {
		case n >= unixFloor:
			return time.Unix(int64(n), 0), nil
		case n > maxMinutes:
			return time.Time{}, fmt.Errorf("bad delay %q: more than a century", s)
		}
		return now.Add(time.Duration(n) * time.Minute).Truncate(time.Second), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("bad delay %q: minutes, a duration like 90s, or a Unix time", s)
	}
	return now.Add(d).Truncate(time.Second), nil
}
