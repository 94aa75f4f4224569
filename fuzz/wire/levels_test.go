package wire

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

func TestCorpusLevels(t *testing.T) {
	reg, err := registry.Embedded()
	require.NoError(t, err)
	all, err := corpus.Load(corpus.Files)
	require.NoError(t, err)
	byName := map[string]*corpus.Case{}
	for _, c := range all {
		byName[c.Name] = c
	}
	def, strict := levels{reg: reg}, levels{reg: reg, strict: true}
	for _, tc := range []struct {
		name      string
		raw       Status
		def, strc Status
	}{
		{"n_version_0", Fail, Fail, Fail},           // FRAME-2 is the specification's
		{"n_action_0x13", Fail, Note, Fail},         // FRAME-12 (unknown action malformed) is a decision
		{"n_action_0x13", Warn, Note, Warn},         // no ERR before the close
		{"n_version_0", Warn, Warn, Warn},           // CONN-7 recommends the ERR
		{"n_version_0", codeWarn, Note, Warn},       // the code is E-7's
		{"y_reserved_1234", Fail, Note, Fail},       // FRAME-4 is a decision
		{"y_keep_before_login", Fail, Fail, Fail},   // KEEP-1 is the specification's
		{"y_keep_after_login", Error, Error, Error}, // preconditions are not judged
		{"n_version_0", Pass, Pass, Pass},
	} {
		c := byName[tc.name]
		require.NotNil(t, c, tc.name)
		got, detail := def.judge(c, tc.raw, "d")
		assert.Equal(t, tc.def, got, "%s %s default: %s", tc.name, tc.raw, detail)
		got, detail = strict.judge(c, tc.raw, "d")
		assert.Equal(t, tc.strc, got, "%s %s strict: %s", tc.name, tc.raw, detail)
	}
}

// newCodeProxy starts a relay to a server that and rewrites the code of every ERR with
// ID 0 the server sends to ERR_SERVER, and returns its address: a test double of a server that
// closes on malformed input like the reference server but names other
// error codes than errata E-7.
func newCodeProxy(t testing.TB, target string) string {
	return newRelay(t, target, copyAll, rewriteErrs).addr()
}

// rewriteErrs copies whole server packets, changing null-ID ERR codes.
func rewriteErrs(dst, src net.Conn) {
	var pending []byte
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		pending = append(pending, buf[:n]...)
		for len(pending) >= unitSize {
			h := spec.ParseHeader(pending)
			size := unitSize + int(h.Len)
			if len(pending) < size {
				break
			}
			if h.Action == spec.ERR && h.ID == 0 {
				h.Info = uint8(spec.CodeServer)
				copy(pending, spec.AppendHeader(nil, h))
			}
			if _, werr := dst.Write(pending[:size]); werr != nil {
				return
			}
			pending = pending[size:]
		}
		if err != nil {
			return
		}
	}
}

// TestCorpusOtherCodes: a server that closes on every malformed case but
// names other ERR codes passes the corpus by default (the codes are
// notes) and gets warnings, not failures, under --strict.
func TestCorpusOtherCodes(t *testing.T) {
	d := spec.DialectSpec
	addr := newCodeProxy(t, startRef(t, d))
	for _, strict := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		var log strings.Builder
		rs, err := Replay(ctx, ReplayConfig{Addr: addr, Dialect: d, Strict: strict, Log: &log})
		cancel()
		require.NoError(t, err)
		sum := Summarize(rs)
		assert.Zero(t, sum[Fail]+sum[Crash]+sum[Error], "strict=%v\n%s", strict, log.String())
		if strict {
			assert.Positive(t, sum[Warn], log.String())
			assert.Zero(t, sum[Note], log.String())
		} else {
			assert.Zero(t, sum[Warn], log.String())
			assert.Positive(t, sum[Note], log.String())
		}
		t.Logf("strict=%v: %v", strict, sum)
	}
}

// TestMalformedReqCoversDecoder: every header and split error the
// fuzzer's oracle can meet names a requirement of the registry.
func TestMalformedReqCoversDecoder(t *testing.T) {
	reg, err := registry.Embedded()
	require.NoError(t, err)
	for sentinel, id := range malformedBy {
		_, ok := reg.Get(id)
		assert.True(t, ok, "%v: %s is not in the registry", sentinel, id)
	}
	assert.Equal(t, "FRAME-6", malformedReq(spec.ErrSplit, []byte("abc")))
	assert.Equal(t, "ARG-10", malformedReq(spec.ErrSplit, []byte("a\r\nb\r\n")))
	assert.False(t, decisionOnly(reg, "FRAME-2"))
	assert.True(t, decisionOnly(reg, "FRAME-12"))
	assert.False(t, decisionOnly(reg, "NOPE-1"), "an unknown requirement keeps the finding")
}
