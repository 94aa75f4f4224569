package hub

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// discardPeer counts what the hub sends without keeping it, so a benchmark's
// memory does not grow with b.N.
type discardPeer struct{ sent atomic.Int64 }

func (p *discardPeer) Send(*spec.Packet) bool                { p.sent.Add(1); return true }
func (p *discardPeer) Deliver(context.Context, []byte) error { return nil }
func (p *discardPeer) Close(spec.ErrCode)                    {}
func (p *discardPeer) RemoteIP() string                      { return "127.0.0.1" }
func (p *discardPeer) Secure() bool                          { return false }

func benchHub(b *testing.B) *Hub {
	b.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	h, err := New(context.Background(), Config{VerifyTimeout: time.Minute, TokenTTL: time.Minute}, st)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

// online logs in n members named u0..u(n-1); the first subs of them
// subscribe to every hook.
func online(b *testing.B, h *Hub, n, subs int) []*Member {
	b.Helper()
	ms := make([]*Member, n)
	for i := range ms {
		m, err := h.Login(fmt.Sprintf("u%d", i), spec.PermUser, &discardPeer{})
		if err != nil {
			b.Fatal(err)
		}
		if i < subs {
			if err := h.Subscribe(m, spec.HookAll); err != nil {
				b.Fatal(err)
			}
		}
		ms[i] = m
	}
	return ms
}

// BenchmarkLookup is the per-MSG cost of finding the recipient among
// 10,000 online users, from every core at once.
func BenchmarkLookup(b *testing.B) {
	h := benchHub(b)
	online(b, h, 10000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if h.Lookup(fmt.Sprint("u", i%10000)) == nil {
				b.Fatal("member missing")
			}
			i++
		}
	})
}

// BenchmarkLoginLogout is one login and one logout with 1,000 users online,
// of whom subs receive the NEWLOGIN and NEWLOGOUT hooks.
func BenchmarkLoginLogout(b *testing.B) {
	for _, subs := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			h := benchHub(b)
			online(b, h, 1000, subs)
			peer := &discardPeer{}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m, err := h.Login("newcomer", spec.PermUser, peer)
				if err != nil {
					b.Fatal(err)
				}
				h.Logout(m)
			}
		})
	}
}

// BenchmarkOnline builds the USRS ONLINE list for 1,000 users.
func BenchmarkOnline(b *testing.B) {
	h := benchHub(b)
	online(b, h, 1000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(h.Online()) != 1000 {
			b.Fatal("wrong list")
		}
	}
}

// BenchmarkVerify is one pending verification begun and taken, the hub's
// share of a challenge login.
func BenchmarkVerify(b *testing.B) {
	h := benchHub(b)
	challenge := make([]byte, spec.ChallengeLen)
	owner := new(int)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := h.BeginVerify(owner, "alice", challenge); err != nil {
			b.Fatal(err)
		}
		if _, err := h.TakeVerify(owner); err != nil {
			b.Fatal(err)
		}
	}
}
