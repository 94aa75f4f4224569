package registry

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/docs"
)

var update = flag.Bool("update", false, "rewrite docs/requirements.yaml from docs/spec.md")

func embeddedTags(t *testing.T) []Tag {
	t.Helper()
	src, err := docs.FS.ReadFile("spec.md")
	require.NoError(t, err)
	tags, err := ParseSpecMarkdown(bytes.NewReader(src))
	require.NoError(t, err)
	return tags
}

// TestSpecAndYAMLAgree keeps docs/spec.md and docs/requirements.yaml
// identical in IDs, levels, roles, sections and sources.
func TestSpecAndYAMLAgree(t *testing.T) {
	tags := embeddedTags(t)
	if *update {
		require.NoError(t, os.WriteFile("../../docs/requirements.yaml", FormatYAML(tags), 0o644))
		t.Skip("rewrote docs/requirements.yaml; run again without -update")
	}
	reg, err := Embedded()
	require.NoError(t, err)

	inSpec := map[string]Tag{}
	for _, tag := range tags {
		if prev, dup := inSpec[tag.ID]; dup {
			t.Errorf("spec.md:%d: %s already tagged at spec.md:%d", tag.Line, tag.ID, prev.Line)
			continue
		}
		inSpec[tag.ID] = tag
		q, ok := reg.Get(tag.ID)
		if !ok {
			t.Errorf("spec.md:%d: %s is missing from requirements.yaml", tag.Line, tag.ID)
			continue
		}
		pos, _ := reg.Position(tag.ID)
		got := fmt.Sprintf("%s/%s/%s/%s: %s", q.Level, q.Role, q.Section, q.Source, strings.Join(q.Cites, ", "))
		want := fmt.Sprintf("%s/%s/%s/%s: %s", tag.Level, tag.Role, tag.Section, tag.Source, strings.Join(splitCites(tag.Cites), ", "))
		if got != want {
			t.Errorf("%s: level/role/section/source %s, but spec.md:%d has %s", pos, got, tag.Line, want)
		}
	}
	for _, q := range reg.All() {
		if _, ok := inSpec[q.ID]; !ok {
			pos, _ := reg.Position(q.ID)
			t.Errorf("%s: %s is not tagged in spec.md", pos, q.ID)
		}
	}
}

// TestSpecNumbering checks that each prefix is numbered 1..N without gaps,
// so a new ID is always the next free number. Document order is free: a
// statement added later sits beside the ones it belongs with.
func TestSpecNumbering(t *testing.T) {
	seen := map[string]map[int]bool{}
	for _, tag := range embeddedTags(t) {
		prefix, n := splitID(tag.ID)
		if seen[prefix] == nil {
			seen[prefix] = map[int]bool{}
		}
		seen[prefix][n] = true
	}
	for prefix, ns := range seen {
		for n := 1; n <= len(ns); n++ {
			if !ns[n] {
				t.Errorf("%s-%d is missing: IDs of a prefix are numbered 1..%d without gaps", prefix, n, len(ns))
			}
		}
	}
}

func TestRegistrySize(t *testing.T) {
	reg, err := Embedded()
	require.NoError(t, err)
	assert.Greater(t, reg.Len(), 80)
	for _, role := range []string{RoleServer, RoleClient, RoleBoth} {
		assert.NotEmpty(t, reg.ByRole(role), role)
	}
	for _, level := range []string{LevelMust, LevelShould, LevelMay} {
		assert.NotEmpty(t, reg.ByLevel(level), level)
	}
}

var (
	errataCited   = regexp.MustCompile(`\bE-([0-9]+)\b`)
	errataDefined = regexp.MustCompile(`\*\*E-([0-9]+)\b`)
)

// TestErrataCitationsExist checks that every "E-n" cited in spec.md is an
// entry of errata.md.
func TestErrataCitationsExist(t *testing.T) {
	spec, err := docs.FS.ReadFile("spec.md")
	require.NoError(t, err)
	errata, err := docs.FS.ReadFile("errata.md")
	require.NoError(t, err)

	defined := map[string]bool{}
	for _, m := range errataDefined.FindAllSubmatch(errata, -1) {
		defined[string(m[1])] = true
	}
	require.NotEmpty(t, defined, "no **E-n entries found in errata.md")

	missing := map[string]int{} // cited ID -> first line
	for i, line := range bytes.Split(spec, []byte("\n")) {
		for _, m := range errataCited.FindAllSubmatch(line, -1) {
			if n := string(m[1]); !defined[n] {
				if _, seen := missing[n]; !seen {
					missing[n] = i + 1
				}
			}
		}
	}
	var report []string
	for n, line := range missing {
		report = append(report, fmt.Sprintf("spec.md:%d: E-%s is not defined in errata.md", line, n))
	}
	sort.Strings(report)
	for _, r := range report {
		t.Error(r)
	}
}
