package report

import (
	"bufio"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/docs"
)

// headingPattern matches the numbered headings of docs/spec.md:
// "### 2.1 Header", "## 10 Shutdown", "## Appendix A: Dialects ...".
var headingPattern = regexp.MustCompile(`^#{2,3} (?:Appendix )?([0-9]+(?:\.[0-9]+)?|[A-Z]):? (.+)$`)

// sectionTitles maps section numbers to their headings in the embedded
// docs/spec.md, read once: the section a requirement names is only a
// number, and a reader wants to see what it is about.
var sectionTitles = sync.OnceValue(func() map[string]string {
	titles := map[string]string{}
	f, err := docs.FS.Open("spec.md")
	if err != nil {
		return titles
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := headingPattern.FindStringSubmatch(sc.Text()); m != nil {
			titles[m[1]] = strings.ReplaceAll(m[2], "`", "")
		}
	}
	return titles
})

// sectionOf is the section of the scenario's first requirement, the one
// `gochat-conformance list` files it under; "?" when unknown.
func sectionOf(reg *registry.Registry, r *result.Result) string {
	if reg != nil && len(r.Requirements) > 0 {
		if q, ok := reg.Get(r.Requirements[0]); ok {
			return q.Section
		}
	}
	return "?"
}

// sectionHeading is "2.1 Header", or the bare number when spec.md has no
// such heading.
func sectionHeading(sec string) string {
	if t, ok := sectionTitles()[sec]; ok {
		return sec + " " + t
	}
	if sec == "?" {
		return "Other scenarios"
	}
	return sec
}

// groupBySection groups results by section, sections in document order
// and results in their run order within each.
func groupBySection(reg *registry.Registry, rs []*result.Result) (order []string, by map[string][]*result.Result) {
	by = map[string][]*result.Result{}
	for _, r := range rs {
		sec := sectionOf(reg, r)
		if _, ok := by[sec]; !ok {
			order = append(order, sec)
		}
		by[sec] = append(by[sec], r)
	}
	sortSections(order)
	return order, by
}

func sortSections(secs []string) { slices.SortFunc(secs, registry.CompareSections) }
