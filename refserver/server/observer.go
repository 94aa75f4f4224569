package server

import "github.com/gochatproto/gochat/refserver/session"

// Observer receives the events that the server's metrics count
// (refserver/metrics implements it). Methods are called from connection
// and accept goroutines, so they must be cheap and safe for concurrent
// use; none may block.
type Observer interface {
	session.Observer
	// ConnMoved moves one connection from state from to state to;
	// ConnNone is the from of a new connection and the to of a closed one.
	ConnMoved(from, to ConnState)
	// LimitHit counts one refusal by limit l.
	LimitHit(l Limit)
	// Login counts a VERIF or token LOGIN, made without a session, that
	// logged in (ok) or did not.
	Login(ok bool)
}

// ConnState is where a client socket is in its life.
type ConnState uint8

const (
	ConnNone      ConnState = iota // not a connection (yet, or any more)
	ConnWaiting                    // accepted, waiting for admission (E-38)
	ConnHandshake                  // admitted, TLS handshake running
	ConnAnonymous                  // HELLO sent, no session, no pending verification
	ConnVerifying                  // a LOGIN waits for its VERIF
	ConnLoggedIn                   // a user's session is bound to it
)

var connStateNames = [...]string{"none", "waiting", "handshake", "anonymous", "verifying", "logged_in"}

// ConnStates lists the states a connection can be in (ConnNone excluded).
var ConnStates = []ConnState{ConnWaiting, ConnHandshake, ConnAnonymous, ConnVerifying, ConnLoggedIn}

func (s ConnState) String() string {
	if int(s) < len(connStateNames) {
		return connStateNames[s]
	}
	return "unknown"
}

func stateOf(s session.State) ConnState {
	switch s {
	case session.LoggedIn:
		return ConnLoggedIn
	case session.Verifying:
		return ConnVerifying
	}
	return ConnAnonymous
}

// Limit names one of the Limits, for counting refusals.
type Limit uint8

const (
	LimitConnsPerSource   Limit = iota // socket over MaxConnsPerSource
	LimitDescriptors                   // socket over the descriptor budget
	LimitLoginDeadline                 // connection closed at LoginDeadline
	LimitReg                           // REG refused by the Reg bucket
	LimitLogin                         // LOGIN refused by the Login bucket
	LimitVerifyFail                    // VERIF refused by the VerifyFail bucket
	LimitPendingPerSource              // LOGIN refused by MaxPendingPerSource
)

var limitNames = [...]string{"conns_per_source", "descriptors", "login_deadline",
	"reg_rate", "login_rate", "verify_fail_rate", "pending_per_source"}

// AllLimits lists every Limit.
var AllLimits = []Limit{LimitConnsPerSource, LimitDescriptors, LimitLoginDeadline,
	LimitReg, LimitLogin, LimitVerifyFail, LimitPendingPerSource}

func (l Limit) String() string {
	if int(l) < len(limitNames) {
		return limitNames[l]
	}
	return "unknown"
}

type nopObserver struct{}

func (nopObserver) MessagesLive(int)             {}
func (nopObserver) MessageStored()               {}
func (nopObserver) CaughtUp(int)                 {}
func (nopObserver) ConnMoved(from, to ConnState) {}
func (nopObserver) LimitHit(Limit)               {}
func (nopObserver) Login(bool)                   {}
