// Package store defines the persistent state of the reference server: user
// accounts, messages queued for offline recipients, and server settings such
// as the MOTD.
//
// The package holds only the interface and its value types; backends live in
// subpackages (sqlstore) and all of them are checked by the shared suite in
// storetest, so the server's session and hub layers can rely on the contract
// documented here rather than on any one database.
//
// Names reach the store already normalised (lowercase [a-z0-9]{1,32}) and keys
// as canonical PKIX DER; the store compares both byte for byte and never folds
// case or trims spaces.
package store

import (
	"context"
	"errors"
	"time"
)

// Permission levels held in User.Perm.
const (
	PermUser  uint8 = 0
	PermAdmin uint8 = 1
	PermOwner uint8 = 2
)

// Errors returned by Store methods; test with errors.Is.
var (
	// ErrNotFound reports that the named user does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrNameTaken reports that a live user already has the name.
	ErrNameTaken = errors.New("store: name taken")
	// ErrNameDangling reports that the name belonged to a user who
	// deregistered; such names are never reused.
	ErrNameDangling = errors.New("store: name belongs to a deregistered user")
	// ErrKeyTaken reports that another live user has registered the key.
	ErrKeyTaken = errors.New("store: key taken")
)

// User is one account. Rows are never deleted: deregistration clears the key
// and keeps the name so it can never be claimed again.
type User struct {
	ID           int64
	Name         string // canonical lowercase name
	Key          []byte // canonical PKIX DER; nil when deregistered
	Perm         uint8
	Deregistered bool
	Created      time.Time
}

// UserSummary is the part of a user that the user list shows.
type UserSummary struct {
	Name string
	Perm uint8
}

// Message is a message queued for a recipient who was offline when it was
// sent.
type Message struct {
	ID    int64 // assigned by QueueMessage; increases in arrival order
	From  string
	To    string
	Stamp time.Time // sender's timestamp, Unix-second precision
	Body  []byte    // opaque ciphertext, up to 2047 bytes
	// Queued is when the server stored the message; set by the store when
	// zero.
	Queued time.Time
}

// Cursor is a position in a recipient's queue, whose order is by Stamp and
// then by ID: ReadPending continues after it. The zero Cursor (ID 0, which
// no message has) is the position before the first message.
type Cursor struct {
	Stamp int64 // Unix seconds
	ID    int64
}

// After returns the position just after m.
func (m *Message) After() Cursor { return Cursor{Stamp: m.Stamp.Unix(), ID: m.ID} }

// Store is the server's persistent state. Implementations are safe for
// concurrent use by multiple goroutines. Every method that returns nil has
// committed its effect durably.
type Store interface {
	// CreateUser adds a live user. It fails with ErrNameTaken if a live user
	// has the name, ErrNameDangling if a deregistered user had it, and
	// ErrKeyTaken if another live user has the key; name errors take
	// precedence.
	CreateUser(ctx context.Context, name string, key []byte, perm uint8) (User, error)

	// UserByName returns the user with exactly this name, including a
	// deregistered one (Deregistered set, Key nil), or ErrNotFound.
	UserByName(ctx context.Context, name string) (User, error)

	// Deregister clears the user's key (freeing it for another registration),
	// keeps the name forever, and deletes messages queued for the user.
	// Messages the user sent stay deliverable. Deregistering a deregistered
	// user succeeds. ErrNotFound if there is no such user.
	Deregister(ctx context.Context, name string) error

	// SetPerm sets the user's permission level (also for a deregistered
	// user). ErrNotFound if there is no such user.
	SetPerm(ctx context.Context, name string, perm uint8) error

	// ListUsers returns the live users sorted bytewise by name.
	ListUsers(ctx context.Context) ([]UserSummary, error)

	// QueueMessage stores m for m.To and returns its ID. m.ID is ignored.
	// ErrNotFound if the sender does not exist or the recipient does not
	// exist or is deregistered.
	QueueMessage(ctx context.Context, m Message) (int64, error)

	// PendingMessages returns up to limit messages queued for to, ordered by
	// Stamp and then by arrival; limit <= 0 means all. An unknown recipient
	// has no messages.
	PendingMessages(ctx context.Context, to string, limit int) ([]Message, error)

	// QueueMessages stores each message of ms as QueueMessage would, and
	// returns one error per message, in order: nil once the message is
	// durably committed, ErrNotFound if its sender does not exist or its
	// recipient does not exist or is deregistered (that message alone is
	// not stored), or the error that failed the commit meant to hold it
	// (that message is not stored). A backend may commit the messages of
	// concurrent calls together (group commit); it never splits one call
	// across commits, so one call's messages are all stored or, but for
	// ErrNotFound ones, all failed. IDs are assigned but not reported.
	// ms and its bodies are not kept after the call returns.
	QueueMessages(ctx context.Context, ms []Message) []error

	// ReadPending calls fn with up to limit messages queued for to, in
	// PendingMessages order, starting after the position after (the zero
	// Cursor: from the first). The Message and its From and Body are
	// valid only during the call, so a caller can encode it without a
	// copy; fn returns false to stop early. Queued may be left zero (a
	// catch-up does not send it; PendingMessages has it). limit must be
	// positive. An unknown recipient has no messages.
	ReadPending(ctx context.Context, to string, after Cursor, limit int, fn func(*Message) bool) error

	// DeleteMessages deletes the messages with the given IDs that are
	// addressed to to, and nothing else, so a message queued while a
	// catch-up is running survives it. Unknown IDs are ignored.
	DeleteMessages(ctx context.Context, to string, ids []int64) error

	// CountPending returns the number of messages queued for to.
	CountPending(ctx context.Context, to string) (int, error)

	// Setting returns the value stored under key and whether it exists.
	Setting(ctx context.Context, key string) (string, bool, error)

	// SetSetting stores value under key, replacing any previous value.
	SetSetting(ctx context.Context, key, value string) error

	// Close releases the store's resources.
	Close() error
}

// SettingMOTD is the settings key under which the server keeps its message
// of the day, so an ADMIN MOTD change survives a restart.
const SettingMOTD = "motd"
