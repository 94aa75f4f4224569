package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/gochatproto/gochat/refserver/server"
	"github.com/gochatproto/gochat/refserver/store"
)

// userCommand runs `user add` and `user set-perm` against the store, so an
// operator can create the first owner without a database shell.
func userCommand(ctx context.Context, st store.Store, args []string) error {
	if len(args) < 2 || args[0] != "user" {
		return fmt.Errorf("unknown command %q (want: user add | user set-perm)", args)
	}
	switch args[1] {
	case "add":
		fs := flag.NewFlagSet("user add", flag.ContinueOnError)
		keyFile := fs.String("key", "", "public key `file` (PEM or DER, RSA 4096)")
		perm := fs.Uint("perm", 0, "permission `level` (0 user, 1 admin, 2 owner)")
		if len(args) < 3 {
			return fmt.Errorf("usage: user add NAME --key FILE [--perm LEVEL]")
		}
		if err := fs.Parse(args[3:]); err != nil {
			return err
		}
		if *keyFile == "" || *perm > 255 {
			return fmt.Errorf("usage: user add NAME --key FILE [--perm LEVEL]")
		}
		key, err := readPublicKey(*keyFile)
		if err != nil {
			return err
		}
		return server.BootstrapUser(ctx, st, args[2], key, uint8(*perm))
	case "set-perm":
		if len(args) != 4 {
			return fmt.Errorf("usage: user set-perm NAME LEVEL")
		}
		level, err := strconv.ParseUint(args[3], 10, 8)
		if err != nil {
			return fmt.Errorf("level: %w", err)
		}
		if err := server.SetPerm(ctx, st, args[2], uint8(level)); err != nil {
			return err
		}
		fmt.Printf("%s now has permission level %d\n", args[2], level) // say it worked
		return nil
	}
	return fmt.Errorf("unknown user command %q", args[1])
}
