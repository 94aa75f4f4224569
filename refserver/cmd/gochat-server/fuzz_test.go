package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfigFile: the -config decoder (YAML or JSON, strict keys) must
// reject any file it cannot use with an error that names the file or the
// setting, never panic, and a file it accepts must give a usable logger
// and server configuration.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"addr: 127.0.0.1:9037\nmax_clients: 10\nidle_timeout: 25m\ndialect: gochat1\nlog_level: debug\nlog_format: json\n",
		`{"addr": ":9037", "tls_self_signed": true, "token_ttl": "30m", "motd": "hi"}`,
		"no_such_key: 1\n",
		"idle_timeout: soon\n",
		"max_clients: 99999999999999999999\n",
		"owner: root\n",
		"dialect: [1, 2]\nmotd: &a [*a]\n",
		"tls_cert: x\ntls_key: y\n",
		"--- !!binary\n\t- ? : {\n",
		"max_conns_per_ip: 8\nlogin_deadline: 30s\nreg_rate: 5/m\nreg_burst: 2\nlogin_rate: 0\nmetrics_addr: \":9100\"\n",
		"verif_fail_rate: 1/never\nfd_reserve: -1\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := parseConfig([]string{"-config", path}, io.Discard)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, path) && !strings.Contains(msg, "go together") && !strings.Contains(msg, "dialect") {
				t.Fatalf("error does not name the file or the setting: %q", msg)
			}
			return
		}
		c.logger(io.Discard)
		if c.TLSCert == "" { // a fuzzed certificate path is not read
			if _, err := serverConfig(c); err != nil {
				t.Fatalf("accepted config gives no server config: %v", err)
			}
		}
	})
}
