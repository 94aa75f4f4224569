package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// ExportConversation writes the whole conversation between account and
// peer to w as UTF-8 text, oldest first:
//
//	# gochat conversation export v1
//	# server srv, account alice, peer bob
//	2027-01-15T08:00:00Z alice -> bob: first line
//		second line of the same message
//	2027-01-15T08:00:05Z bob -> alice: reply
//
// Times are the message stamps in UTC. Continuation lines of a multi-line
// body start with a tab, so no body can forge a message line.
func (s *Store) ExportConversation(ctx context.Context, w io.Writer, server, account, peer string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT m.direction, m.stamp, m.body
		FROM messages m WHERE m.account_id = (`+accountIDSubquery+`) AND m.peer = ?
		ORDER BY m.id`, server, account, peer)
	if err != nil {
		return wrapErr("export", err)
	}
	defer rows.Close()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# gochat conversation export v1\n# server %s, account %s, peer %s\n",
		server, account, peer)
	for rows.Next() {
		var d, body string
		var stamp int64
		if err := rows.Scan(&d, &stamp, &body); err != nil {
			return wrapErr("export", err)
		}
		from, to := account, peer
		if Direction(d) == Incoming {
			from, to = peer, account
		}
		body = strings.ReplaceAll(body, "\r\n", "\n")
		body = strings.ReplaceAll(body, "\n", "\n\t")
		fmt.Fprintf(bw, "%s %s -> %s: %s\n",
			time.Unix(stamp, 0).UTC().Format(time.RFC3339), from, to, body)
	}
	if err := rows.Err(); err != nil {
		return wrapErr("export", err)
	}
	return bw.Flush()
}
