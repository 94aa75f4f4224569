package session

// Observer receives the message events that the server's metrics count
// (refserver/metrics). Its methods are called from the reader goroutine of
// the connection concerned and must be cheap and safe for concurrent use.
type Observer interface {
	// MessagesLive counts MSGs whose RECIV was written to an online
	// recipient.
	MessagesLive(n int)
	// MessageStored counts a MSG queued for a recipient who was offline
	// (or whose live delivery failed).
	MessageStored()
	// CaughtUp counts one RECIV catch-up that delivered n queued messages.
	CaughtUp(n int)
}

type nopObserver struct{}

func (nopObserver) MessagesLive(int) {}
func (nopObserver) MessageStored()   {}
func (nopObserver) CaughtUp(int)     {}

// State is where a connection stands in the login handshake.
type State uint8

const (
	Anonymous State = iota // no session and no pending verification
	Verifying              // a LOGIN waits for its VERIF (E-21)
	LoggedIn               // a user's session is bound to the connection
)

// State reports the connection's login state; the transport's login
// deadline and per-source limits follow it (E-48, E-52). Like Handle, it
// is for the reader goroutine only. A session that an admin ended from
// another connection still counts as logged in: that connection is being
// closed anyway.
func (s *Session) State() State {
	switch {
	case s.member != nil:
		return LoggedIn
	case s.hub.HasPending(s):
		return Verifying
	}
	return Anonymous
}
