// Package split cuts message text that is too long for one RSA-OAEP block
// into pieces that each fit (E-55). The application layer sends the
// pieces as separate MSGs; the terminal interface counts them while the
// user types.
package split

import (
	"strings"
	"unicode/utf8"
)

// Message cuts text into pieces of at most max bytes: at the last space or
// newline that leaves the piece at least half full, else at the last rune
// boundary (a single rune longer than max is kept whole). The separator a
// cut falls on is dropped; nothing else is. Text that fits, or max <= 0,
// gives one piece. starts[i] is where pieces[i] begins in text, so the
// unsent rest of a message is exactly what was typed.
func Message(text string, max int) (pieces []string, starts []int) {
	start := 0
	for max > 0 && len(text)-start > max {
		rest := text[start:]
		cut, next := max, max
		if i := strings.LastIndexAny(rest[:max+1], " \n"); i >= max/2 {
			cut, next = i, i+1
		} else {
			for cut > 0 && !utf8.RuneStart(rest[cut]) {
				cut--
			}
			if cut == 0 {
				_, cut = utf8.DecodeRuneInString(rest)
			}
			next = cut
		}
		pieces, starts = append(pieces, rest[:cut]), append(starts, start)
		start += next
	}
	if start < len(text) || len(pieces) == 0 {
		pieces, starts = append(pieces, text[start:]), append(starts, start)
	}
	return pieces, starts
}

// Count is how many pieces Message makes of text.
func Count(text string, max int) int {
	pieces, _ := Message(text, max)
	return len(pieces)
}
