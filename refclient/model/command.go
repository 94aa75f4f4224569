package model

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// CommandSpec describes one "/" command for parsing and for the help page.
type CommandSpec struct {
	Name    string
	Aliases []string
	Usage   string // arguments, e.g. "<user> <text...>"
	Help    string
	MinArgs int
	MaxArgs int // -1: any number
	// Rest says the last argument takes the remainder of the line
	// verbatim, spaces included (message text).
	Rest bool
}

// Commands is the command table, in the order the help page lists it.
var Commands = []CommandSpec{
	{Name: "connect", Usage: "[server | [tls:]host[:port]] [-tls] [-insecure] [-dialect spec|gochat1]", Help: "connect to a saved server or an address (default: this server; port 9037, 8037 with TLS)", MaxArgs: 5},
	{Name: "disconnect", Help: "close the connection to this server"},
	{Name: "reconnect", Help: "connect and log in again now (after a lost connection or a kick)"},
	{Name: "server", Usage: "list | add <name> <host[:port]> [-tls] [-insecure] [-dialect d] | del <name>", Help: "list, save or delete named servers", MinArgs: 1, MaxArgs: 7},
	{Name: "register", Usage: "<user>", Help: "create an account (asks for the password twice)", MinArgs: 1, MaxArgs: 1},
	{Name: "login", Usage: "<user>", Help: "log in (asks for the password)", MinArgs: 1, MaxArgs: 1},
	{Name: "logout", Help: "log out; conversation buffers are closed"},
	{Name: "deregister", Help: "delete the logged-in account (asks for the password)"},
	{Name: "msg", Usage: "<user> <text...>", Help: "send a message and open the conversation", MinArgs: 2, MaxArgs: 2, Rest: true},
	{Name: "query", Usage: "<user>", Help: "open a conversation buffer with a user", MinArgs: 1, MaxArgs: 1},
	{Name: "close", Help: "close the current conversation buffer"},
	{Name: "users", Usage: "[online | all]", Help: "list users on the server (default: online)", MaxArgs: 1},
	{Name: "history", Usage: "[n]", Help: "load n older messages of this conversation (default 50)", MaxArgs: 1},
	{Name: "subscribe", Aliases: []string{"sub"}, Usage: "<hook | all>", Help: "receive a hook: newlogin, newlogout, dupsess, permschg", MinArgs: 1, MaxArgs: 1},
	{Name: "unsubscribe", Aliases: []string{"unsub"}, Usage: "<hook | all>", Help: "stop receiving a hook", MinArgs: 1, MaxArgs: 1},
	{Name: "admin", Usage: "<op> [args...]", Help: "shutdown <unix-time> | broadcast <text> | dereg <user> | chgperms <user> <level> | kick <user> | motd <text>", MinArgs: 1, MaxArgs: 2, Rest: true},
	{Name: "trust", Usage: "<user>", Help: "accept a user's changed public key", MinArgs: 1, MaxArgs: 1},
	{Name: "clear", Help: "clear the current buffer's timeline"},
	{Name: "help", Help: "show keys and commands"},
	{Name: "quit", Aliases: []string{"exit"}, Help: "leave the client"},
}

// MaxMessageBytes is how much text one message holds: the RSA-OAEP
// (SHA-256) plaintext limit of the 4096-bit keys every account has (446
// bytes). Longer text is sent as several messages.
const MaxMessageBytes = spec.KeyBits/8 - 2*sha256.Size - 2

// Command is a parsed command line.
type Command struct {
	Name string // canonical name
	Args []string
}

// Errors from ParseCommand.
var (
	ErrNotCommand     = errors.New("not a command")
	ErrUnknownCommand = errors.New("unknown command")
	ErrUsage          = errors.New("wrong arguments")
)

// IsCommand reports whether an input line is a command rather than a
// message. A leading "//" sends a message starting with "/".
func IsCommand(line string) bool {
	return strings.HasPrefix(line, "/") && !strings.HasPrefix(line, "//")
}

// MessageText returns the text to send for a non-command input line.
func MessageText(line string) string {
	if strings.HasPrefix(line, "//") {
		return line[1:]
	}
	return line
}

// LookupCommand finds a command by name or alias, case-insensitively.
func LookupCommand(name string) (CommandSpec, bool) {
	name = strings.ToLower(name)
	for _, c := range Commands {
		if c.Name == name {
			return c, true
		}
		for _, a := range c.Aliases {
			if a == name {
				return c, true
			}
		}
	}
	return CommandSpec{}, false
}

// ParseCommand parses a "/name args..." line. Arguments are separated by
// spaces; a command with Rest keeps the remainder of the line as its last
// argument. Errors wrap ErrNotCommand, ErrUnknownCommand or ErrUsage and
// say what to type instead.
func ParseCommand(line string) (Command, error) {
	if !IsCommand(line) {
		return Command{}, ErrNotCommand
	}
	name, rest, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
	spec, ok := LookupCommand(name)
	if !ok {
		return Command{}, fmt.Errorf("%w /%s (try /help)", ErrUnknownCommand, name)
	}
	args := splitArgs(rest, spec)
	if len(args) < spec.MinArgs || (spec.MaxArgs >= 0 && len(args) > spec.MaxArgs) {
		return Command{}, fmt.Errorf("%w: usage: /%s %s", ErrUsage, spec.Name, spec.Usage)
	}
	return Command{Name: spec.Name, Args: args}, nil
}

func splitArgs(s string, spec CommandSpec) []string {
	if !spec.Rest {
		if f := strings.Fields(s); len(f) > 0 {
			return f
		}
		return nil
	}
	var args []string
	for len(args) < spec.MaxArgs-1 {
		s = strings.TrimLeft(s, " ")
		word, rest, _ := strings.Cut(s, " ")
		if word == "" {
			return args
		}
		args = append(args, word)
		s = rest
	}
	if s = strings.TrimLeft(s, " "); s != "" {
		args = append(args, s)
	}
	return args
}
