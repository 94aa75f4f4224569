package server_test

import (
	"context"
	"fmt"
	"net"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// Embedding the server, as the conformance runner does: in-process, on
// loopback, with an in-memory SQLite store.
func Example() {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, ":memory:")
	if err != nil {
		panic(err)
	}
	defer st.Close()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", MOTD: "hi"}, st)
	if err != nil {
		panic(err)
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	defer srv.Shutdown(ctx)

	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	var p spec.Packet
	if err := spec.NewDecoder(nc, spec.ClientBound, spec.DialectSpec).ReadPacket(&p); err != nil {
		panic(err)
	}
	fmt.Printf("%s %q\n", p.Action, p.Args[0])
	// Output: HELLO "hi"
}
