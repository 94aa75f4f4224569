package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

// fragileEnv makes the test binary a server that dies on the first
// malformed packet (issue #18's test double (a)), listening on its value,
// so that a --server-cmd template can start it.
const fragileEnv = "GOCHAT_CLI_TEST_FRAGILE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(fragileEnv); addr != "" {
		serveFragile(addr)
		return
	}
	os.Exit(m.Run())
}

// serveFragile greets every connection, answers each well-formed packet
// with OK and exits, as a crash, on a malformed one.
func serveFragile(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			hello := spec.NewPacket(spec.HELLO, 0, []byte("fragile"))
			_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: hello.Header(), Args: hello.Args}))
			dec := spec.NewRawDecoder(bufio.NewReader(c), spec.ServerBound, spec.DialectSpec)
			for {
				var p spec.Packet
				if err := dec.ReadPacket(&p); err != nil {
					return
				}
				if dec.FramingError() != nil {
					os.Exit(3)
				}
				ok := spec.NewPacket(spec.OK, p.ID)
				_, _ = c.Write(spec.AppendRaw(nil, &spec.RawPacket{Header: ok.Header()}))
			}
		}()
	}
}

const fragileScenarios = `
id: FRAME-t-malformed
title: a malformed header
requirements: [FRAME-7]
level: must
steps:
  - connect: {conn: c}
  - send_raw: {conn: c, header: {action: KEEP}, header_sep: "0a0d"}
  - expect_close: {conn: c, err: ERR_HEADER}
---
id: FRAME-t-plain
title: a plain request
requirements: [FRAME-1]
level: must
steps:
  - connect: {conn: c}
  - send: {conn: c, action: KEEP}
  - expect: {conn: c, action: OK}
`

// TestCrashRestartsTheServer: with --server-cmd a server that dies on a
// malformed packet is reported as a crash, started again, and the run
// goes on; the exit status is 1 even with an expectations file.
func TestCrashRestartsTheServer(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "server"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "fixtures", "keys"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "server", "t.yaml"), []byte(fragileScenarios), 0o600))
	expect := filepath.Join(dir, "expect.yaml")
	require.NoError(t, os.WriteFile(expect, []byte("FRAME-t-malformed: known to crash\n"), 0o600))
	cmd := fragileEnv + "={addr} exec " + strconv.Quote(os.Args[0]) + " -test.run=^$"
	code, out, errs := runCLI("server", "--scenarios", dir, "--server-cmd", cmd, "--parallel", "1",
		"--key-cache", filepath.Join(dir, "keys"), "--expect", expect, "-v")
	assert.Equal(t, 1, code, out+errs)
	assert.Contains(t, out, "CRASH FRAME-t-malformed")
	assert.Contains(t, out, "PASS  FRAME-t-plain", "the run goes on on a restarted server")
	assert.Contains(t, out, "last packets sent: c -> v1 KEEP")
}
