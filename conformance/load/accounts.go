package load

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// account is a registered (not logged-in) account of the run.
type account struct {
	name  string
	key   poolKey
	fresh bool // registered by this run: deregistered at the end
}

// keyAlloc hands out pool keys so that profiles running at the same time
// (mixed) never use one key twice.
var keyAlloc struct {
	sync.Mutex
	used [poolSize]bool
}

func takeKey(skip map[int]bool) (int, bool) {
	keyAlloc.Lock()
	defer keyAlloc.Unlock()
	for i := range poolSize {
		if !keyAlloc.used[i] && !skip[i] {
			keyAlloc.used[i] = true
			return i, true
		}
	}
	return 0, false
}

func giveKey(i int) {
	keyAlloc.Lock()
	keyAlloc.used[i] = false
	keyAlloc.Unlock()
}

// runTag distinguishes the fresh account names of one run from every
// earlier one: names are never reused once deregistered (E-20).
func runTag() string {
	return strconv.FormatInt(time.Now().UnixNano()/1e6, 36)
}

// accounts registers n accounts on one setup connection. With
// o.ReuseAccounts the names are reuseName(key) and ERR_EXISTS means the
// account is already there. Otherwise names are fresh; a key that is
// still bound to a live account (ERR_EXISTS) is adopted if that account
// has the deterministic name, and skipped if not. Registration is setup:
// it is never measured.
func accounts(ctx context.Context, o *Options, n int, tag string) ([]account, func(), error) {
	keys, err := keyPool()
	if err != nil {
		return nil, nil, err
	}
	c, err := dial(ctx, o.Addr, o.Dialect)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	var (
		accs  []account
		taken []int
		skip  = map[int]bool{}
	)
	free := func() {
		for _, i := range taken {
			giveKey(i)
		}
	}
	base := o.Prefix + tag + runTag()
	for len(accs) < n {
		i, ok := takeKey(skip)
		if !ok {
			free()
			return nil, nil, fmt.Errorf("load: need %d accounts but only %d pool keys are usable (%d bound to unknown accounts on this server)", n, len(accs), len(skip))
		}
		taken = append(taken, i)
		a, err := registerOne(c, o, keys[i], base+strconv.Itoa(len(accs)))
		if err != nil {
			free()
			return nil, nil, err
		}
		if a == nil {
			skip[i] = true
			continue
		}
		accs = append(accs, *a)
	}
	release := func() {
		deregister(o, accs)
		free()
	}
	return accs, release, nil
}

// registerOne returns nil, nil if the key is bound to an account it cannot
// identify.
func registerOne(c *client, o *Options, k poolKey, fresh string) (*account, error) {
	det := reuseName(o.Prefix, k)
	if o.ReuseAccounts {
		err := c.register(det, k.priv)
		if err == nil || isCode(err, spec.CodeExists) {
			return &account{name: det, key: k}, nil
		}
		return nil, fmt.Errorf("load: REG %s: %w", det, err)
	}
	err := c.register(fresh, k.priv)
	if err == nil {
		return &account{name: fresh, key: k, fresh: true}, nil
	}
	if !isCode(err, spec.CodeExists) {
		return nil, fmt.Errorf("load: REG %s: %w", fresh, err)
	}
	// The key is taken. If a --reuse-accounts run registered it, the
	// deterministic name logs in with it.
	err = c.login(det, k.priv, setupTimeout)
	if err != nil {
		return nil, nil
	}
	if err := c.logout(); err != nil {
		return nil, err
	}
	return &account{name: det, key: k}, nil
}

// deregister releases the keys of fresh accounts: log in, DEREG (E-20).
// Failures are ignored: a key left bound is skipped by later runs.
func deregister(o *Options, accs []account) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, a := range accs {
		if !a.fresh {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
			defer cancel()
			c, err := dial(ctx, o.Addr, o.Dialect)
			if err != nil {
				return
			}
			defer c.Close()
			if c.login(a.name, a.key.priv, setupTimeout) == nil {
				_ = c.dereg()
			}
		}()
	}
	wg.Wait()
}

// loginAll connects and logs in every account in parallel.
func loginAll(ctx context.Context, o *Options, accs []account) ([]*client, error) {
	cs := make([]*client, len(accs))
	errs := make([]error, len(accs))
	var wg sync.WaitGroup
	for i, a := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(ctx, o.Addr, o.Dialect)
			if err == nil {
				if err = c.login(a.name, a.key.priv, setupTimeout); err != nil {
					c.Close()
				}
			}
			cs[i], errs[i] = c, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(cs)
		return nil, err
	}
	return cs, nil
}

func closeAll(cs []*client) {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}
