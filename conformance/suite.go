// Package conformance is the gochat conformance suite as a library. The
// gochat-conformance command is a thin wrapper around it, and server
// implementers can run the suite from go test with RunServer:
//
//	func TestConformance(t *testing.T) {
//		conformance.RunServer(t, conformance.Options{Addr: "127.0.0.1:9037"})
//	}
package conformance

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/conformance/target"
	"github.com/gochatproto/gochat/conformance/target/embedded"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

// Options select the target and the scenarios.
type Options struct {
	// Addr is the server's plain TCP address. Empty: run the embedded
	// reference server (or launch ServerCmd).
	Addr string
	// TLSAddr is the server's TLS address, if any.
	TLSAddr string
	// TLSInsecure skips certificate verification on TLSAddr.
	TLSInsecure bool
	// Admin and Owner are privileged accounts on an external server.
	Admin, Owner *target.Account
	// Dialect the server speaks (default spec).
	Dialect spec.Dialect
	// ServerCmd launches a server per scenario that needs a fresh one
	// (see target.Command for placeholders). With Addr empty it also
	// launches the shared server.
	ServerCmd string

	// Scenarios replaces the embedded scenario tree (server/*.yaml,
	// client/*.yaml, fixtures/keys/*.pem).
	Scenarios fs.FS

	Run          string   // regexp over scenario IDs
	Tags         []string // any of these tags
	Level        string   // must, should or all (default all)
	Parallel     int
	Seed         int64 // 0: random
	TimeoutScale float64
	// Expect maps scenario IDs to the reason they are expected to fail.
	Expect map[string]string
	// OpenStore backs the embedded reference server with another store
	// (default: in-memory SQLite). It is called once per server instance.
	OpenStore func(ctx context.Context) (store.Store, error)
}

// Suite is a loaded scenario catalogue with its fixtures.
type Suite struct {
	Registry  *registry.Registry
	Scenarios []*scenario.Scenario
	Keys      map[string]*rsa.PrivateKey
	// Elsewhere lists requirements verified by Go tests, not scenarios.
	Elsewhere []Elsewhere
}

// Load reads the registry, the fixture keys and the scenarios of fsys
// (the embedded tree when nil).
func Load(fsys fs.FS) (*Suite, error) {
	if fsys == nil {
		fsys = scenarios.FS
	}
	reg, err := registry.Embedded()
	if err != nil {
		return nil, fmt.Errorf("requirement registry: %w", err)
	}
	keys, err := codec.LoadKeys(fsys, "fixtures/keys")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for k := range keys {
		names[k] = true
	}
	known := func(id string) bool { _, ok := reg.Get(id); return ok }
	scs, err := scenario.Load(fsys, scenario.LoadOptions{KnownRequirement: known, Keys: names})
	if err != nil {
		return nil, err
	}
	elsewhere, err := loadElsewhere(fsys, reg)
	if err != nil {
		return nil, err
	}
	return &Suite{Registry: reg, Scenarios: scs, Keys: keys, Elsewhere: elsewhere}, nil
}

// Select filters the server scenarios by Run, Tags and Level.
func (s *Suite) Select(o Options) ([]*scenario.Scenario, error) {
	var re *regexp.Regexp
	if o.Run != "" {
		var err error
		if re, err = regexp.Compile(o.Run); err != nil {
			return nil, fmt.Errorf("--run: %w", err)
		}
	}
	maxRank := 2
	switch o.Level {
	case "", "all":
	case "must":
		maxRank = 0
	case "should":
		maxRank = 1
	default:
		return nil, fmt.Errorf("--level must be must, should or all")
	}
	var out []*scenario.Scenario
	for _, sc := range s.Scenarios {
		if sc.Role != "server" || sc.Level.Rank() > maxRank {
			continue
		}
		if re != nil && !re.MatchString(sc.ID) {
			continue
		}
		if len(o.Tags) > 0 && !slices.ContainsFunc(o.Tags, func(t string) bool { return slices.Contains(sc.Tags, t) }) {
			continue
		}
		out = append(out, sc)
	}
	for id := range o.Expect {
		if !slices.ContainsFunc(s.Scenarios, func(sc *scenario.Scenario) bool { return sc.ID == id }) {
			return nil, fmt.Errorf("expectations: no scenario %q (stale entry?)", id)
		}
	}
	return out, nil
}

// RandomSeed returns a non-zero random seed.
func RandomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1
}

// NewTarget builds the target o describes: External with Addr, Command
// with ServerCmd, otherwise the embedded reference server.
func NewTarget(ctx context.Context, o Options, s *Suite, salt string) (target.Target, error) {
	adminName := runner.Username(o.Seed, salt, "", "admin")
	ownerName := runner.Username(o.Seed, salt, "", "owner")
	switch {
	case o.Addr != "":
		ep := &target.Endpoint{Addr: o.Addr, TLSAddr: o.TLSAddr, Admin: o.Admin, Owner: o.Owner,
			Describe: "--addr " + o.Addr}
		if o.TLSAddr != "" {
			ep.Describe += " --tls-addr " + o.TLSAddr
		}
		ep.TLSConfig = tlsClientConfig(o.TLSInsecure)
		if o.TLSInsecure {
			ep.Describe += " --tls-insecure"
		}
		return &target.External{EP: ep, D: o.Dialect}, nil
	case o.ServerCmd != "":
		c := &target.Command{Template: o.ServerCmd, D: o.Dialect}
		if strings.Contains(o.ServerCmd, "{admin_user}") {
			c.Admin = &target.Account{Name: adminName, Key: s.Keys["admin"]}
		}
		if strings.Contains(o.ServerCmd, "{owner_user}") {
			c.Owner = &target.Account{Name: ownerName, Key: s.Keys["owner"]}
		}
		return target.StartCommand(ctx, c)
	}
	return embedded.New(ctx, embedded.Options{Dialect: o.Dialect,
		AdminKey: s.Keys["admin"], OwnerKey: s.Keys["owner"], AdminName: adminName, OwnerName: ownerName,
		OpenStore: o.OpenStore})
}

// LoadExpectations reads an expectations file: a YAML mapping from
// scenario ID to the reason it is expected to fail.
func LoadExpectations(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, false))
	}
	for id, reason := range m {
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s: every expected failure needs a reason", path, id)
		}
	}
	return m, nil
}

// LoadAccount reads a privileged account's key file.
func LoadAccount(name, keyFile string) (*target.Account, error) {
	if name == "" && keyFile == "" {
		return nil, nil
	}
	if name == "" || keyFile == "" {
		return nil, errors.New("an account needs both a user name and a key file")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	k, err := codec.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return &target.Account{Name: strings.ToLower(name), Key: k}, nil
}
