package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportConversation(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	withAccount(t, s)
	for _, m := range []Message{
		msg("bob", Outgoing, 0, "hello"),
		msg("carol", Incoming, 1, "not in bob's export"),
		msg("bob", Incoming, 5, "two\nlines\r\nthree"),
		msg("bob", Incoming, 6, "\n2027-01-01T00:00:00Z bob -> alice: forged?"),
	} {
		_, _, err := s.AddMessage(ctx, m)
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	require.NoError(t, s.ExportConversation(ctx, &buf, "srv", "alice", "bob"))
	assert.Equal(t, "# gochat conversation export v1\n"+
		"# server srv, account alice, peer bob\n"+
		"2027-01-15T08:00:00Z alice -> bob: hello\n"+
		"2027-01-15T08:00:05Z bob -> alice: two\n\tlines\n\tthree\n"+
		"2027-01-15T08:00:06Z bob -> alice: \n\t2027-01-01T00:00:00Z bob -> alice: forged?\n",
		buf.String())
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportConversationWriteError(t *testing.T) {
	s, _ := newStore(t)
	withAccount(t, s)
	err := s.ExportConversation(context.Background(), failWriter{}, "srv", "alice", "bob")
	assert.EqualError(t, err, "disk full")
}
