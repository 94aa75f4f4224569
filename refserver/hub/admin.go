package hub

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// MOTD returns the current message of the day.
func (h *Hub) MOTD() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.motd
}

// SetMOTD persists and installs a new MOTD (E-35).
func (h *Hub) SetMOTD(ctx context.Context, motd string) error {
	if err := h.st.SetSetting(ctx, store.SettingMOTD, motd); err != nil {
		return err
	}
	h.mu.Lock()
	h.motd = motd
	h.mu.Unlock()
	return nil
}

// ScheduleShutdown replaces the shutdown schedule with at, sends SHTDWN to
// every logged-in user and arms a timer that calls Config.OnShutdown (E-32).
func (h *Hub) ScheduleShutdown(at time.Time) error {
	now := h.cfg.Now()
	if !at.After(now) {
		return ErrPastSchedule
	}
	p := h.shutdownPacket(at)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	if h.shutTime != nil {
		h.shutTime.Stop()
	}
	h.shutAt = at
	// The timer runs on the wall clock even when Now is faked, so tests
	// can schedule a shutdown a second ahead.
	h.shutTime = time.AfterFunc(at.Sub(now), h.fireShutdown)
	for _, m := range h.online {
		m.Peer.Send(p)
	}
	return nil
}

func (h *Hub) fireShutdown() {
	h.mu.Lock()
	fire := !h.closed && h.cfg.OnShutdown != nil
	h.mu.Unlock()
	if fire {
		h.cfg.OnShutdown()
	}
}

// ShutdownNotice returns the SHTDWN packet a user who just logged in must
// get, or nil if no shutdown is scheduled.
func (h *Hub) ShutdownNotice() *spec.Packet {
	h.mu.Lock()
	at := h.shutAt
	h.mu.Unlock()
	if at.IsZero() {
		return nil
	}
	return h.shutdownPacket(at)
}

func (h *Hub) shutdownPacket(at time.Time) *spec.Packet {
	ts := h.cfg.Dialect.AppendTimestamp(nil, at)
	return &spec.Packet{Action: spec.SHTDWN, Info: spec.EmptyInfo, ID: spec.NullID, Args: [][]byte{ts}}
}

// Close stops the shutdown timer; the hub must not schedule anything
// afterwards.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.shutTime != nil {
		h.shutTime.Stop()
	}
}
