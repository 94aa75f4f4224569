package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refclient/model"
)

// prompt is a pending question, such as a password, answered by the next
// Enter instead of sending the input.
type prompt struct {
	then func(answer string)
}

// ask asks for a secret; the input is masked and kept out of history.
func (u *ui) ask(label string, then func(answer string)) {
	u.prompt = &prompt{then: then}
	u.m.Editor.Secret = true
	u.m.Editor.Prompt = label
	u.m.Editor.Clear()
}

func (u *ui) endPrompt() *prompt {
	p := u.prompt
	u.prompt = nil
	u.m.Editor.Secret = false
	u.m.Editor.Prompt = ""
	return p
}

func (u *ui) cancelPrompt() {
	u.endPrompt()
	u.m.Editor.Clear()
	u.status("Cancelled.")
}

func (u *ui) submit() {
	if u.prompt != nil {
		answer := u.m.Editor.Submit()
		u.endPrompt().then(answer)
		return
	}
	line := u.m.Editor.Submit()
	if strings.TrimSpace(line) == "" {
		return
	}
	if !model.IsCommand(line) {
		u.sendHere(model.MessageText(line))
		return
	}
	cmd, err := model.ParseCommand(line)
	if err != nil {
		u.fail(err.Error())
		return
	}
	u.runCommand(cmd)
}

func (u *ui) sendHere(text string) {
	s, b := u.m.Current()
	if b.Kind == model.BufferSystem {
		u.fail("This buffer is for system messages: use /query <user> or /msg <user> <text>.")
		u.m.Editor.Set(text)
		return
	}
	if !u.needLogin(s) {
		u.m.Editor.Set(text) // nothing typed is lost: it waits in the input
		return
	}
	u.send(s.Name, b.Name, text)
}

// commandHandlers run parsed commands against the current server.
var commandHandlers = map[string]func(u *ui, s *model.Server, args []string){
	"connect":     (*ui).cmdConnect,
	"disconnect":  (*ui).cmdDisconnect,
	"reconnect":   (*ui).cmdReconnect,
	"server":      (*ui).cmdServer,
	"register":    (*ui).cmdRegister,
	"login":       (*ui).cmdLogin,
	"logout":      (*ui).cmdLogout,
	"deregister":  (*ui).cmdDeregister,
	"msg":         (*ui).cmdMsg,
	"query":       (*ui).cmdQuery,
	"close":       func(u *ui, _ *model.Server, _ []string) { u.cmdClose() },
	"users":       (*ui).cmdUsers,
	"history":     (*ui).cmdHistory,
	"subscribe":   (*ui).cmdSubscribe,
	"unsubscribe": (*ui).cmdUnsubscribe,
	"admin":       (*ui).cmdAdmin,
	"trust":       (*ui).cmdTrust,
	"clear":       func(u *ui, _ *model.Server, _ []string) { u.buf().Clear() },
	"help":        func(u *ui, _ *model.Server, _ []string) { u.m.ShowHelp, u.helpTop = true, 0 },
	"quit":        func(u *ui, _ *model.Server, _ []string) { u.quit = true },
}

func (u *ui) runCommand(cmd model.Command) {
	s, _ := u.m.Current()
	commandHandlers[cmd.Name](u, s, cmd.Args)
}

// needConn reports whether s is connected, telling the user what to do if not.
func (u *ui) needConn(s *model.Server) bool {
	if s.Name == model.LocalServer {
		u.fail("The local buffer has no server: /connect host:port, or pick a server with Shift-Up/Down.")
		return false
	}
	if s.State == model.Reconnecting {
		u.fail(fmt.Sprintf("Not connected to %s: reconnecting in %s (/reconnect tries now).", s.Name, u.countdown(s.RetryAt)))
		return false
	}
	if s.State < model.Connected {
		u.fail("Not connected to " + s.Name + ": use /connect.")
		return false
	}
	return true
}

// countdown says how long until t, in whole seconds.
func (u *ui) countdown(t time.Time) string {
	return fmt.Sprintf("%ds", max(int((t.Sub(u.now())+time.Second-1)/time.Second), 0))
}

func (u *ui) needLogin(s *model.Server) bool {
	if !u.needConn(s) {
		return false
	}
	if s.State < model.LoggedIn {
		u.fail("Not logged in: use /login <user> (or /register <user> first).")
		return false
	}
	return true
}

// simple runs op against server and reports success with ok.
func (u *ui) simple(server, ok string, op func(ctx context.Context) error) {
	u.call(op, func(err error) {
		if err != nil {
			u.errorLine(server, "", err.Error())
			return
		}
		u.notice(server, ok)
	})
}

func (u *ui) cmdConnect(s *model.Server, args []string) {
	target, opts := s.Name, args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, opts = args[0], args[1:]
	} else if s.Name == model.LocalServer {
		u.fail("Usage: /connect <server | [tls:]host[:port]> [-tls] [-insecure] [-dialect spec|gochat1]")
		return
	}
	if known := u.m.Server(target); known != nil {
		known.State = model.Connecting
	}
	var name string
	u.call(func(ctx context.Context) (err error) {
		name, err = u.be.Connect(ctx, target, opts)
		return err
	}, func(err error) {
		if err != nil {
			if known := u.m.Server(target); known != nil {
				u.setState(target, model.Disconnected)
			}
			u.fail("connect " + target + ": " + err.Error())
			return
		}
		u.setState(name, model.Connected)
		u.m.Select(name, "")
		u.notice(name, "Connected. /register <user> or /login <user>.")
	})
}

func (u *ui) cmdDisconnect(s *model.Server, _ []string) {
	if s.State != model.Reconnecting && !u.needConn(s) {
		return
	}
	name := s.Name
	u.call(func(ctx context.Context) error { return u.be.Disconnect(ctx, name) }, func(err error) {
		u.setState(name, model.Disconnected)
		if err != nil {
			u.errorLine(name, "", err.Error())
		}
		u.notice(name, "Disconnected.")
	})
}

func (u *ui) cmdReconnect(s *model.Server, _ []string) {
	if s.Name == model.LocalServer {
		u.fail("The local buffer has no server: pick one with Shift-Up/Down.")
		return
	}
	name := s.Name
	u.notice(name, "Reconnecting...")
	u.call(func(ctx context.Context) error { return u.be.Reconnect(ctx, name) }, func(err error) {
		if err != nil {
			u.errorLine(name, "", "reconnect: "+err.Error())
		}
	})
}

// cmdServer lists, saves or deletes named servers.
func (u *ui) cmdServer(_ *model.Server, args []string) {
	switch sub := strings.ToLower(args[0]); {
	case sub == "list" && len(args) == 1:
		var names []string
		for _, srv := range u.m.Servers()[1:] {
			names = append(names, srv.Name+" ("+srv.State.String()+")")
		}
		u.status(fmt.Sprintf("Servers (%d): %s", len(names), strings.Join(names, ", ")))
	case sub == "add" && len(args) >= 3:
		name, addr, opts := args[1], args[2], args[3:]
		u.call(func(ctx context.Context) error { return u.be.AddServer(ctx, name, addr, opts) }, func(err error) {
			if err != nil {
				u.fail("server add: " + err.Error())
				return
			}
			u.m.AddServer(name)
			u.status("Saved server " + name + ". Pick it with Shift-Up/Down, then /connect.")
		})
	case sub == "del" && len(args) == 2:
		name := args[1]
		if srv := u.m.Server(name); srv != nil && srv.State >= model.Connecting {
			u.fail("Disconnect from " + name + " first.")
			return
		}
		u.call(func(ctx context.Context) error { return u.be.DeleteServer(ctx, name) }, func(err error) {
			if err != nil {
				u.fail("server del: " + err.Error())
				return
			}
			u.m.RemoveServer(name)
			u.status("Deleted server " + name + " with its local accounts and history.")
		})
	default:
		spec, _ := model.LookupCommand("server")
		u.fail("Usage: /server " + spec.Usage)
	}
}

func (u *ui) cmdRegister(s *model.Server, args []string) {
	if !u.needConn(s) {
		return
	}
	name, user := s.Name, args[0]
	u.ask("Password for new user "+user+": ", func(pw string) {
		u.ask("Repeat the password: ", func(again string) {
			if pw != again {
				u.fail("The passwords do not match.")
				return
			}
			u.notice(name, "Registering "+user+": making a 4096-bit key takes a few seconds...")
			u.simple(name, "Registered "+user+". Now /login "+user+".", func(ctx context.Context) error {
				return u.be.Register(ctx, name, user, pw)
			})
		})
	})
}

func (u *ui) cmdLogin(s *model.Server, args []string) {
	if !u.needConn(s) {
		return
	}
	name, user := s.Name, args[0]
	u.ask("Password for "+user+": ", func(pw string) {
		u.call(func(ctx context.Context) error { return u.be.Login(ctx, name, user, pw) }, func(err error) {
			if err != nil {
				u.errorLine(name, "", "login: "+err.Error())
				return
			}
			srv := u.m.AddServer(name)
			srv.State, srv.User = model.LoggedIn, user
			u.notice(name, "Logged in as "+user+".")
			u.refreshUsers(name, false, false)
		})
	})
}

func (u *ui) cmdLogout(s *model.Server, _ []string) {
	if !u.needLogin(s) {
		return
	}
	name := s.Name
	u.call(func(ctx context.Context) error { return u.be.Logout(ctx, name) }, func(err error) {
		if err != nil {
			u.errorLine(name, "", "logout: "+err.Error())
			return
		}
		u.setState(name, model.Connected)
		u.notice(name, "Logged out.")
	})
}

func (u *ui) cmdDeregister(s *model.Server, _ []string) {
	if !u.needLogin(s) {
		return
	}
	name, user := s.Name, s.User
	u.ask("Password of "+user+" to delete the account: ", func(pw string) {
		u.call(func(ctx context.Context) error { return u.be.Deregister(ctx, name, pw) }, func(err error) {
			if err != nil {
				u.errorLine(name, "", "deregister: "+err.Error())
				return
			}
			u.setState(name, model.Connected)
			u.notice(name, "Account "+user+" deleted.")
		})
	})
}

// cmdMsg checks that the user exists (fetching and pinning the key) before
// it opens a buffer, so a mistyped name opens nothing.
func (u *ui) cmdMsg(s *model.Server, args []string) {
	if !u.needLogin(s) {
		return
	}
	name, peer, text := s.Name, strings.ToLower(args[0]), args[1]
	if b := s.Buffer(peer); b != nil && b.Kind == model.BufferQuery {
		u.m.Select(name, peer)
		u.send(name, peer, text)
		return
	}
	u.call(func(ctx context.Context) error { return u.be.Query(ctx, name, peer) }, func(err error) {
		if err != nil {
			u.fail("msg " + peer + ": " + err.Error())
			if cs, _ := u.m.Current(); cs.Name == name && u.m.Editor.Len() == 0 && !u.m.Editor.Secret {
				u.m.Editor.Set("/msg " + args[0] + " " + text)
			}
			return
		}
		b := u.m.Open(name, peer)
		u.m.Select(name, peer)
		u.loadHistoryIfNew(name, b)
		u.send(name, peer, text)
	})
}

func (u *ui) cmdQuery(s *model.Server, args []string) {
	if !u.needLogin(s) {
		return
	}
	name, peer := s.Name, strings.ToLower(args[0])
	u.call(func(ctx context.Context) error { return u.be.Query(ctx, name, peer) }, func(err error) {
		if err != nil {
			u.fail("query " + peer + ": " + err.Error())
			return
		}
		b := u.m.Open(name, peer)
		u.m.Select(name, peer)
		u.loadHistoryIfNew(name, b)
	})
}

func (u *ui) cmdClose() {
	b := u.buf()
	if !u.m.CloseBuffer() {
		u.fail("System buffers cannot be closed.")
		return
	}
	delete(u.history, b)
}

// send sends text to peer and shows every part that went out. A part that
// failed, and the text after it, go back to the input if it is empty, so a
// message is never lost to a network error.
func (u *ui) send(server, peer, text string) {
	self := u.m.Server(server).User
	var res SendResult
	u.call(func(ctx context.Context) (err error) {
		res, err = u.be.Send(ctx, server, peer, text)
		return err
	}, func(err error) {
		for _, p := range res.Parts {
			u.m.Add(server, peer, model.Line{Time: p.Time, Sender: self, Text: p.Text, Kind: model.KindSelf, ID: p.ID, Queued: res.Queued})
		}
		if len(res.Parts) > 1 {
			u.m.Add(server, peer, model.Line{Time: u.now(), Kind: model.KindNotice,
				Text: fmt.Sprintf("Too long for one message: sent as %d.", len(res.Parts))})
		}
		if res.Queued && len(res.Parts) > 0 {
			u.m.Add(server, peer, model.Line{Time: u.now(), Kind: model.KindNotice,
				Text: peer + " is offline: the server keeps the message until they log in."})
		}
		if err == nil {
			return
		}
		unsent := res.Unsent
		if unsent == "" && len(res.Parts) == 0 {
			unsent = text
		}
		msg := "Not sent: " + err.Error()
		if unsent != "" && u.m.RestoreInput(server, peer, unsent) {
			msg += " (the text is back in the input)"
		}
		u.errorLine(server, peer, msg)
	})
}

func (u *ui) cmdUsers(s *model.Server, args []string) {
	if !u.needLogin(s) {
		return
	}
	all := len(args) > 0 && strings.EqualFold(args[0], "all")
	if len(args) > 0 && !all && !strings.EqualFold(args[0], "online") {
		u.fail("Usage: /users [online | all]")
		return
	}
	u.refreshUsers(s.Name, all, true)
}

// refreshUsers fetches a user list; the online list also fills the pane.
func (u *ui) refreshUsers(server string, all, show bool) {
	var users []string
	var token uint64
	if !all {
		token = u.m.AddServer(server).BeginUsersFetch()
	}
	u.call(func(ctx context.Context) (err error) {
		users, err = u.be.Users(ctx, server, all)
		return err
	}, func(err error) {
		if !all {
			u.m.AddServer(server).FinishUsersFetch(token, users, err == nil)
		}
		if err != nil {
			u.errorLine(server, "", "users: "+err.Error())
			return
		}
		if show {
			what := map[bool]string{false: "Online", true: "Registered"}[all]
			u.status(fmt.Sprintf("%s users (%d): %s", what, len(users), strings.Join(users, " ")))
		}
	})
}

func (u *ui) cmdHistory(s *model.Server, args []string) {
	b := u.buf()
	if b.Kind != model.BufferQuery {
		u.fail("History is kept for conversations only.")
		return
	}
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 {
			u.fail("Usage: /history [n]")
			return
		}
		u.opts.HistoryPage = n
	}
	if h := u.history[b]; h != nil {
		h.exhausted = false
	}
	u.loadHistory(s.Name, b)
}

func (u *ui) cmdSubscribe(s *model.Server, args []string)   { u.subscribe(s, args[0], false) }
func (u *ui) cmdUnsubscribe(s *model.Server, args []string) { u.subscribe(s, args[0], true) }

func (u *ui) subscribe(s *model.Server, hook string, unsub bool) {
	hook = strings.ToLower(hook)
	if !u.needLogin(s) {
		return
	}
	name := s.Name
	if unsub {
		u.simple(name, "Unsubscribed from "+hook+".", func(ctx context.Context) error { return u.be.Unsubscribe(ctx, name, hook) })
		return
	}
	u.simple(name, "Subscribed to "+hook+".", func(ctx context.Context) error { return u.be.Subscribe(ctx, name, hook) })
}

// adminOps maps each operation to whether its argument is free text.
var adminOps = map[string]bool{
	"shutdown": false, "broadcast": true, "dereg": false, "chgperms": false, "kick": false, "motd": true,
}

func (u *ui) cmdAdmin(s *model.Server, args []string) {
	op := strings.ToLower(args[0])
	text, known := adminOps[op]
	if !known {
		u.fail("Unknown admin operation " + op + ": shutdown, broadcast, dereg, chgperms, kick or motd")
		return
	}
	if !u.needLogin(s) {
		return
	}
	var opArgs []string
	if len(args) > 1 {
		opArgs = []string{args[1]}
		if !text {
			opArgs = strings.Fields(args[1])
		}
	}
	name := s.Name
	u.simple(name, "Admin "+op+": done.", func(ctx context.Context) error { return u.be.Admin(ctx, name, op, opArgs) })
}

func (u *ui) cmdTrust(s *model.Server, args []string) {
	if !u.needConn(s) {
		return
	}
	name, user := s.Name, strings.ToLower(args[0])
	u.simple(name, "Trusting the current key of "+user+".", func(ctx context.Context) error { return u.be.Trust(ctx, name, user) })
}
