package conformance

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
)

func TestLoadElsewhere(t *testing.T) {
	reg, err := registry.Embedded()
	require.NoError(t, err)
	load := func(doc string) ([]Elsewhere, error) {
		return loadElsewhere(fstest.MapFS{ElsewhereFile: {Data: []byte(doc)}}, reg)
	}
	good := "- {id: CONN-3, reason: r, test: a/b_test.go, func: TestX}\n"
	l, err := load(good)
	require.NoError(t, err)
	assert.Equal(t, "TestX", l[0].Func)
	for doc, want := range map[string]string{
		"- {id: NOPE-1, reason: r, test: a/b_test.go, func: TestX}\n":  "unknown requirement",
		"- {id: CONN-3, reason: '', test: a/b_test.go, func: TestX}\n": "reason",
		"- {id: CONN-3, reason: r, test: ../b_test.go, func: TestX}\n": "repository-relative",
		"- {id: CONN-3, reason: r, test: a/b_test.go, func: X}\n":      "Test function",
		good + good:                            "twice",
		"- {id: CONN-3, reason: r, tset: x}\n": "unknown field",
	} {
		_, err := load(doc)
		assert.ErrorContains(t, err, want, doc)
	}
	l, err = loadElsewhere(fstest.MapFS{}, reg)
	assert.NoError(t, err)
	assert.Empty(t, l)
}

func TestElsewhereTestsExist(t *testing.T) {
	s, err := Load(nil)
	require.NoError(t, err)
	require.NotEmpty(t, s.Elsewhere)
	root := RepoRoot(".")
	require.NotEmpty(t, root)
	assert.Empty(t, s.CheckElsewhereTests(root))
	s.Elsewhere = append(s.Elsewhere, Elsewhere{ID: "CONN-3", Test: "conformance/elsewhere_test.go", Func: "TestMissing"})
	assert.Len(t, s.CheckElsewhereTests(root), 1)
}
