package ui

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		text        string
		first, rest int
		want        []string
	}{
		{"", 10, 10, []string{""}},
		{"short", 10, 10, []string{"short"}},
		{"hello big world", 10, 10, []string{"hello big ", "world"}},
		{"abcdefghijkl", 5, 5, []string{"abcde", "fghij", "kl"}},
		{"one two three", 4, 8, []string{"one ", "two ", "three"}},
		{"a\nb", 10, 10, []string{"a", "b"}},
		{"日本語テキスト", 6, 6, []string{"日本語", "テキス", "ト"}},
		{"日x", 1, 1, []string{"日", "x"}}, // too wide for the row: shown anyway, never lost
		{"x", 0, 0, []string{"x"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, wrap(tt.text, tt.first, tt.rest), "%q", tt.text)
	}
}

func TestTruncateAndClean(t *testing.T) {
	assert.Equal(t, "abc", truncate("abcdef", 3))
	assert.Equal(t, "日", truncate("日本", 3))
	assert.Equal(t, "ok", truncate("ok", 3))
	assert.Equal(t, "a\uFFFD[2Jb\nc", clean("a\x1b[2Jb\nc"))
}
