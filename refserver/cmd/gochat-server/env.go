package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Every flag has an environment variable, derived from its name rather
// than listed, so that a flag added later has one too: GOCHAT_ and the flag
// name in upper case with "_" for "-" (-db is GOCHAT_DB, -max-clients is
// GOCHAT_MAX_CLIENTS, -config is GOCHAT_CONFIG). Precedence, strongest
// first: flag, environment, config file, default. Containers and systemd
// units set the variables; docs/operating.md lists them.
const envPrefix = "GOCHAT_"

// noEnv lists the flags that are actions, not settings.
var noEnv = map[string]bool{"version": true}

// envName is the variable for the flag called name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyEnv sets each flag of fs that is not in given (the flags on the
// command line) from its variable, when that variable is set (an empty
// value counts: GOCHAT_ADDR= disables plain TCP like -addr= does). The
// flag's own parser checks the value, and the error names the variable.
func applyEnv(fs *flag.FlagSet, given map[string]bool, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] || noEnv[f.Name] {
			return
		}
		name := envName(f.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("environment variable %s=%q (flag -%s): %w", name, v, f.Name, e)
		}
	})
	return err
}

// printEnv ends -help with the variable of every setting, so the list
// cannot fall behind the flags.
func printEnv(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "\nEnvironment (overrides the -config file; flags override it):")
	line := " "
	fs.VisitAll(func(f *flag.Flag) {
		if noEnv[f.Name] {
			return
		}
		if len(line)+1+len(envName(f.Name)) > 78 {
			fmt.Fprintln(w, line)
			line = " "
		}
		line += " " + envName(f.Name)
	})
	fmt.Fprintln(w, line)
}

// givenFlags is the set of flags named on the command line.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}
