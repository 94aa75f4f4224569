package ui

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/refclient/model"
)

// Backend is everything the interface asks of the protocol and storage
// layers. Methods may block on the network; the UI calls each one on its
// own goroutine with a context that is cancelled when the UI stops, and
// never calls them from the drawing goroutine. Implementations must be
// safe for concurrent use.
//
// Server names are those of saved servers (Servers) or returned by
// Connect. Peers and users are usernames.
type Backend interface {
	// Servers lists the saved servers to show at start-up.
	Servers() []string
	// Events delivers asynchronous events. The UI reads it until it stops;
	// closing it is allowed and means no more events.
	Events() <-chan Event

	// Connect connects to a saved server by name or to an address
	// ("[tls:]host[:port]", with options -tls, -insecure, -dialect) and
	// returns the server's name (an address may be saved under a new
	// name).
	Connect(ctx context.Context, target string, options []string) (server string, err error)
	Disconnect(ctx context.Context, server string) error
	// Reconnect connects and logs in again now: after a lost connection
	// (instead of waiting for the next automatic attempt) or a kick.
	Reconnect(ctx context.Context, server string) error
	// AddServer saves a named server; DeleteServer forgets one with its
	// local accounts and history.
	AddServer(ctx context.Context, name, address string, options []string) error
	DeleteServer(ctx context.Context, name string) error
	Register(ctx context.Context, server, user, password string) error
	// Deregister deletes the logged-in account after checking password.
	Deregister(ctx context.Context, server, password string) error
	// Login logs in. On success the backend delivers the messages queued
	// on the server as MessageEvents and keeps delivering new ones, and
	// HookEvents for the hooks it subscribes to (the original client
	// subscribed to all of them at login).
	Login(ctx context.Context, server, user, password string) error
	Logout(ctx context.Context, server string) error
	// Query prepares a conversation with user (fetching and pinning the
	// user's public key), so a mistyped name fails before any message.
	Query(ctx context.Context, server, user string) error
	// Send encrypts and sends text to peer, split into several messages
	// if it is too long for one. On error, the parts already sent are in
	// the result all the same.
	Send(ctx context.Context, server, peer, text string) (SendResult, error)
	// LoadHistory returns up to n stored messages with peer older than
	// the stored message before (0: the newest), oldest first.
	LoadHistory(ctx context.Context, server, peer string, before int64, n int) ([]Message, error)
	// Users lists the online users, or all registered users if all is set.
	Users(ctx context.Context, server string, all bool) ([]string, error)
	// Subscribe and Unsubscribe take a hook name: newlogin, newlogout,
	// dupsess, permschg, or all.
	Subscribe(ctx context.Context, server, hook string) error
	Unsubscribe(ctx context.Context, server, hook string) error
	// Admin runs an administrative operation: shutdown, broadcast, dereg,
	// chgperms, kick or motd, with its arguments as typed.
	Admin(ctx context.Context, server, op string, args []string) error
	// Trust accepts user's current public key after it changed.
	Trust(ctx context.Context, server, user string) error
	// Quit closes every connection; it is called once, after the UI has
	// stopped drawing, and must make pending calls return.
	Quit() error
}

// Message is one chat message.
type Message struct {
	Time time.Time
	From string
	Text string
	// ID is its row in the local store (0: not stored).
	ID int64
	// Queued marks a sent message held by the server for an offline peer.
	Queued bool
}

// SendResult describes a send: the messages sent, in order (several when
// the text was split), the text not sent after a failure, and whether the
// peer was offline so the server holds the messages.
type SendResult struct {
	Parts  []Message
	Unsent string
	Queued bool
}

// Event is something the backend tells the UI without being asked.
type Event interface{ isEvent() }

// MessageEvent is a message received from Peer (live or caught up).
type MessageEvent struct {
	Server string
	Peer   string
	Message
}

// HookEvent is a server hook. Hook is the upper-case name without the
// HOOK_ prefix: NEWLOGIN (User, Perm), NEWLOGOUT (User), DUPSESS (Addr),
// PERMSCHG (User, Perm).
type HookEvent struct {
	Server string
	Hook   string
	User   string
	Perm   int
	Addr   string
}

// StatusEvent reports a connection state change the UI did not ask for,
// such as the server closing the connection or an automatic reconnection.
// Text, if any, says why. User is the account logged in (LoggedIn);
// RetryAt is when the next attempt starts (Reconnecting). Conversation
// buffers stay open through these changes.
type StatusEvent struct {
	Server  string
	State   model.ConnState
	Text    string
	User    string
	RetryAt time.Time
}

// ShutdownEvent announces a scheduled server shutdown.
type ShutdownEvent struct {
	Server string
	At     time.Time
}

// NoticeEvent is informational text for a server's system buffer, for
// example the MOTD.
type NoticeEvent struct {
	Server string
	Text   string
}

// ErrorEvent is an error not tied to a request, such as an undecryptable
// message or a changed public key.
type ErrorEvent struct {
	Server string
	Text   string
}

func (MessageEvent) isEvent()  {}
func (HookEvent) isEvent()     {}
func (StatusEvent) isEvent()   {}
func (ShutdownEvent) isEvent() {}
func (NoticeEvent) isEvent()   {}
func (ErrorEvent) isEvent()    {}
