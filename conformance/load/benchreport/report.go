package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/load"
)

// Markers delimit the generated part of the report; text around them is
// written by hand and kept.
const (
	beginMarker = "<!-- BEGIN GENERATED: make bench -->"
	endMarker   = "<!-- END GENERATED -->"
)

// writeReport replaces the generated section of path (or creates the
// file) with the machine description, the goal checks, the results and
// the Go benchmark output.
func writeReport(path string, results []*load.Result, goBenchFile string) error {
	var gen strings.Builder
	gen.WriteString(beginMarker + "\n\n")
	writeMachine(&gen)
	writeGoals(&gen, results)
	writeResults(&gen, results)
	if goBenchFile != "" {
		if b, err := os.ReadFile(goBenchFile); err == nil {
			fmt.Fprintf(&gen, "### Go benchmarks\n\n```\n%s```\n\n", strings.TrimLeft(string(b), "\n"))
		}
	}
	gen.WriteString(endMarker + "\n")
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + gen.String() + text[j+len(endMarker)+1:]
	case text == "":
		text = "# Benchmarks\n\n" + gen.String()
	default:
		text += "\n" + gen.String()
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func writeMachine(w io.Writer) {
	fmt.Fprintf(w, "Measured %s on: %s, %d logical CPUs (GOMAXPROCS %d), %s RAM, Linux %s, %s. "+
		"Server and generator run in one process on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), procField("/proc/cpuinfo", "model name"),
		runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")), runtime.Version())
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	var kb int64
	if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), "kB")), "%d", &kb); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

// find returns the result of step on target, or nil.
func find(rs []*load.Result, step, target string) *load.Result {
	for _, r := range rs {
		if r.Profile == step && r.Target == target {
			return r
		}
	}
	return nil
}

func writeGoals(w io.Writer, rs []*load.Result) {
	fmt.Fprint(w, "### Goals\n\n| goal | target | measured | met |\n|---|---|---|---|\n")
	row := func(goal, target string, r *load.Result, measure func(*load.Result) (string, bool)) {
		if r == nil {
			fmt.Fprintf(w, "| %s | %s | not run | |\n", goal, target)
			return
		}
		m, ok := measure(r)
		met := "no"
		if ok {
			met = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", goal, target, m, met)
	}
	// report is a row for a figure that has no target to meet.
	report := func(what, target string, r *load.Result, measure func(*load.Result) string) {
		m := "not run"
		if r != nil {
			m = measure(r)
		}
		fmt.Fprintf(w, "| %s | %s | %s | n/a |\n", what, target, m)
	}
	for _, b := range []string{"sqlite", "mariadb"} {
		t := "ref/" + b
		row("> 130,000 delivered msgs/s, 16 pairs", t, find(rs, "online-w16", t), func(r *load.Result) (string, bool) {
			return fmt.Sprintf("%.0f msgs/s", r.Rate), r.Rate > 130000 && r.ErrorCount() == 0
		})
		row("p99 < 1 ms, 1 message in flight per sender", t, find(rs, "online-w1", t), func(r *load.Result) (string, bool) {
			p := r.Latency[0].P99
			return fmt.Sprintf("p99 MSG→RECIV %v", p.Round(time.Microsecond)), p < time.Millisecond
		})
	}
	row("10,000 idle connections < 256 MiB RSS", "ref/sqlite", find(rs, "conns", "ref/sqlite"), func(r *load.Result) (string, bool) {
		held, rss := r.Figures["conns_held"], r.Figures["rss_mib"]
		if held < 10000 && held > 0 {
			// The open-file limit capped the run; extrapolate linearly.
			est := rss + r.Figures["rss_kib_per_conn"]*(10000-held)/1024
			return fmt.Sprintf("%.0f held (file limit), %.0f MiB RSS (server + generator), about %.0f MiB at 10,000", held, rss, est), est < 256
		}
		return fmt.Sprintf("%.0f held, %.0f MiB RSS (server + generator)", held, rss), held >= 10000 && rss < 256
	})
	row("catch-up of 10,000 msgs < 100 ms on MariaDB", "ref/mariadb", find(rs, "catchup", "ref/mariadb"), func(r *load.Result) (string, bool) {
		p := r.Latency[1].P50
		return fmt.Sprintf("median RECIV→last %v", p.Round(time.Millisecond)), p < 100*time.Millisecond && r.ErrorCount() == 0
	})
	for _, b := range []string{"sqlite", "mariadb"} {
		t := "ref/" + b
		online := find(rs, "online-w16", t)
		row("catch-up delivers ≥ online msgs/s (same run)", t, find(rs, "catchup", t), func(r *load.Result) (string, bool) {
			if online == nil {
				return fmt.Sprintf("%.0f msgs/s (online not run)", r.Rate), false
			}
			return fmt.Sprintf("%.0f msgs/s = %.2f× online-w16", r.Rate, r.Rate/online.Rate), r.Rate >= online.Rate && r.ErrorCount() == 0
		})
		row("offline store ≥ 50,000 msgs/s, 16 senders, OK after commit", t, find(rs, "offline", t), func(r *load.Result) (string, bool) {
			return fmt.Sprintf("%.0f msgs/s, p99 MSG→OK %v", r.Rate, r.Latency[0].P99.Round(10*time.Microsecond)), r.Rate >= 50000 && r.ErrorCount() == 0
		})
	}
	for _, b := range []string{"sqlite", "mariadb"} {
		t := "ref/" + b
		report("login rate (no target)", t, find(rs, "login", t), func(r *load.Result) string {
			return fmt.Sprintf("%.0f logins/s (client decrypt %.0f µs each)", r.Rate, r.Figures["client_decrypt_us"])
		})
	}
	fmt.Fprintln(w)
}

func writeResults(w io.Writer, rs []*load.Result) {
	fmt.Fprint(w, "### Results\n\n| step | target | ops | rate/s | metric | p50 | p90 | p99 | max | errors |\n|---|---|--:|--:|---|--:|--:|--:|--:|--:|\n")
	for _, r := range rs {
		for i, l := range r.Latency {
			head := fmt.Sprintf("%s | %s | %d %s | %.0f", r.Profile, r.Target, r.Ops, r.Unit, r.Rate)
			errs := fmt.Sprint(r.ErrorCount())
			if i > 0 {
				head, errs = " | | |", ""
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", head, l.Name, d(l.P50), d(l.P90), d(l.P99), d(l.Max), errs)
		}
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		if len(r.Figures) == 0 && len(r.Errors) == 0 {
			continue
		}
		fmt.Fprintf(w, "- %s on %s:", r.Profile, r.Target)
		for k, v := range r.Figures {
			fmt.Fprintf(w, " %s=%.4g", k, v)
		}
		for k, v := range r.Errors {
			fmt.Fprintf(w, " [%s ×%d]", k, v)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, " (%s)", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func d(v time.Duration) string {
	switch {
	case v == 0:
		return "-"
	case v < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(v)/1e3)
	case v < time.Second:
		return fmt.Sprintf("%.2f ms", float64(v)/1e6)
	}
	return fmt.Sprintf("%.2f s", v.Seconds())
}
