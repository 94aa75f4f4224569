// Package hub holds the reference server's shared, in-memory state: who is
// online on which connection, each connection's hook subscriptions, pending
// login verifications, reusable tokens, the MOTD and the shutdown schedule.
//
// The hub never touches sockets: it talks to connections through the Peer
// interface, whose methods only queue packets and never block on the
// network, so the hub may call them while holding its lock. Every exported
// method is safe for concurrent use.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// Peer is the hub's view of one client connection.
type Peer interface {
	// Send queues p without waiting. If the connection is closing or its
	// queue is full it reports false; a full queue also closes the
	// connection, because a client that does not read must not hold up
	// others (E-39).
	Send(p *spec.Packet) bool
	// Deliver writes pkts (one or more packets encoded in the server's
	// dialect) and returns once they were written to the socket, or fails
	// if that cannot happen; on failure none of them will be written
	// later. It waits at most the connection's write timeout and does not
	// retain pkts.
	Deliver(ctx context.Context, pkts []byte) error
	// Close sends ERR with the null ID and code, then closes the
	// connection. It does not wait and may be called more than once.
	Close(code spec.ErrCode)
	// RemoteIP is the textual peer address without port (HOOK_DUPSESS).
	RemoteIP() string
	// Secure reports whether the connection is TLS.
	Secure() bool
}

// Errors returned by Hub methods.
var (
	ErrDupSess      = errors.New("hub: user already has a session")
	ErrExists       = errors.New("hub: already subscribed")
	ErrNotFound     = errors.New("hub: not found")
	ErrBusy         = errors.New("hub: too many pending verifications")
	ErrNoPending    = errors.New("hub: no pending verification")
	ErrBadToken     = errors.New("hub: token mismatch")
	ErrPastSchedule = errors.New("hub: shutdown time not in the future")
)

// Member is one logged-in session: a canonical user name bound to a
// connection. Its permission level and subscriptions change under the
// hub's lock; read them through the hub.
type Member struct {
	Name string
	Peer Peer
	perm uint8
	subs uint8 // bit h set = subscribed to hook h (1..4)
}

// Config holds the hub's tunables.
type Config struct {
	Dialect       spec.Dialect
	MOTD          string        // initial MOTD, overridden by a stored one
	VerifyTimeout time.Duration // life of a pending verification
	TokenTTL      time.Duration // fixed life of a reusable token
	MaxPending    int           // pending verifications server-wide; <= 0 = 1024
	Now           func() time.Time
	Logger        *slog.Logger
	// OnShutdown runs (in its own goroutine) when a scheduled shutdown
	// falls due.
	OnShutdown func()
}

// Hub is the shared state. Create it with New.
type Hub struct {
	cfg Config
	st  store.Store
	log *slog.Logger

	mu       sync.Mutex
	online   map[string]*Member
	pending  map[any]*Pending
	tokens   map[string]token
	motd     string
	shutAt   time.Time
	shutTime *time.Timer
	closed   bool
}

// New returns a hub using st for the persisted MOTD.
func New(ctx context.Context, cfg Config, st store.Store) (*Hub, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 1024
	}
	if cfg.VerifyTimeout <= 0 {
		cfg.VerifyTimeout = 2 * time.Minute
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 30 * time.Minute
	}
	h := &Hub{
		cfg:     cfg,
		st:      st,
		log:     cfg.Logger,
		online:  make(map[string]*Member),
		pending: make(map[any]*Pending),
		tokens:  make(map[string]token),
		motd:    cfg.MOTD,
	}
	motd, ok, err := st.Setting(ctx, store.SettingMOTD)
	if err != nil {
		return nil, err
	}
	if ok {
		h.motd = motd
	}
	return h, nil
}

// Now is the hub's clock.
func (h *Hub) Now() time.Time { return h.cfg.Now() }

// Login binds name to peer. If the name already has a session, that
// session is told with HOOK_DUPSESS (if subscribed) and ErrDupSess is
// returned (E-24). On success subscribers get HOOK_NEWLOGIN.
func (h *Hub) Login(name string, perm uint8, peer Peer) (*Member, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.checkDupLocked(name, peer); err != nil {
		return nil, err
	}
	m := &Member{Name: name, Peer: peer, perm: perm}
	h.online[name] = m
	h.notifyLocked(spec.HookNewLogin, nil, []byte(name), []byte{perm})
	return m, nil
}

// CheckDup reports ErrDupSess (and raises HOOK_DUPSESS) if name is online
// on a connection other than peer.
func (h *Hub) CheckDup(name string, peer Peer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.checkDupLocked(name, peer)
}

func (h *Hub) checkDupLocked(name string, peer Peer) error {
	m, ok := h.online[name]
	if !ok {
		return nil
	}
	if m.subs&(1<<spec.HookDupSess) != 0 {
		m.Peer.Send(hookPacket(spec.HookDupSess, []byte(peer.RemoteIP())))
	}
	return ErrDupSess
}

// Logout unbinds m if it is still the live session of its name, drops its
// subscriptions and tells the other subscribers with HOOK_NEWLOGOUT. It
// reports whether m was online; calling it again is harmless.
func (h *Hub) Logout(m *Member) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logoutLocked(m)
}

func (h *Hub) logoutLocked(m *Member) bool {
	if m == nil || h.online[m.Name] != m {
		return false
	}
	delete(h.online, m.Name)
	m.subs = 0
	h.notifyLocked(spec.HookNewLogout, m, []byte(m.Name))
	return true
}

// Disconnect logs name out and closes its connection with ERR code
// (ADMIN_KICK, ADMIN_DEREG; E-34). It reports whether name was online.
func (h *Hub) Disconnect(name string, code spec.ErrCode) bool {
	h.mu.Lock()
	m := h.online[name]
	ok := h.logoutLocked(m)
	h.mu.Unlock()
	if ok {
		m.Peer.Close(code)
	}
	return ok
}

// Lookup returns the live session of name, or nil.
func (h *Hub) Lookup(name string) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.online[name]
}

// Perm returns m's current permission level.
func (h *Hub) Perm(m *Member) uint8 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return m.perm
}

// OnlinePerm returns the level of name's live session, if any.
func (h *Hub) OnlinePerm(name string) (uint8, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.online[name]
	if !ok {
		return 0, false
	}
	return m.perm, true
}

// PermChanged records that name now has level perm and tells every
// subscriber with HOOK_PERMSCHG, online target or not (E-36).
func (h *Hub) PermChanged(name string, perm uint8) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m, ok := h.online[name]; ok {
		m.perm = perm
	}
	h.notifyLocked(spec.HookPermsChg, nil, []byte(name), []byte{perm})
}

// Online lists the live sessions sorted bytewise by name.
func (h *Hub) Online() []store.UserSummary {
	h.mu.Lock()
	list := make([]store.UserSummary, 0, len(h.online))
	for _, m := range h.online {
		list = append(list, store.UserSummary{Name: m.Name, Perm: m.perm})
	}
	h.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// Members returns a snapshot of the live sessions.
func (h *Hub) Members() []*Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := make([]*Member, 0, len(h.online))
	for _, m := range h.online {
		list = append(list, m)
	}
	return list
}

// Subscribe adds hook (or all hooks for HookAll) to m's subscriptions
// (E-36). ErrExists if a single hook is already subscribed.
func (h *Hub) Subscribe(m *Member, hook spec.Hook) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hook == spec.HookAll {
		m.subs = allHooks
		return nil
	}
	bit := uint8(1) << hook
	if m.subs&bit != 0 {
		return ErrExists
	}
	m.subs |= bit
	return nil
}

// Unsubscribe removes hook (or all hooks); ErrNotFound if a single hook
// was not subscribed.
func (h *Hub) Unsubscribe(m *Member, hook spec.Hook) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hook == spec.HookAll {
		m.subs = 0
		return nil
	}
	bit := uint8(1) << hook
	if m.subs&bit == 0 {
		return ErrNotFound
	}
	m.subs &^= bit
	return nil
}

const allHooks = 1<<spec.HookNewLogin | 1<<spec.HookNewLogout | 1<<spec.HookDupSess | 1<<spec.HookPermsChg

// notifyLocked sends a HOOK to every subscriber except skip.
func (h *Hub) notifyLocked(hook spec.Hook, skip *Member, args ...[]byte) {
	var p *spec.Packet
	for _, m := range h.online {
		if m == skip || m.subs&(1<<hook) == 0 {
			continue
		}
		if p == nil {
			p = hookPacket(hook, args...)
		}
		m.Peer.Send(p)
	}
}

func hookPacket(hook spec.Hook, args ...[]byte) *spec.Packet {
	return &spec.Packet{Action: spec.HOOK, Info: uint8(hook), ID: spec.NullID, Args: args}
}
