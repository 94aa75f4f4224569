// Command genkeys writes the fixture RSA-4096 keys used by the conformance
// scenarios to scenarios/fixtures/keys. The keys are committed: the suite
// never generates keys at run time, because RSA-4096 generation takes
// seconds per key and would dominate the run.
//
// Run it from the repository root only when adding a fixture:
//
//	go run ./scenarios/internal/genkeys            # writes missing keys
//	go run ./scenarios/internal/genkeys -force     # regenerates all
//
// The load generator's key pool (conformance/load/keys) comes from it too:
//
//	go run ./scenarios/internal/genkeys -dir conformance/load/keys -names= -prefix load -pool 64
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Names lists the named fixture keys. Scenarios refer to keys by these
// names; at run time the runner maps each name a scenario uses to a key
// leased from the pool (every key except admin and owner), so that
// parallel scenarios never register the same key twice (REG-3).
var names = []string{
	"alice", "bob", "carol", "dave", "eve", "frank",
	"grace", "heidi", "ivan", "judy", "admin", "owner",
}

// poolSize extra keys (pool00, pool01, ...) widen the lease pool, which
// bounds how many scenarios can run at once.
const poolSize = 36

func main() {
	dir := flag.String("dir", "scenarios/fixtures/keys", "output directory")
	force := flag.Bool("force", false, "regenerate existing keys")
	named := flag.String("names", strings.Join(names, ","), "comma-separated named keys")
	prefix := flag.String("prefix", "pool", "name prefix of the numbered keys")
	pool := flag.Int("pool", poolSize, "number of numbered keys")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var all []string
	if *named != "" {
		all = strings.Split(*named, ",")
	}
	for i := range *pool {
		all = append(all, fmt.Sprintf("%s%02d", *prefix, i))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	sem := make(chan struct{}, 8)
	for i, n := range all {
		path := filepath.Join(*dir, n+".pem")
		if _, err := os.Stat(path); err == nil && !*force {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = writeKey(path)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func writeKey(path string) error {
	k, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return os.WriteFile(path, b, 0o644)
}
