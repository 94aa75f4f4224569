// Package testkeys loads the RSA fixture keys committed for the reference
// client's tests (refclient/core/testdata), from any refclient package.
package testkeys

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// Path returns the PEM file of the fixture key name.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	_, self, _, ok := runtime.Caller(0)
	require.True(tb, ok, "locating the testkeys package")
	return filepath.Join(filepath.Dir(self), "..", "..", "core", "testdata", name+".pem")
}

// Load parses the fixture key name.
func Load(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, name))
	require.NoError(tb, err)
	k, err := spec.ParsePrivateKey(b)
	require.NoError(tb, err)
	return k
}
