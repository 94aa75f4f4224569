package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line    string
		want    Command
		wantErr error
	}{
		{"/connect", Command{Name: "connect"}, nil},
		{"/connect 127.0.0.1:9037", Command{Name: "connect", Args: []string{"127.0.0.1:9037"}}, nil},
		{"/CONNECT home", Command{Name: "connect", Args: []string{"home"}}, nil},
		{"/connect a -tls -insecure -dialect gochat1 x", Command{}, ErrUsage},
		{"/connect a -tls", Command{Name: "connect", Args: []string{"a", "-tls"}}, nil},
		{"/login", Command{}, ErrUsage},
		{"/login  alice ", Command{Name: "login", Args: []string{"alice"}}, nil},
		{"/msg bob hello  there ", Command{Name: "msg", Args: []string{"bob", "hello  there "}}, nil},
		{"/msg  bob   hi", Command{Name: "msg", Args: []string{"bob", "hi"}}, nil},
		{"/msg bob", Command{}, ErrUsage},
		{"/sub all", Command{Name: "subscribe", Args: []string{"all"}}, nil},
		{"/unsub newlogin", Command{Name: "unsubscribe", Args: []string{"newlogin"}}, nil},
		{"/admin kick bob", Command{Name: "admin", Args: []string{"kick", "bob"}}, nil},
		{"/admin broadcast be  right back", Command{Name: "admin", Args: []string{"broadcast", "be  right back"}}, nil},
		{"/admin", Command{}, ErrUsage},
		{"/exit", Command{Name: "quit"}, nil},
		{"/frobnicate", Command{}, ErrUnknownCommand},
		{"hello", Command{}, ErrNotCommand},
		{"//not a command", Command{}, ErrNotCommand},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseCommand(tt.line)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMessageText(t *testing.T) {
	assert.Equal(t, "/shrug", MessageText("//shrug"))
	assert.Equal(t, "plain", MessageText("plain"))
}

func TestCommandTableComplete(t *testing.T) {
	// The help page is generated from the table, so every command the
	// original's users know must be in it.
	for _, name := range []string{"connect", "register", "login", "logout", "disconnect",
		"msg", "query", "users", "subscribe", "unsubscribe", "admin", "trust", "help", "quit"} {
		_, ok := LookupCommand(name)
		assert.True(t, ok, name)
	}
}
