#!/usr/bin/env bash
# Prints what a build is called, from git, so that `make build`, `make dist`
# and the packages agree:
#   version.sh version      v1.2.3 on a tag; otherwise a Go pseudo-version
#                           (v1.2.4-0.20260102150405-abcdef123456, or
#                           v0.0.0-20260102150405-abcdef123456 before any
#                           tag), the string `go install module@commit`
#                           reports; "+dirty" when the tree has changes
#   version.sh deb VERSION  the same as a Debian version (0.0.0~2026...):
#                           "~" so that a pre-release sorts before its release
#   version.sh commit       the full commit hash
#   version.sh epoch        the commit time (Unix seconds): every file mtime
#                           in the archives and packages (SOURCE_DATE_EPOCH)
# Outside a git work tree: v0.0.0-unknown, no commit, epoch 0.
set -euo pipefail
cd "$(dirname "$0")/.."

in_git() { git rev-parse --git-dir >/dev/null 2>&1; }

version() {
	if ! in_git; then
		echo v0.0.0-unknown
		return
	fi
	local v dirty=""
	git diff --quiet HEAD -- 2>/dev/null || dirty="+dirty"
	if v=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
		echo "$v$dirty"
		return
	fi
	local stamp hash base
	stamp=$(TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd)
	hash=$(git rev-parse --short=12 HEAD)
	if base=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
		# Go's rule: the pseudo-version sorts after the tag and before the next patch.
		base=${base%%[-+]*}
		local patch=${base##*.}
		echo "${base%.*}.$((patch + 1))-0.$stamp-$hash$dirty"
	else
		echo "v0.0.0-$stamp-$hash$dirty"
	fi
}

case "${1:-}" in
version) version ;;
deb)
	v=${2:?usage: version.sh deb VERSION}
	v=${v#v}
	# The first "-" starts a pre-release: "~" sorts it before the release.
	# Debian reserves "-" for its revision, so later ones become ".".
	case $v in
	*-*) pre=${v#*-} && v="${v%%-*}~${pre//-/.}" ;;
	esac
	echo "$v"
	;;
commit) if in_git; then git rev-parse HEAD; fi ;;
epoch) if in_git; then git log -1 --format=%ct; else echo 0; fi ;;
*)
	echo "usage: version.sh version | deb VERSION | commit | epoch" >&2
	exit 2
	;;
esac
