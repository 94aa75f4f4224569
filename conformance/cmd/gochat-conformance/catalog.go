package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gochatproto/gochat/conformance"
)

func cmdList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("scenarios", "", "load scenarios from `DIR` instead of the embedded ones")
	role := fs.String("role", "server", "server or client")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, err)
	}
	s, err := loadSuite(*dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	secs, by := s.Sections(*role)
	n := 0
	for _, sec := range secs {
		fmt.Fprintf(stdout, "§%s\n", sec)
		for _, sc := range by[sec] {
			n++
			needs := ""
			if len(sc.Needs) > 0 {
				needs = " needs:" + strings.Join(sc.Needs, ",")
			}
			fmt.Fprintf(stdout, "  %-28s %-6s %s [%s]%s\n", sc.ID, sc.Level, sc.Title,
				strings.Join(sc.Requirements, " "), needs)
		}
	}
	fmt.Fprintf(stdout, "%d %s scenarios\n", n, *role)
	return 0
}

func cmdCoverage(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("scenarios", "", "load scenarios from `DIR` instead of the embedded ones")
	role := fs.String("role", "server", "server or client")
	strictShould := fs.Bool("strict-should", false, "also fail when a SHOULD requirement has no scenario (CI)")
	verbose := fs.Bool("v", false, "list every requirement with its scenarios")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, err)
	}
	s, err := loadSuite(*dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	c := s.ComputeCoverage(*role)
	if *verbose {
		for _, r := range s.Registry.AppliesTo(*role) {
			fmt.Fprintf(stdout, "%-10s %-6s %s\n", r.ID, r.Level, strings.Join(c.By[r.ID], " "))
		}
	}
	covered := len(c.By) - len(c.UncoveredMust) - len(c.UncoveredShould) - len(c.UncoveredMay) - len(c.Elsewhere)
	fmt.Fprintf(stdout, "%s requirements: %d, covered: %d, verified elsewhere: %d\n", *role, len(c.By), covered, len(c.Elsewhere))
	problems := reportElsewhere(stdout, s, c)
	report := func(what string, ids []string) {
		if len(ids) > 0 {
			fmt.Fprintf(stdout, "%s (%d):\n", what, len(ids))
			for _, id := range ids {
				r, _ := s.Registry.Get(id)
				fmt.Fprintf(stdout, "  %-10s %s\n", id, truncate(r.Summary, 100))
			}
		}
	}
	report("uncovered MUST", c.UncoveredMust)
	report("uncovered SHOULD", c.UncoveredShould)
	if len(c.Unknown) > 0 {
		fmt.Fprintf(stdout, "scenarios citing unknown requirements:\n  %s\n", strings.Join(c.Unknown, "\n  "))
	}
	fail := len(c.Unknown) > 0 || len(c.UncoveredMust) > 0 || (*strictShould && len(c.UncoveredShould) > 0) ||
		len(problems) > 0
	if fail {
		fmt.Fprintln(stdout, "coverage: FAIL")
		return 1
	}
	fmt.Fprintln(stdout, "coverage: ok")
	return 0
}

// reportElsewhere lists the role's requirements verified by Go tests and,
// inside the gochat source tree, checks that those tests exist.
func reportElsewhere(w io.Writer, s *conformance.Suite, c *conformance.Coverage) []string {
	if len(c.Elsewhere) > 0 {
		fmt.Fprintf(w, "verified elsewhere (%d):\n", len(c.Elsewhere))
		for _, id := range c.Elsewhere {
			for _, e := range s.Elsewhere {
				if e.ID == id {
					fmt.Fprintf(w, "  %-10s %s:%s\n", id, e.Test, e.Func)
				}
			}
		}
	}
	wd, _ := os.Getwd()
	root := conformance.RepoRoot(wd)
	if root == "" {
		fmt.Fprintln(w, "(outside the gochat source tree: the tests named in verified-elsewhere.yaml were not checked)")
		return nil
	}
	problems := s.CheckElsewhereTests(root)
	for _, p := range problems {
		fmt.Fprintf(w, "verified-elsewhere.yaml: %s\n", p)
	}
	return problems
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
