//go:build ignore

// gen_keys writes the load generator's pool of RSA-4096 keys (keys/loadNN.pem).
// Accounts need a unique key each and 4096-bit generation takes about a
// second, so the pool is generated once and committed rather than created
// in the measured path. Existing files are kept.
//
//	go run gen_keys.go -n 64
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

func main() {
	n := flag.Int("n", 64, "number of keys in the pool")
	dir := flag.String("dir", "keys", "output directory")
	par := flag.Int("j", 2, "parallel generators")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range *par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range work {
				k, err := spec.GenerateKey()
				if err != nil {
					log.Fatal(err)
				}
				if err := os.WriteFile(path, spec.MarshalPrivateKey(k), 0o644); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	for i := range *n {
		path := filepath.Join(*dir, fmt.Sprintf("load%02d.pem", i))
		if _, err := os.Stat(path); err == nil {
			continue
		}
		work <- path
	}
	close(work)
	wg.Wait()
}
