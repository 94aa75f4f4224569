package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"
)

func errorAs(err error, target any) bool { return errors.As(err, target) }

func readTestdata(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "testdata", name))
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
