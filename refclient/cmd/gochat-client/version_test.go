package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"--version"}, nil, &out, &errs)
	require.Equal(t, 0, code, errs.String())
	require.Regexp(t, `^gochat-client \S+ \(commit \S+, go\S+ \w+/\w+\)\n$`, out.String())
}
