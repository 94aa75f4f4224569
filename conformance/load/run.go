// Package load is a load generator for any gochat v1 server. It drives
// the server through the protocol only, so it measures the reference
// server and third-party servers alike.
//
// Profiles:
//
//   - online: Pairs sender/receiver pairs, Window MSGs in flight per
//     sender; delivered messages per second, MSG→RECIV latency at the
//     receiver and MSG→OK at the sender.
//   - login: a login storm of Logins concurrent workers (LOGIN, VERIF with
//     the decrypted challenge, LOGOUT); logins per second.
//   - catchup: cache Messages messages for an offline user, then time
//     RECIV→OK and RECIV→last message of the catch-up.
//   - offline: Pairs senders keep Window MSGs in flight to recipients who
//     stay offline; stored messages per second and MSG→OK (see offline.go).
//   - conns: open Conns idle connections, each receiving HELLO; how many
//     held, and the server's RSS if it can be read.
//   - mixed: online and login at the same time, next to idle connections.
//
// Accounts need a unique RSA-4096 key each, so keys come from a committed
// pool (keys/, from scenarios/internal/genkeys) and no key is generated while measuring.
// Message ciphertexts are encrypted once per receiver; the server relays
// them unchecked (MSG-8), so client-side RSA stays out of the measured path
// except in the login storm, where decrypting the challenge is part of
// logging in (its share is reported as client_decrypt_us).
package load

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Profiles lists the profile names Run accepts.
var Profiles = []string{"online", "login", "catchup", "offline", "conns", "mixed"}

// Run runs one profile against o.Addr. mixed returns one result per part.
func Run(ctx context.Context, profile string, o Options) ([]*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	one := func(r *Result, err error) ([]*Result, error) {
		if err != nil {
			return nil, fmt.Errorf("load: %s: %w", profile, err)
		}
		return []*Result{r}, nil
	}
	switch profile {
	case "online":
		return one(runOnline(ctx, &o))
	case "login":
		return one(runLogin(ctx, &o))
	case "catchup":
		return one(runCatchup(ctx, &o))
	case "offline":
		return one(runOffline(ctx, &o))
	case "conns":
		return one(runConns(ctx, &o))
	case "mixed":
		return runMixed(ctx, &o)
	}
	return nil, fmt.Errorf("load: unknown profile %q (want one of %v)", profile, Profiles)
}

// runMixed holds half of Conns idle (at most 1000) while online traffic
// with half the pairs and a login storm with half the workers run for the
// same window.
func runMixed(ctx context.Context, o *Options) ([]*Result, error) {
	idle := *o
	idle.Conns = max(1, min(o.Conns/2, 1000))
	conns, cres := openConns(ctx, &idle)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	on, lg := *o, *o
	on.Pairs = max(1, o.Pairs/2)
	lg.Logins = max(1, o.Logins/2)
	on.Progress, lg.Progress = o.Progress, nil
	var (
		wg     sync.WaitGroup
		ro, rl *Result
		eo, el error
	)
	wg.Add(2)
	go func() { defer wg.Done(); ro, eo = runOnline(ctx, &on) }()
	go func() { defer wg.Done(); rl, el = runLogin(ctx, &lg) }()
	wg.Wait()
	if eo != nil || el != nil {
		return nil, fmt.Errorf("load: mixed: %w", firstErr(eo, el))
	}
	cres.Figures["conns_held"] = float64(countAlive(conns))
	out := []*Result{ro, rl, cres}
	for _, r := range out {
		r.Profile = "mixed/" + r.Profile
	}
	return slices.Clip(out), nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
