package sqlstore

import "github.com/gochatproto/gochat/refserver/store"

// SetCommitFault makes every group commit of s call fault with the
// group's message count just before it commits; an error fails the
// group. nil removes the fault.
func SetCommitFault(s store.Store, fault func(msgs int) error) {
	g := &s.(*Store).group
	if fault == nil {
		g.fault.Store(nil)
		return
	}
	g.fault.Store(&fault)
}
