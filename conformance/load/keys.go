package load

import (
	"crypto/rsa"
	"embed"
	"fmt"
	"sync"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/spec"
)

//go:generate go run ../../scenarios/internal/genkeys -dir keys -names= -prefix load -pool 64

// poolSize is the number of committed keys: every live account needs its
// own key (REG-3), and generating RSA-4096 keys takes about a second each,
// so the pool is generated once (scenarios/internal/genkeys) and embedded.
const poolSize = 64

//go:embed keys/*.pem
var keyFiles embed.FS

// poolKey is one parsed pool key with its encodings.
type poolKey struct {
	priv *rsa.PrivateKey
	fp   string // hex SHA-256 fingerprint
}

var (
	poolOnce sync.Once
	pool     []poolKey
	poolErr  error
)

func keyPool() ([]poolKey, error) {
	poolOnce.Do(func() {
		keys, err := codec.LoadKeys(keyFiles, "keys")
		if err != nil {
			poolErr = fmt.Errorf("load: pool keys: %w", err)
			return
		}
		for i := range poolSize {
			k := keys[fmt.Sprintf("load%02d", i)]
			if k == nil {
				poolErr = fmt.Errorf("load: pool key load%02d.pem is missing", i)
				return
			}
			pool = append(pool, poolKey{priv: k, fp: spec.Fingerprint(&k.PublicKey)})
		}
	})
	return pool, poolErr
}

// reuseName is the deterministic account name of pool key k: the same
// on every run and every server, so an account left registered by an
// earlier run is found again instead of blocking its key.
func reuseName(prefix string, k poolKey) string {
	return prefix + "k" + k.fp[:12]
}
