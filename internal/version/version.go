// Package version says which build of a gochat command is running, for
// every binary's --version.
//
// Release builds (make build, make dist) set Version and Commit with
//
//	-ldflags "-X github.com/gochatproto/gochat/internal/version.Version=v1.2.3
//	          -X github.com/gochatproto/gochat/internal/version.Commit=abcdef123456"
//
// A `go install module@version` build sets neither; the module version and
// the VCS revision recorded by the go command are used instead.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time; see the package comment.
var (
	Version string
	Commit  string
)

// Info is what a binary reports about itself.
type Info struct {
	Version   string // module version: v1.2.3, v0.0.0-20260101-abcdef, or "devel"
	Commit    string // VCS revision, possibly shortened; "" when unknown
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// Get combines the link-time values with the build information the go
// command embeds, the link-time values winning.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(Version, Commit, bi)
}

func get(version, commit string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && in.Commit == "":
				in.Commit = s.Value
			case s.Key == "vcs.modified" && commit == "":
				in.Modified = s.Value == "true"
			}
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	return in
}

// String is the --version line: "NAME VERSION (commit C, GOVERSION OS/ARCH)".
func (in Info) String(name string) string {
	commit := in.Commit
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if in.Modified {
		commit += "-dirty"
	}
	return fmt.Sprintf("%s %s (commit %s, %s %s)", name, in.Version, commit, in.GoVersion, in.Platform)
}

// Line is Get().String(name).
func Line(name string) string { return Get().String(name) }
