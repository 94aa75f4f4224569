// Command gochat-load runs the load generator of package
// conformance/load against a gochat server on loopback. The same CLI is
// meant to be reachable as "gochat-conformance load".
//
//	gochat-load --addr 127.0.0.1:9037 --duration 10s online login
//	gochat-load --stub online       # the generator's own ceiling
package main

import (
	"os"

	"github.com/gochatproto/gochat/conformance/load"
)

func main() { os.Exit(load.Main(os.Args[1:])) }
