package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPasswordFile: -password-file keeps the first line of any file, at
// most 4096 bytes, without its line ending, and never fails on content.
func FuzzPasswordFile(f *testing.F) {
	for _, s := range []string{"secret\n", "secret\r\nsecond line\n", "", "\n", "no newline", "\xff\x00pw\r\r\n"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "pw")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := passwordSource(options{passwordFile: path}, nil)
		if err != nil || src == nil {
			t.Fatalf("password file rejected: %v", err)
		}
		pw, err := src("password: ", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) > 4096 || bytes.IndexByte(pw, '\n') >= 0 || !bytes.HasPrefix(data, pw) {
			t.Fatalf("password %q from file %q", pw, data)
		}
		if bytes.HasSuffix(pw, []byte("\r")) {
			t.Fatalf("line ending kept: %q", pw)
		}
	})
}
