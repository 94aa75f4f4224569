package wire

import (
	"context"
	"crypto/rsa"
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/protoclient"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/spec"
)

// runAccounts are the accounts of one fuzz run (and the run's state that
// outlives a server instance: restarts, notes). They are registered once
// per server database: after a restart, a server that still knows the
// bystander (its database survived) gets no REG at all, and an empty one
// gets each account again with its own key, which that database has never
// seen. So a run never sends REG twice for a key on one database: fragile
// servers crash on that, and the original implementation keeps a key taken
// even after DEREG (the key release of errata E-20 is our decision).
type runAccounts struct {
	by, probe, fuzz Account
	victim          *Account   // admin mode only
	givenFuzz       bool       // fuzz is the caller's --user: never registered here
	keys            *keySource // keys for accounts the run may still need
	restarts        int        // servers started by FuzzConfig.Restart
	notes           int        // decision-level differences (FuzzReport.Notes)
	reg             *registry.Registry
}

// provisionRun registers the run's accounts on the first server.
func provisionRun(ctx context.Context, cfg *FuzzConfig, addr string) (*runAccounts, error) {
	n := 3
	if cfg.User != nil {
		n = 2
	}
	if cfg.Admin != nil {
		n++ // the victim
	}
	src, err := newKeySource(cfg.Keys, int(cfg.Seed%1024))
	if err != nil {
		return nil, err
	}
	accts, err := provision(ctx, addr, cfg.Dialect, n, "fz", src, cfg.slow())
	if err != nil {
		return nil, err
	}
	reg, err := registry.Embedded()
	if err != nil {
		return nil, err
	}
	ra := &runAccounts{by: accts[0], probe: accts[1], keys: src, reg: reg}
	if cfg.User != nil {
		ra.fuzz, ra.givenFuzz = *cfg.User, true
	} else {
		ra.fuzz = accts[2]
	}
	if cfg.Admin != nil {
		v := accts[n-1]
		ra.victim = &v
	}
	return ra, nil
}

// registered lists the accounts the run registered itself.
func (ra *runAccounts) registered() []Account {
	out := []Account{ra.by, ra.probe}
	if !ra.givenFuzz {
		out = append(out, ra.fuzz)
	}
	if ra.victim != nil {
		out = append(out, *ra.victim)
	}
	return out
}

// onEmptyDatabase lists the accounts a restarted server with an empty
// database needs: the run's own and the caller's --user account, which
// that database has never seen either.
func (ra *runAccounts) onEmptyDatabase() []Account {
	out := ra.registered()
	if ra.givenFuzz {
		out = append(out, ra.fuzz)
	}
	return out
}

// env is one server instance with the run's accounts and the bystander
// session.
type env struct {
	cfg             *FuzzConfig
	addr            string
	ra              *runAccounts
	fuzz, probe, by Account
	bystander       *conn
	victim          *conn // admin mode: logged in so that KICK has a target
	roles           roles
	replies         []spec.Header // replies seen by the last recorded check
}

// newEnv attaches to the server at addr with the run's accounts.
func newEnv(ctx context.Context, cfg *FuzzConfig, addr string, ra *runAccounts) (*env, error) {
	e := &env{cfg: cfg, addr: addr, ra: ra}
	if err := e.connect(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// connect logs the bystander (and in admin mode the victim) in. A server
// that does not know the bystander started with an empty database: the
// run's accounts are registered on it first. On error nothing stays open.
func (e *env) connect(ctx context.Context) error {
	if err := e.connectOnce(ctx); err != nil {
		e.close()
		return err
	}
	return nil
}

func (e *env) connectOnce(ctx context.Context) error {
	e.fuzz, e.probe, e.by = e.ra.fuzz, e.ra.probe, e.ra.by
	c, err := dial(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout)
	if err != nil {
		return err
	}
	err = c.login(ctx, e.by, e.cfg.slow())
	if protoclient.IsCode(err, spec.CodeNotFound) {
		if err = registerAll(c, e.ra.onEmptyDatabase(), e.cfg.slow()); err == nil {
			err = c.login(ctx, e.by, e.cfg.slow())
		}
	}
	if err != nil {
		c.close()
		return fmt.Errorf("bystander login: %w", err)
	}
	e.bystander = c
	if err := e.setRoles(); err != nil {
		return err
	}
	if e.ra.victim == nil {
		return nil
	}
	if e.victim, err = dial(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout); err != nil {
		return fmt.Errorf("victim: %w", err)
	}
	err = e.victim.login(ctx, *e.ra.victim, e.cfg.slow())
	if protoclient.IsCode(err, spec.CodeDereg) || protoclient.IsCode(err, spec.CodeNotFound) {
		err = e.replaceVictim(ctx) // an ADMIN_DEREG of an earlier case removed it
	}
	if err != nil {
		return fmt.Errorf("victim login: %w", err)
	}
	return nil
}

// replaceVictim registers a new victim with a key the run has not used
// yet (the old key may stay taken: E-20 is not relied on) and logs it
// in.
func (e *env) replaceVictim(ctx context.Context) error {
	k, err := e.ra.spareKey()
	if err != nil {
		return err
	}
	v := Account{Name: fmt.Sprintf("fz%sv", runTag()), Key: k}
	if err := e.victim.register(v, e.cfg.slow()); err != nil {
		return err
	}
	e.ra.victim = &v
	if err := e.setRoles(); err != nil {
		return err
	}
	return e.victim.login(ctx, v, e.cfg.slow())
}

// spareKey hands out a key the run has not used.
func (ra *runAccounts) spareKey() (*rsa.PrivateKey, error) { return ra.keys.next() }

func registerAll(c *conn, as []Account, timeout time.Duration) error {
	for _, a := range as {
		if err := c.register(a, timeout); err != nil {
			return fmt.Errorf("registering %s on a server with an empty database: %w", a.Name, err)
		}
	}
	return nil
}

func (e *env) setRoles() error {
	key, err := e.cfg.Dialect.MarshalPublicKey(&e.fuzz.Key.PublicKey)
	if err != nil {
		return err
	}
	e.roles = roles{self: e.fuzz.Name, bystander: e.by.Name, key: key, dialect: e.cfg.Dialect}
	if e.cfg.Admin != nil && e.ra.victim != nil {
		e.roles.admin, e.roles.victim = strings.ToLower(e.cfg.Admin.Name), e.ra.victim.Name
		e.roles.keep = []string{e.by.Name, e.probe.Name, strings.ToLower(e.fuzz.Name), e.roles.admin}
	}
	return nil
}

func (e *env) close() {
	if e == nil {
		return
	}
	if e.bystander != nil {
		e.bystander.close()
		e.bystander = nil
	}
	if e.victim != nil {
		e.victim.close()
		e.victim = nil
	}
}

// recover makes the target usable after a failure: the same server if it
// still greets clients and lets the bystander log in, else (with
// FuzzConfig.Restart) a restarted one.
func (e *env) recover(ctx context.Context) error {
	e.close()
	err := alive(ctx, e.addr, e.cfg.Dialect, e.cfg.Timeout)
	if err == nil {
		if err = e.connect(ctx); err == nil {
			return nil
		}
	}
	if e.cfg.Restart == nil {
		return fmt.Errorf("the server is down (%v) and cannot be restarted (pass --server-cmd)", err)
	}
	return e.restart(ctx)
}

// restart replaces the server by a new instance (FuzzConfig.Restart) and
// connects to it.
func (e *env) restart(ctx context.Context) error {
	e.close()
	if e.cfg.Restart == nil {
		return fmt.Errorf("no way to restart the server")
	}
	addr, err := e.cfg.Restart(ctx)
	if err != nil {
		return fmt.Errorf("restarting the server: %w", err)
	}
	e.ra.restarts++
	e.cfg.logf("server restarted at %s (restart %d)", addr, e.ra.restarts)
	e.addr = addr
	return e.connect(ctx)
}

// loginFuzz logs the fuzz account in. If a mutated DEREG removed it in an
// earlier case, a new account is registered with a key this run has not
// used yet: the old key may stay taken (E-20 is not relied on).
func (e *env) loginFuzz(ctx context.Context, c *conn) error {
	err := c.login(ctx, e.fuzz, e.cfg.slow())
	gone := protoclient.IsCode(err, spec.CodeDereg) || protoclient.IsCode(err, spec.CodeNotFound)
	if !gone || e.ra.givenFuzz {
		return err
	}
	k, kerr := e.ra.spareKey()
	if kerr != nil {
		return fmt.Errorf("the fuzz account is gone (%w): %w", err, kerr)
	}
	e.ra.fuzz = Account{Name: fmt.Sprintf("fz%sr", runTag()), Key: k}
	e.fuzz = e.ra.fuzz
	if err := e.setRoles(); err != nil {
		return err
	}
	if err := c.register(e.fuzz, e.cfg.slow()); err != nil {
		return err
	}
	return c.login(ctx, e.fuzz, e.cfg.slow())
}

// decisionOnly: the stream is malformed only by a decision of this project
// and the run is not strict, so a server that keeps the connection open is
// a note, not a finding.
func (e *env) decisionOnly(v verdict) bool {
	return !e.cfg.Strict && e.ra != nil && e.ra.reg != nil && decisionOnly(e.ra.reg, v.req)
}
