package targets

import (
	"bytes"
	"io/fs"
	"testing"

	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/scenarios"
)

// FuzzScenarioParse: the loader must return an error, never panic or hang,
// on any bytes, in either role. Seeds: every committed scenario file plus
// testdata/fuzz/FuzzScenarioParse.
func FuzzScenarioParse(f *testing.F) {
	for _, role := range []string{scenario.RoleServer, scenario.RoleClient} {
		files, _ := fs.Glob(scenarios.FS, role+"/*.yaml")
		for _, n := range files {
			b, err := fs.ReadFile(scenarios.FS, n)
			if err == nil {
				f.Add(b, role == scenario.RoleClient)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, client bool) {
		role := scenario.RoleServer
		if client {
			role = scenario.RoleClient
		}
		ss, err := scenario.Parse(role+"/fuzz.yaml", data, role, scenario.LoadOptions{})
		if err == nil {
			for _, s := range ss {
				if s == nil {
					t.Fatal("nil scenario without an error")
				}
			}
		}
	})
}

// FuzzCorpusParse: the case parser never panics, respects its size limit,
// and a parsed case survives a render/parse round trip of its writes.
func FuzzCorpusParse(f *testing.F) {
	files, _ := fs.Glob(corpus.Files, "*"+corpus.Ext)
	for _, n := range files {
		b, _ := fs.ReadFile(corpus.Files, n)
		f.Add(n, b)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		c, err := corpus.Parse(name, data)
		if err != nil {
			return
		}
		if len(c.Bytes()) > corpus.MaxWriteBytes {
			t.Fatalf("%d bytes accepted, limit %d", len(c.Bytes()), corpus.MaxWriteBytes)
		}
		for _, w := range c.Writes {
			back, err := corpus.DecodeWrite(corpus.EncodeWrite(w), corpus.MaxWriteBytes)
			if err != nil || !bytes.Equal(back, w) {
				t.Fatalf("round trip of %x: %x, %v", w, back, err)
			}
		}
	})
}
