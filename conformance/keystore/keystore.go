// Package keystore keeps the account keys the conformance runner
// registers on servers it does not own, so that no run relies on a server
// releasing a key when its account is deregistered (E-20 is this
// project's decision; the original implementation keeps the key taken).
//
// A Store is a directory: generated private keys (keys/*.pem) and, per
// server, a ledger of the keys already registered there
// (used/<server-hash>.txt, one fingerprint a line). A run leases only keys
// the server's ledger does not list and writes a key to the ledger when
// the scenario that leased it ends having sent a REG; when the fixture
// and cached keys run out, new ones are generated and cached for later
// runs.
package keystore

import (
	"bufio"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gochatproto/gochat/spec"
)

// DirEnv names the environment variable that overrides DefaultDir.
const DirEnv = "GOCHAT_CONFORMANCE_KEYS"

// DefaultDir is $GOCHAT_CONFORMANCE_KEYS, else gochat-conformance/keys in
// the user's cache directory, else (no home, as in a container) in the
// temporary directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		c = os.TempDir()
	}
	return filepath.Join(c, "gochat-conformance", "keys"), nil
}

// Fingerprint identifies a key: the SHA-256 of its PKIX DER encoding, in
// hex.
func Fingerprint(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil { // only for keys crypto/rsa cannot have made
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Store is one key directory. Its methods are safe for concurrent use
// within a process; two runs at once against the same server should use
// different directories.
type Store struct {
	dir string
	mu  sync.Mutex
}

// Open creates dir if needed and returns its store.
func Open(dir string) (*Store, error) {
	for _, d := range []string{filepath.Join(dir, "keys"), filepath.Join(dir, "used")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("keystore: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// OpenDir opens dir, or DefaultDir when dir is empty (a --key-cache flag
// left unset).
func OpenDir(dir string) (*Store, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	return Open(dir)
}

// ForServer returns the keys a run may draw on for server — fixtures plus
// the cached generated keys — and the ledger of the keys registered
// there ("addr HOST:PORT"; "" for a server the run starts itself, whose
// ledger lives only as long as the run).
func (s *Store) ForServer(fixtures map[string]*rsa.PrivateKey, server string) (map[string]*rsa.PrivateKey, *Ledger, error) {
	cached, err := s.Keys()
	if err != nil {
		return nil, nil, err
	}
	keys := maps.Clone(fixtures)
	if keys == nil {
		keys = map[string]*rsa.PrivateKey{}
	}
	maps.Copy(keys, cached)
	if server == "" {
		return keys, s.RunLedger(), nil
	}
	l, err := s.Ledger(server)
	if err != nil {
		return nil, nil, err
	}
	return keys, l, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Keys loads the cached keys, by name.
func (s *Store) Keys() (map[string]*rsa.PrivateKey, error) {
	files, err := filepath.Glob(filepath.Join(s.dir, "keys", "*.pem"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*rsa.PrivateKey, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("keystore: %w", err)
		}
		k, err := spec.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("keystore: %s: %w", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pem")] = k
	}
	return out, nil
}

// Generate makes a new account key, caches it and returns its name.
func (s *Store) Generate() (string, *rsa.PrivateKey, error) {
	k, err := spec.GenerateKey()
	if err != nil {
		return "", nil, err
	}
	name := "gen-" + Fingerprint(&k.PublicKey)[:16]
	path := filepath.Join(s.dir, "keys", name+".pem")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, spec.MarshalPrivateKey(k), 0o600); err != nil {
		return "", nil, fmt.Errorf("keystore: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", nil, fmt.Errorf("keystore: %w", err)
	}
	return name, k, nil
}

// Ledger is the list of keys registered on one server.
type Ledger struct {
	s    *Store
	path string
	used map[string]bool
}

// Ledger opens the ledger of server, a string that identifies it across
// runs (its address, or the command that starts it).
func (s *Store) Ledger(server string) (*Ledger, error) {
	sum := sha256.Sum256([]byte(server))
	l := &Ledger{s: s, path: filepath.Join(s.dir, "used", hex.EncodeToString(sum[:8])+".txt"), used: map[string]bool{}}
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fp := strings.TrimSpace(sc.Text()); fp != "" && !strings.HasPrefix(fp, "#") {
			l.used[fp] = true
		}
	}
	return l, sc.Err()
}

// RunLedger is a ledger kept in memory only: keys are used once in this
// run, for a server the run starts itself (its accounts do not outlive
// it).
func (s *Store) RunLedger() *Ledger { return &Ledger{s: s, used: map[string]bool{}} }

// Used reports whether the key was registered on the server before.
func (l *Ledger) Used(pub *rsa.PublicKey) bool {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.used[Fingerprint(pub)]
}

// Mark records that the key may have been registered on the server.
func (l *Ledger) Mark(pub *rsa.PublicKey) error {
	fp := Fingerprint(pub)
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.used[fp] {
		return nil
	}
	if l.path == "" {
		l.used[fp] = true
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	_, err = fmt.Fprintln(f, fp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	l.used[fp] = true
	return nil
}
