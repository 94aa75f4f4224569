package registry

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Tag is one requirement bullet found in docs/spec.md.
type Tag struct {
	ID      string
	Level   string
	Role    string
	Section string // from the nearest "## N" or "### N.M" heading; "A" for "## Appendix A"
	Line    int    // 1-based line of the bullet
	Text    string // the statement after the colon
	Source  string // SourceSpec or SourceDecision
	Cites   string // as written: "Header, Payload" or "E-7, E-9"
}

var (
	// tagLine is the exact bullet form:
	// - **ID** (LEVEL, role; spec|decision: cites): text
	tagLine = regexp.MustCompile(`^- \*\*([A-Z]+-[0-9]+)\*\* \((MUST|SHOULD|MAY), (server|client|both); (spec|decision): ([^()]+)\): (\S.*)$`)
	// tagLike catches bullets that look like tags but break the form, so
	// that a typo cannot silently drop a requirement from the registry.
	tagLike = regexp.MustCompile(`^ {0,3}[-*] \*\*[A-Z]+-[0-9]+\*\*`)
	// heading matches "## 2 Packet framing", "### 2.1 Header" and
	// "## Appendix A: Dialects".
	heading = regexp.MustCompile(`^(#{2,3}) (?:Appendix ([A-Z])\b|([0-9]+(?:\.[0-9]+)?)\s)`)
)

// ParseSpecMarkdown extracts every requirement tag of a spec document in
// order. A bullet that starts like a tag but does not follow the exact
// form, or a tag before the first numbered heading, is an error naming its
// line ("spec.md:LINE:1" with the file name "spec.md").
func ParseSpecMarkdown(r io.Reader) ([]Tag, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var (
		tags    []Tag
		errs    errorList
		section string
		fenced  bool
	)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if m := heading.FindStringSubmatch(text); m != nil {
			section = m[2] + m[3]
			continue
		}
		pos := Position{File: "spec.md", Line: line, Column: 1}
		m := tagLine.FindStringSubmatch(text)
		switch {
		case m == nil && tagLike.MatchString(text):
			errs = append(errs, &Error{Pos: pos, Msg: "malformed requirement tag: want - **ID** (MUST|SHOULD|MAY, server|client|both; spec|decision: cites): text"})
		case m == nil:
		case section == "":
			errs = append(errs, &Error{Pos: pos, Msg: fmt.Sprintf("requirement %s before the first numbered heading", m[1])})
		default:
			if msg := checkCites(m[4], splitCites(m[5])); msg != "" {
				errs = append(errs, &Error{Pos: pos, Msg: m[1] + ": " + msg})
				continue
			}
			tags = append(tags, Tag{ID: m[1], Level: m[2], Role: m[3], Section: section, Line: line,
				Source: m[4], Cites: m[5], Text: m[6]})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("registry: reading spec: %w", err)
	}
	return tags, errs.err()
}

// RegistryHeader is the first line of docs/requirements.yaml.
const RegistryHeader = "# generated-by-hand registry; must agree with docs/spec.md (checked by conformance/registry tests)\n"

// FormatYAML renders tags as a registry document in the layout of
// docs/requirements.yaml. The summary is the tag's text without Markdown
// code quotes. Run "go test ./conformance/registry -run TestSpecAndYAMLAgree
// -update" to rewrite docs/requirements.yaml from docs/spec.md.
func FormatYAML(tags []Tag) []byte {
	var b strings.Builder
	b.WriteString(RegistryHeader)
	b.WriteString("requirements:\n")
	for _, t := range tags {
		fmt.Fprintf(&b, "  - id: %s\n    level: %s\n    role: %s\n    section: %s\n    source: %s\n    cites: %s\n    summary: %s\n",
			t.ID, t.Level, t.Role, yamlQuote(t.Section), t.Source, yamlQuote(t.Cites), yamlQuote(strings.ReplaceAll(t.Text, "`", "")))
	}
	return []byte(b.String())
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
