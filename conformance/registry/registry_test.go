package registry

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodDoc = `requirements:
  - id: FRAME-2
    level: MUST
    role: both
    section: "2.1"
    source: spec
    cites: "Header"
    summary: second
  - id: FRAME-10
    level: SHOULD
    role: server
    section: "2.10"
    source: decision
    cites: "E-7, E-9"
    summary: tenth
  - id: CLIENT-1
    level: MAY
    role: client
    section: "2.1"
    source: spec
    cites: Connection, Replies
    summary: client one
  - id: ARG-1
    level: MUST
    role: server
    section: 2.9
    source: decision
    cites: E-1
    summary: unquoted section
`

func TestParseGood(t *testing.T) {
	r, err := Parse([]byte(goodDoc))
	require.NoError(t, err)
	require.Equal(t, 4, r.Len())

	var ids []string
	for _, q := range r.All() {
		ids = append(ids, q.ID)
	}
	// Sections compare numerically (2.9 before 2.10), then IDs.
	assert.Equal(t, []string{"CLIENT-1", "FRAME-2", "ARG-1", "FRAME-10"}, ids)

	q, ok := r.Get("ARG-1")
	require.True(t, ok)
	assert.Equal(t, Requirement{ID: "ARG-1", Level: LevelMust, Role: RoleServer, Section: "2.9", Summary: "unquoted section",
		Source: SourceDecision, Cites: []string{"E-1"}}, q)
	assert.True(t, q.IsDecision())
	q, _ = r.Get("FRAME-10")
	assert.Equal(t, []string{"E-7", "E-9"}, q.Cites)
	q, _ = r.Get("CLIENT-1")
	assert.Equal(t, []string{"Connection", "Replies"}, q.Cites)
	assert.False(t, q.IsDecision())
	_, ok = r.Get("ARG-2")
	assert.False(t, ok)

	assert.Len(t, r.ByRole(RoleServer), 2)
	assert.Len(t, r.AppliesTo(RoleClient), 2) // CLIENT-1 and the "both" FRAME-2
	assert.Len(t, r.ByLevel(LevelMust), 2)

	pos, ok := r.Position("FRAME-10")
	require.True(t, ok)
	assert.Equal(t, Position{File: "<input>", Line: 9, Column: 7}, pos)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // each must appear in the error text
	}{
		{
			name: "unclosed flow sequence",
			doc:  "requirements: [\n",
			want: []string{"f.yaml:1:15: YAML:"},
		},
		{
			name: "tab indentation",
			doc:  "requirements:\n\t- id: A-1\n",
			want: []string{"f.yaml:2:1: YAML:"},
		},
		{
			name: "duplicate ID",
			doc: "requirements:\n" +
				"  - {id: A-1, level: MUST, role: server, section: \"1\", source: spec, cites: Header, summary: a}\n" +
				"  - {id: B-1, level: MUST, role: server, section: \"1\", source: spec, cites: Header, summary: b}\n" +
				"  - id: A-1\n    level: MAY\n    role: client\n    section: \"2\"\n    source: spec\n    cites: Header\n    summary: c\n",
			want: []string{"f.yaml:4:9: duplicate requirement ID A-1 (first defined at f.yaml:2:"},
		},
		{
			name: "duplicate key in one entry",
			doc:  "requirements:\n  - id: A-1\n    id: A-2\n",
			want: []string{"f.yaml:3:5: YAML: mapping key \"id\" already defined"},
		},
		{
			name: "bad ID, level and role are all reported",
			doc:  "requirements:\n  - id: frame-1\n    level: MUSTNT\n    role: peer\n    section: \"1\"\n    summary: x\n",
			want: []string{
				`f.yaml:2:9: invalid requirement ID "frame-1"`,
				`f.yaml:3:12: invalid level "MUSTNT"`,
				`f.yaml:4:11: invalid role "peer"`,
			},
		},
		{
			name: "empty summary",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    summary: \"  \"\n",
			want: []string{"f.yaml:6:14: empty summary"},
		},
		{
			name: "missing key",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n",
			want: []string{`f.yaml:2:7: requirement A-1: missing key "summary"`},
		},
		{
			name: "unknown key",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    summary: x\n    owner: me\n",
			want: []string{`f.yaml:7:12: unknown key "owner"`},
		},
		{
			name: "missing source and cites",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    summary: x\n",
			want: []string{`requirement A-1: missing key "source"`, `requirement A-1: missing key "cites"`},
		},
		{
			name: "bad source",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    source: rumour\n    cites: Header\n    summary: x\n",
			want: []string{`f.yaml:6:13: invalid source "rumour"`},
		},
		{
			name: "spec source cites no heading of the original",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    source: spec\n    cites: \"Header, Chapter 9\"\n    summary: x\n",
			want: []string{`f.yaml:7:12: "Chapter 9" is not a heading of the original specification`},
		},
		{
			name: "spec source with empty cites",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    source: spec\n    cites: \"\"\n    summary: x\n",
			want: []string{`cites no section of the original specification`},
		},
		{
			name: "decision cites no errata entry",
			doc:  "requirements:\n  - id: A-1\n    level: MUST\n    role: both\n    section: \"1\"\n    source: decision\n    cites: Header\n    summary: x\n",
			want: []string{`f.yaml:7:12: "Header" is not an errata entry (want E-n)`},
		},
		{
			name: "wrong top level",
			doc:  "reqs: []\n",
			want: []string{`f.yaml:1:1: unknown top-level key "reqs"`},
		},
		{
			name: "list is a mapping",
			doc:  "requirements:\n  id: A-1\n",
			want: []string{`f.yaml:2:5: "requirements" must be a sequence`},
		},
		{
			name: "empty document",
			doc:  "# nothing\n",
			want: []string{"f.yaml:1:1: empty document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile("f.yaml", []byte(tt.doc))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	assert.Negative(t, CompareSections("2.9", "2.10"))
	assert.Negative(t, CompareSections("2", "2.1"))
	assert.Negative(t, CompareSections("11.4", "A"))
	assert.Zero(t, CompareSections("4.3", "4.3"))
	assert.Negative(t, CompareIDs("FRAME-9", "FRAME-10"))
	assert.Negative(t, CompareIDs("ARG-20", "FRAME-1"))
}

func TestParseSpecMarkdown(t *testing.T) {
	doc := strings.Join([]string{
		"# Title",
		"## 1 Overview",
		"    - **FAKE-1** (MUST, server): indented code is not a bullet",
		"### 1.2 Details",
		"- **FRAME-1** (MUST, both; decision: E-1): first (E-1).",
		"```",
		"- **FRAME-9** (MUST, both): inside a fence, ignored",
		"```",
		"## 2 Next",
		"- **CLIENT-1** (SHOULD, client; spec: Header, Replies): second",
		"## Appendix A: Extra",
		"- **ENC-1** (MAY, server; spec: Connection): third",
	}, "\n")
	tags, err := ParseSpecMarkdown(strings.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, []Tag{
		{ID: "FRAME-1", Level: "MUST", Role: "both", Section: "1.2", Line: 5, Source: "decision", Cites: "E-1", Text: "first (E-1)."},
		{ID: "CLIENT-1", Level: "SHOULD", Role: "client", Section: "2", Line: 10, Source: "spec", Cites: "Header, Replies", Text: "second"},
		{ID: "ENC-1", Level: "MAY", Role: "server", Section: "A", Line: 12, Source: "spec", Cites: "Connection", Text: "third"},
	}, tags)
}

func TestParseSpecMarkdownErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"missing comma", "## 1 X\n- **A-1** (MUST server): x\n", "spec.md:2:1: malformed requirement tag"},
		{"lower-case level", "## 1 X\n\n- **A-1** (must, server): x\n", "spec.md:3:1: malformed requirement tag"},
		{"bad role", "## 1 X\n- **A-1** (MUST, peer): x\n", "spec.md:2:1: malformed requirement tag"},
		{"no source", "## 1 X\n- **A-1** (MUST, server): x\n", "spec.md:2:1: malformed requirement tag"},
		{"unknown upstream heading", "## 1 X\n- **A-1** (MUST, server; spec: Chapter 9): x\n", `spec.md:2:1: A-1: "Chapter 9" is not a heading of the original specification`},
		{"decision without errata", "## 1 X\n- **A-1** (MUST, server; decision: Header): x\n", `spec.md:2:1: A-1: "Header" is not an errata entry`},
		{"no heading", "- **A-1** (MUST, server; spec: Header): x\n", "spec.md:1:1: requirement A-1 before the first numbered heading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpecMarkdown(strings.NewReader(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestFormatYAMLRoundTrip(t *testing.T) {
	tags := []Tag{
		{ID: "A-1", Level: "MUST", Role: "server", Section: "2.10", Source: "spec", Cites: "Header, Payload", Text: "quotes \" and \\ and `code`: colon"},
		{ID: "B-2", Level: "MAY", Role: "both", Section: "A", Source: "decision", Cites: "E-3", Text: "- dash first"},
	}
	r, err := Parse(FormatYAML(tags))
	require.NoError(t, err)
	assert.Equal(t, []Requirement{
		{ID: "A-1", Level: "MUST", Role: "server", Section: "2.10", Summary: "quotes \" and \\ and code: colon", Source: "spec", Cites: []string{"Header", "Payload"}},
		{ID: "B-2", Level: "MAY", Role: "both", Section: "A", Summary: "- dash first", Source: "decision", Cites: []string{"E-3"}},
	}, r.All())
}
