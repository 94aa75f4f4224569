package driver

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
	"github.com/gochatproto/gochat/spec"
)

// driver is the session state behind the commands. Commands run one at a
// time; mu guards client and keys against close and quit, which run
// concurrently with them.
type driver struct {
	opts Options
	w    *writer

	mu     sync.Mutex
	client *core.Client
	keys   map[string]string // user -> private key PEM given at register/login
}

var errNotConnected = errors.New("not connected (send connect first)")

func (d *driver) current() (*core.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client == nil {
		return nil, errNotConnected
	}
	return d.client, nil
}

func (d *driver) closeClient() {
	d.mu.Lock()
	c := d.client
	d.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// do runs one command and returns its result fields.
func (d *driver) do(ctx context.Context, c *Command) (map[string]any, *Error) {
	switch c.Cmd {
	case "connect":
		return d.connect(ctx, c)
	case "reconnect":
		return d.reconnect(ctx)
	}
	if !knownCommands[c.Cmd] {
		return nil, &Error{Code: "unsupported", Message: "unknown command " + strconv.Quote(c.Cmd)}
	}
	cl, err := d.current()
	if err != nil {
		return nil, &Error{Code: "local", Message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	res, err := d.run(ctx, cl, c)
	if err == errUnsupported {
		return nil, &Error{Code: "unsupported", Message: "unknown command " + strconv.Quote(c.Cmd)}
	}
	if err != nil {
		return nil, errorOf(err)
	}
	return res, nil
}

var errUnsupported = errors.New("unsupported")

var knownCommands = map[string]bool{"register": true, "login": true, "logout": true, "deregister": true,
	"request_key": true, "list_users": true, "send_message": true, "catch_up": true, "subscribe": true,
	"unsubscribe": true, "admin": true, "keepalive": true}

func (d *driver) run(ctx context.Context, cl *core.Client, c *Command) (map[string]any, error) {
	switch c.Cmd {
	case "register":
		return nil, d.register(ctx, cl, c)
	case "login":
		return d.login(ctx, cl, c)
	case "logout":
		return nil, cl.Logout(ctx)
	case "deregister":
		return nil, cl.Deregister(ctx)
	case "request_key":
		pub, _, perm, err := cl.RequestKey(ctx, c.User)
		if err != nil {
			return nil, err
		}
		return map[string]any{"user": strings.ToLower(c.User), "perm": perm, "fingerprint": spec.Fingerprint(pub)}, nil
	case "list_users":
		return d.listUsers(ctx, cl, c)
	case "send_message":
		pub, _, _, err := cl.RequestKey(ctx, c.To)
		if err != nil {
			return nil, err
		}
		return nil, cl.SendMessage(ctx, c.To, pub, c.Text, time.Now())
	case "catch_up":
		n, err := cl.CatchUp(ctx)
		return map[string]any{"count": n}, err
	case "subscribe", "unsubscribe":
		h, err := core.ParseHookName(c.Hook)
		if err != nil {
			return nil, err
		}
		if c.Cmd == "subscribe" {
			return nil, cl.Subscribe(ctx, h)
		}
		return nil, cl.Unsubscribe(ctx, h)
	case "admin":
		return nil, admin(ctx, cl, c)
	case "keepalive":
		return nil, cl.Keep()
	}
	return nil, errUnsupported
}

func (d *driver) connect(ctx context.Context, c *Command) (map[string]any, *Error) {
	dl := spec.DialectSpec
	if c.Dialect != "" {
		var err error
		if dl, err = spec.ParseDialect(c.Dialect); err != nil {
			return nil, &Error{Code: "bad_command", Message: err.Error()}
		}
	}
	cfg := core.Config{Addr: c.Addr, TLS: c.TLS, InsecureSkipVerify: c.Insecure, Dialect: dl,
		RequestTimeout: d.opts.RequestTimeout, Logger: d.opts.Logger, DialContext: d.opts.DialContext,
		Pinner: new(core.MemoryPinner)}
	if d.opts.NoPinning {
		cfg.Pinner = nil
	}
	if c.KeepAliveMS != 0 {
		cfg.KeepAlive = time.Duration(c.KeepAliveMS) * time.Millisecond
	}
	d.closeClient()
	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	cl, err := core.Dial(ctx, cfg)
	if err != nil {
		return nil, errorOf(err)
	}
	d.mu.Lock()
	d.client = cl
	d.mu.Unlock()
	// HELLO was read by Dial; report it before watching pushes so that
	// connected is the connection's first event.
	d.w.send(map[string]any{"event": "connected", "motd": cl.MOTD()})
	d.w.watch(cl.Events())
	return nil, nil
}

// reconnect dials the same server again and restores the session the
// client's own way: the reusable token over TLS, falling back to the
// challenge login when the server rejects it (CLIENT-17, CLIENT-18).
func (d *driver) reconnect(ctx context.Context) (map[string]any, *Error) {
	cl, err := d.current()
	if err != nil {
		return nil, &Error{Code: "local", Message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.RequestTimeout)
	defer cancel()
	nc, res, err := cl.Reconnect(ctx)
	if nc != nil {
		d.mu.Lock()
		d.client = nc
		d.mu.Unlock()
		d.w.send(map[string]any{"event": "connected", "motd": nc.MOTD()})
		d.w.watch(nc.Events())
	}
	if err != nil {
		return nil, errorOf(err)
	}
	return map[string]any{"perm": res.Perm, "used_token": res.UsedToken}, nil
}

func (d *driver) key(user, pemText string) (*rsa.PrivateKey, error) {
	user = strings.ToLower(user)
	d.mu.Lock()
	if pemText == "" {
		pemText = d.keys[user]
	} else {
		d.keys[user] = pemText
	}
	d.mu.Unlock()
	if pemText == "" {
		return nil, fmt.Errorf("no private key for %q (give key_pem)", user)
	}
	return spec.ParsePrivateKey([]byte(pemText))
}

func (d *driver) register(ctx context.Context, cl *core.Client, c *Command) error {
	priv, err := d.key(c.User, c.KeyPEM)
	if err != nil {
		return err
	}
	return cl.Register(ctx, c.User, priv)
}

func (d *driver) login(ctx context.Context, cl *core.Client, c *Command) (map[string]any, error) {
	priv, err := d.key(c.User, c.KeyPEM)
	if err != nil && c.Token == "" {
		return nil, err
	}
	var res core.LoginResult
	if c.Token != "" {
		res, err = cl.LoginWithToken(ctx, c.User, []byte(c.Token), priv)
	} else {
		res, err = cl.Login(ctx, c.User, priv)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]any{"perm": res.Perm, "used_token": res.UsedToken}
	if res.Token != nil {
		out["token"] = string(res.Token)
	}
	return out, nil
}

func (d *driver) listUsers(ctx context.Context, cl *core.Client, c *Command) (map[string]any, error) {
	k, err := spec.ParseUsrsKind(strings.ReplaceAll(c.Kind, "_perms", "perms"))
	if err != nil {
		return nil, err
	}
	entries, err := cl.Users(ctx, k)
	if err != nil {
		return nil, err
	}
	users := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		u := map[string]any{"name": e.Name}
		if e.HasPerm {
			u["perm"] = e.Perm
		}
		users = append(users, u)
	}
	return map[string]any{"users": users}, nil
}

func admin(ctx context.Context, cl *core.Client, c *Command) error {
	arg := func(i int) string {
		if i < len(c.Args) {
			return c.Args[i]
		}
		return ""
	}
	switch c.Op {
	case "shutdown":
		secs, err := strconv.ParseInt(arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("shutdown: want Unix seconds: %w", err)
		}
		return cl.AdminShutdown(ctx, time.Unix(secs, 0))
	case "dereg":
		return cl.AdminDereg(ctx, arg(0))
	case "broadcast":
		return cl.AdminBroadcast(ctx, arg(0))
	case "chgperms":
		lvl, err := strconv.ParseUint(arg(1), 10, 8)
		if err != nil {
			return fmt.Errorf("chgperms: want a level 0..255: %w", err)
		}
		return cl.AdminSetPerm(ctx, arg(0), uint8(lvl))
	case "kick":
		return cl.AdminKick(ctx, arg(0))
	case "motd":
		return cl.AdminMOTD(ctx, arg(0))
	}
	return fmt.Errorf("unknown admin op %q", c.Op)
}

// eventJSON renders a core event as a driver event, or nil for none.
func eventJSON(ev core.Event) map[string]any {
	switch e := ev.(type) {
	case core.Message:
		m := map[string]any{"event": "message", "from": e.From, "text": e.Text}
		if e.StampErr == nil {
			m["stamp"] = e.Stamp.Unix()
		}
		if e.DecryptErr != nil {
			m["error"] = e.DecryptErr.Error()
		}
		return m
	case core.Hook:
		m := map[string]any{"event": "hook", "hook": core.HookName(e.Kind)}
		switch e.Kind {
		case spec.HookNewLogin, spec.HookPermsChg:
			m["user"], m["perm"] = e.User, e.Perm
		case spec.HookNewLogout:
			m["user"] = e.User
		case spec.HookDupSess:
			m["ip"] = e.IP
		}
		return m
	case core.Shutdown:
		return map[string]any{"event": "shutdown", "at": e.At.Unix()}
	case core.ServerNotice:
		return map[string]any{"event": "server_error", "code": e.Code.String()}
	case core.Disconnected:
		reason := ""
		if e.Err != nil {
			reason = e.Err.Error()
		}
		return map[string]any{"event": "disconnected", "reason": reason}
	}
	return nil
}
