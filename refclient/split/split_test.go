package split

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestMessage(t *testing.T) {
	cases := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"fits", "hello world", 20, []string{"hello world"}},
		{"exactly", "abcde", 5, []string{"abcde"}},
		{"at a space", "aaaa bbbb cccc", 10, []string{"aaaa bbbb", "cccc"}},
		{"space right at the limit", "aaaaa bbbbb", 5, []string{"aaaaa", "bbbbb"}},
		{"at a newline", "aaaa\nbbbbbb", 8, []string{"aaaa", "bbbbbb"}},
		{"no space: hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"space too early: hard cut", "a bcdefghij", 6, []string{"a bcde", "fghij"}},
		{"rune boundary", "ééééé", 5, []string{"éé", "éé", "é"}},
		{"rune longer than max", "😀😀", 3, []string{"😀", "😀"}},
		{"no limit", "abc", 0, []string{"abc"}},
		{"empty", "", 5, []string{""}},
		{"separator at the very end", "aaaaa ", 5, []string{"aaaaa"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, starts := Message(tc.text, tc.max)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, len(got), Count(tc.text, tc.max))
			for i, p := range got {
				assert.True(t, strings.HasPrefix(tc.text[starts[i]:], p), "piece %d starts at %d", i, starts[i])
			}
		})
	}
}

// A message of 446-byte pieces, as a 4096-bit key takes: every piece fits,
// every piece is valid UTF-8, and only cut separators are lost.
func FuzzMessage(f *testing.F) {
	f.Add(strings.Repeat("word ", 200), 446)
	f.Add(strings.Repeat("ü", 500), 446)
	f.Add("a\nb c", 2)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max <= 0 || max > 4096 || !utf8.ValidString(text) {
			return
		}
		pieces, starts := Message(text, max)
		kept := 0
		for i, p := range pieces {
			if len(p) > max && utf8.RuneCountInString(p) != 1 {
				t.Fatalf("piece %d has %d bytes, max %d", i, len(p), max)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("piece %d is not valid UTF-8", i)
			}
			if !strings.HasPrefix(text[starts[i]:], p) {
				t.Fatalf("piece %d is not at %d", i, starts[i])
			}
			kept += len(p)
		}
		if lost := len(text) - kept; lost < 0 || lost > len(pieces) {
			t.Fatalf("%d bytes lost in %d pieces", lost, len(pieces))
		}
	})
}
