package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gochatproto/gochat/conformance/load"
	"github.com/gochatproto/gochat/conformance/registry"
	"github.com/gochatproto/gochat/conformance/report"
)

const reportUsage = `usage:
  gochat-conformance report [-o FILE.html] RESULT.json          one run's HTML report from its --json file
  gochat-conformance report --compare [-o FILE.html] A.json B.json ...
                                                                 implementations × scenarios, rows that differ marked
  gochat-conformance report --load [-o FILE.html] A.json B.json ...
                                                                 charts of "load --json" results, runs overlaid
  gochat-conformance report --explore [-o FILE.html] explore-SEED.json
                                                                 an explorer finding as a timeline, one column per actor
Labels: NAME=FILE names a column or series (default: the file name).

Flags:
`

// cmdReport renders HTML pages from JSON files written earlier: one run's
// report, a comparison of several runs, or load charts.
func cmdReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportUsage); fs.PrintDefaults() }
	compare := fs.Bool("compare", false, "compare the runs of several implementations (JSON reports of server or client)")
	loadCharts := fs.Bool("load", false, "chart load --json results")
	explorer := fs.Bool("explore", false, "draw an explorer finding (explore --findings) as a timeline")
	out := fs.String("o", "", "write the page to `FILE` (default: standard output)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(stderr, err)
	}
	modes := 0
	for _, on := range []bool{*compare, *loadCharts, *explorer} {
		if on {
			modes++
		}
	}
	switch {
	case modes > 1:
		fmt.Fprintln(stderr, "gochat-conformance report: --compare, --load and --explore exclude each other")
		return 2
	case len(files) == 0, !*compare && !*loadCharts && len(files) != 1:
		fs.Usage()
		return 2
	}
	var render func(io.Writer) error
	switch {
	case *loadCharts:
		render, err = loadPage(files)
	case *compare:
		render, err = comparePage(files)
	case *explorer:
		render, err = explorePage(files[0])
	default:
		render, err = runPage(files[0])
	}
	if err == nil {
		err = writeTo(*out, stdout, render)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gochat-conformance report:", err)
		return 1
	}
	return 0
}

// parseInterleaved parses flags placed before, between or after the file
// arguments ("report --compare a.json b.json -o matrix.html" reads as
// written); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(files, rest...), nil
		}
		files, args = append(files, rest[0]), rest[1:]
	}
}

// labeled splits "NAME=FILE"; a plain FILE is labelled by its base name.
func labeled(arg string) (label, path string) {
	if name, file, ok := strings.Cut(arg, "="); ok && name != "" && !strings.ContainsRune(name, filepath.Separator) {
		return name, file
	}
	return strings.TrimSuffix(filepath.Base(arg), ".json"), arg
}

func runPage(file string) (func(io.Writer) error, error) {
	_, path := labeled(file)
	run, err := report.ReadJSONFile(path)
	if err != nil {
		return nil, err
	}
	if run.Info.Registry, err = registry.Embedded(); err != nil {
		return nil, err
	}
	return func(w io.Writer) error { return report.HTML(w, run.Results, run.Info) }, nil
}

func comparePage(files []string) (func(io.Writer) error, error) {
	reg, err := registry.Embedded()
	if err != nil {
		return nil, err
	}
	var runs []report.Labeled
	for _, f := range files {
		label, path := labeled(f)
		run, err := report.ReadJSONFile(path)
		if err != nil {
			return nil, err
		}
		runs = append(runs, report.Labeled{Label: label, Run: run})
	}
	return func(w io.Writer) error { return report.Compare(w, runs, reg) }, nil
}

// writeTo renders into path, or into stdout when path is empty.
func writeTo(path string, stdout io.Writer, render func(io.Writer) error) error {
	if path == "" {
		return render(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = render(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func loadPage(files []string) (func(io.Writer) error, error) {
	var runs []report.LoadRun
	for _, f := range files {
		label, path := labeled(f)
		rs, err := load.ReadJSONFile(path)
		if err != nil {
			return nil, err
		}
		runs = append(runs, report.LoadRun{Label: label, Results: rs})
	}
	return func(w io.Writer) error { return report.LoadHTML(w, runs) }, nil
}
