package report

import (
	"io"
	"time"
)

// Timeline is an explorer finding as the timeline page draws it: the
// violations found, the plan that reproduces them, and the history with
// one column per actor, so that concurrent steps sit side by side. The
// explorer's types stay in its package; the CLI converts a finding file.
type Timeline struct {
	Title, Rerun string
	Violations   []TimelineViolation
	Plan         []string
	Columns      []string
	Rows         []TimelineRow
}

// TimelineViolation is one broken invariant and the events that show it.
type TimelineViolation struct {
	Invariant, Source, Ref, Detail string
	Seqs                           []int
}

// TimelineRow is one event of the history, drawn in column Column.
type TimelineRow struct {
	Seq    int
	At     time.Duration
	Column int
	Kind   string // the event kind; it names the row's CSS class
	Text   string
	Marked bool // a violation cites it
}

type timelinePage struct {
	Timeline
	Marked int
}

// TimelineHTML writes the timeline page: self-contained like the others,
// the events a violation cites marked, and a button that keeps only them.
func TimelineHTML(w io.Writer, t Timeline) error {
	cited := map[int]bool{}
	for _, v := range t.Violations {
		for _, s := range v.Seqs {
			cited[s] = true
		}
	}
	p := timelinePage{Timeline: t}
	p.Rows = append([]TimelineRow(nil), t.Rows...)
	for i := range p.Rows {
		if cited[p.Rows[i].Seq] {
			p.Rows[i].Marked = true
			p.Marked++
		}
	}
	return pages.ExecuteTemplate(w, "timeline.tmpl", p)
}
