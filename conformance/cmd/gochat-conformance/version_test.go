package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		code, out, errs := runCLI(arg)
		require.Equal(t, 0, code, errs)
		require.Regexp(t, `^gochat-conformance \S+ \(commit \S+, go\S+ \w+/\w+\)\n$`, out)
	}
}
