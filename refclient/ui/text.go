package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// seg is a run of text drawn in one style.
type seg struct {
	text  string
	style tcell.Style
}

// row is one screen row of segments.
type row []seg

// put draws text at (x, y), clipped to maxX, one grapheme cluster at a
// time so wide characters take their two cells, and returns the next x.
func put(s tcell.Screen, x, y, maxX int, text string, style tcell.Style) int {
	state := -1
	for text != "" && x < maxX {
		var cluster string
		var w int
		cluster, text, w, state = uniseg.FirstGraphemeClusterInString(text, state)
		if w == 0 {
			continue // a lone combining mark or control: nothing to show
		}
		if x+w > maxX {
			break
		}
		s.Put(x, y, cluster, style)
		x += w
	}
	return x
}

// drawRow draws a row's segments from x, clipped to maxX.
func drawRow(s tcell.Screen, x, y, maxX int, r row) {
	for _, sg := range r {
		x = put(s, x, y, maxX, sg.text, sg.style)
	}
}

// fill paints a rectangle with spaces in style.
func fill(s tcell.Screen, x, y, w, h int, style tcell.Style) {
	for j := y; j < y+h; j++ {
		for i := x; i < x+w; i++ {
			s.SetContent(i, j, ' ', nil, style)
		}
	}
}

// width returns the display width of text.
func width(text string) int { return uniseg.StringWidth(text) }

// truncate cuts text to at most w columns.
func truncate(text string, w int) string {
	if width(text) <= w {
		return text
	}
	var b strings.Builder
	used, state := 0, -1
	for text != "" {
		var cluster string
		var cw int
		cluster, text, cw, state = uniseg.FirstGraphemeClusterInString(text, state)
		if used+cw > w {
			break
		}
		b.WriteString(cluster)
		used += cw
	}
	return b.String()
}

// wrap splits text into pieces of at most first columns for the first
// piece and rest columns for the others, breaking after spaces where it
// can and always at newlines. It never returns an empty slice.
func wrap(text string, first, rest int) []string {
	first, rest = max(first, 1), max(rest, 1)
	var out []string
	for _, para := range strings.Split(text, "\n") {
		for {
			limit := rest
			if len(out) == 0 {
				limit = first
			}
			piece, more := cut(para, limit)
			out = append(out, piece)
			if more == "" {
				break
			}
			para = more
		}
	}
	return out
}

// cut returns the longest prefix of text that fits in w columns, ending
// after a space if one is in the prefix, and the remainder.
func cut(text string, w int) (string, string) {
	used, state, pos, lastSpace := 0, -1, 0, -1
	rem := text
	for rem != "" {
		cluster, next, cw, st := uniseg.FirstGraphemeClusterInString(rem, state)
		if used+cw > w {
			break
		}
		used += cw
		pos += len(cluster)
		if cluster == " " {
			lastSpace = pos
		}
		rem, state = next, st
	}
	if rem == "" {
		return text, ""
	}
	if pos == 0 { // a cluster wider than the line: show it anyway
		cluster, next, _, _ := uniseg.FirstGraphemeClusterInString(text, -1)
		return cluster, next
	}
	if lastSpace > 0 {
		pos = lastSpace
	}
	return text[:pos], text[pos:]
}
