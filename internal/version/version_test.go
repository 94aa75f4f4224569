package version

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLinkTimeValuesWin(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffff"}, {Key: "vcs.modified", Value: "true"}}}
	in := get("v1.2.3", "0123456789abcdef", bi)
	require.Equal(t, "v1.2.3", in.Version)
	require.Equal(t, "0123456789abcdef", in.Commit)
	require.False(t, in.Modified, "the release build's commit is authoritative")
	require.Equal(t, "gochat-server v1.2.3 (commit 0123456789ab, "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")",
		in.String("gochat-server"))
}

func TestGoInstallBuild(t *testing.T) {
	// go install module@v0.4.0: the module version, no VCS stamp.
	in := get("", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}})
	require.Equal(t, "v0.4.0", in.Version)
	require.Contains(t, in.String("x"), "x v0.4.0 (commit unknown, ")
}

func TestCheckoutBuild(t *testing.T) {
	// go build in a work tree: "(devel)" and the VCS stamp.
	bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef0123456789"}, {Key: "vcs.modified", Value: "true"}}}
	in := get("", "", bi)
	require.Equal(t, "devel", in.Version)
	require.Contains(t, in.String("x"), "x devel (commit abcdef012345-dirty, ")
}

func TestNoBuildInfo(t *testing.T) {
	require.Contains(t, get("", "", nil).String("x"), "x devel (commit unknown, ")
}
