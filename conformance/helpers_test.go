package conformance_test

import (
	"testing"

	"github.com/gochatproto/gochat/conformance"
)

func loadSuite(t *testing.T) *conformance.Suite {
	t.Helper()
	s, err := conformance.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
