package shell

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refclient/core"
)

// command is one shell command. max < 0 means no upper bound.
type command struct {
	min, max int
	usage    string
	help     string
	run      func(s *Shell, ctx context.Context, a args) error
}

var commands map[string]*command

func init() {
	commands = map[string]*command{
		"CONN": {1, 6, "CONN <addr> <port> [-tls] [-insecure] [-dialect spec|gochat1] | CONN [tls:]<host>[:<port>] [options] | CONN <server>",
			"connect to an address (saved as a server named addr:port, or tls:addr:port; the port defaults to 9037, 8037 with TLS) or to a saved server", cmdConn},
		"DISCN":     {0, 0, "DISCN", "disconnect", cmdDiscn},
		"RECONN":    {0, 0, "RECONN", "connect to the previous server again and restore the session (reusable token over TLS, else the handshake)", cmdReconn},
		"REG":       {1, 1, "REG <user>", "register user on the server: asks for a new password, generates an RSA-4096 key (or uses the key of an IMPORTed local account) and saves it sealed", cmdReg},
		"LOGIN":     {1, 1, "LOGIN <user>", "log in (asks for the local account's password); over TLS the reusable token is kept in memory", cmdLogin},
		"LOGOUT":    {0, 0, "LOGOUT", "log out; the connection stays open", cmdLogout},
		"DEREG":     {0, 0, "DEREG", "delete the logged-in account on the server and locally", cmdDereg},
		"REQ":       {1, 1, "REQ <user>", "fetch user's public key and level; the key is pinned on first use", cmdReq},
		"PERMS":     {1, 1, "PERMS <user>", "print user's permission level", cmdPerms},
		"USRS":      {1, 1, "USRS all|online|allperms|onlineperms", "list users on the server", cmdUsrs},
		"MSG":       {1, -1, "MSG <user> <text...>", "send an encrypted message (fetches and pins the key the first time)", cmdMsg},
		"RECIV":     {0, 0, "RECIV", "receive the messages cached while you were offline", cmdReciv},
		"SUB":       {1, 1, "SUB <hook>", "subscribe to all, new_login, new_logout, duplicated_session or permissions_change", cmdSub},
		"UNSUB":     {1, 1, "UNSUB <hook>", "unsubscribe from a hook", cmdUnsub},
		"ADMIN":     {1, -1, "ADMIN shutdown <minutes|duration|unix-time>|broadcast <text>|ban <user>|kick <user>|setperms <user> <level>|motd <text>", "administrative operations (broadcast needs TLS; dereg and chgperms are accepted for ban and setperms)", cmdAdmin},
		"TRUST":     {1, 1, "TRUST <user>", "accept the new public key the server reported for user", cmdTrust},
		"HISTORY":   {1, 2, "HISTORY <user> [n]", "show the last n (default 20) stored messages with user", cmdHistory},
		"SERVERS":   {0, 0, "SERVERS", "list saved servers", cmdServers},
		"REGSERVER": {3, 6, "REGSERVER <name> <addr> <port> [-tls] [-insecure] [-dialect spec|gochat1]", "save a server", cmdRegServer},
		"DELSERVER": {1, 1, "DELSERVER <name>", "delete a saved server with its local accounts and messages", cmdDelServer},
		"ACCOUNTS":  {0, 0, "ACCOUNTS", "list local accounts on the current server", cmdAccounts},
		"IMPORT":    {2, 2, "IMPORT <user> <path>", "create a local account from a PEM private key (then REG or LOGIN)", cmdImport},
		"EXPORT":    {1, 2, "EXPORT <user> [path]", "write the decrypted private key as PEM (default <user>.priv in the export directory)", cmdExport},
		"HELP":      {0, 1, "HELP [command]", "show help", cmdHelp},
		"EXIT":      {0, 0, "EXIT", "leave the shell (QUIT works too)", cmdExit},
	}
	commands["QUIT"] = commands["EXIT"]
}

// argWords are the words Tab offers after each command.
var argWords = map[string][]string{
	"SUB":   core.HookNames(),
	"UNSUB": core.HookNames(),
	"USRS":  {"all", "online", "allperms", "onlineperms"},
	"ADMIN": {"shutdown", "broadcast", "ban", "dereg", "kick", "setperms", "chgperms", "motd"},
}

func init() {
	for name := range commands {
		argWords["HELP"] = append(argWords["HELP"], name)
	}
}

// serverNames lists the saved servers, for completing CONN.
func (s *Shell) serverNames() []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	list, err := s.st.Servers(ctx)
	if err != nil {
		return nil
	}
	names := make([]string, len(list))
	for i, sv := range list {
		names[i] = sv.Name
	}
	return names
}

func cmdExit(*Shell, context.Context, args) error { return ErrExit }

func cmdHelp(s *Shell, _ context.Context, a args) error {
	if len(a.fields) == 1 {
		c, ok := commands[strings.ToUpper(a.fields[0])]
		if !ok {
			return fmt.Errorf("unknown command %q", a.fields[0])
		}
		s.printf("%s\n    %s", c.usage, c.help)
		return nil
	}
	s.printf("%s", HelpText())
	return nil
}

// HelpText lists every command with its usage; the binary's --help
// includes it.
func HelpText() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		if n != "QUIT" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("Commands (case-insensitive):\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %s\n      %s\n", commands[n].usage, commands[n].help)
	}
	b.WriteString("Lines starting with # are comments.")
	return b.String()
}
