#!/usr/bin/env bash
# The action's first step (action.yml): puts gochat-conformance on PATH.
#   INPUT_VERSION  "latest", a release tag (v1.2.3), or "source" (build the
#                  action's own checkout with the Go on PATH)
#   INPUT_REPOSITORY  owner/name whose releases to fetch
#   GOCHAT_RELEASE_URL  base of the download URLs (default the repository's
#                  GitHub releases; .ci/dist-check points it at make dist's
#                  output to check that the names agree)
# Release archives are checked against the release's SHA256SUMS.
set -euo pipefail

version=${INPUT_VERSION:-latest}
repo=${INPUT_REPOSITORY:-gochatproto/gochat}
dest=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gochat-conformance-bin
mkdir -p "$dest"
exe=gochat-conformance
case "${RUNNER_OS:-$(uname -s)}" in
Linux) os=linux ;;
macOS | Darwin) os=darwin ;;
Windows | MINGW* | MSYS*) os=windows exe=gochat-conformance.exe ;;
*) echo "::error::unsupported runner OS ${RUNNER_OS:-$(uname -s)}" && exit 1 ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
X64 | x86_64 | amd64) arch=amd64 ;;
ARM64 | arm64 | aarch64) arch=arm64 ;;
*) echo "::error::unsupported runner architecture ${RUNNER_ARCH:-$(uname -m)}" && exit 1 ;;
esac

if [ "$version" = source ]; then
	src=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
	echo "building gochat-conformance from $src"
	ldflags=""
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then # a checkout, not an action tarball
		pkg=github.com/gochatproto/gochat/internal/version
		ldflags="-X $pkg.Version=$("$src/packaging/version.sh" version) -X $pkg.Commit=$("$src/packaging/version.sh" commit)"
	fi
	(cd "$src" && CGO_ENABLED=0 ${GO:-go} build -trimpath -ldflags "$ldflags" -o "$dest/$exe" ./conformance/cmd/gochat-conformance)
else
	base=${GOCHAT_RELEASE_URL:-https://github.com/$repo/releases}
	auth=()
	[ -n "${GITHUB_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $GITHUB_TOKEN")
	if [ "$version" = latest ]; then
		# The latest release's tag, from the redirect of /releases/latest.
		version=$(curl -fsSL -o /dev/null -w '%{url_effective}' "${auth[@]}" "$base/latest")
		version=${version##*/}
		[[ $version == v* ]] || { echo "::error::no release found at $base/latest" && exit 1; }
	fi
	name="gochat-conformance_${version}_${os}_$arch"
	file=$name.tar.gz
	[ "$os" = windows ] && file=$name.zip
	dl=$(mktemp -d)
	echo "fetching $base/download/$version/$file"
	curl -fsSL --retry 3 "${auth[@]}" -o "$dl/$file" "$base/download/$version/$file"
	curl -fsSL --retry 3 "${auth[@]}" -o "$dl/SHA256SUMS" "$base/download/$version/SHA256SUMS"
	(cd "$dl" && grep -E "  $file\$" SHA256SUMS | sha256sum -c --quiet -) || {
		echo "::error::$file does not match the release's SHA256SUMS" && exit 1
	}
	if [ "$os" = windows ]; then
		if command -v unzip >/dev/null; then unzip -q -o "$dl/$file" -d "$dl"; else 7z x -y -o"$dl" "$dl/$file" >/dev/null; fi
	else
		tar -xzf "$dl/$file" -C "$dl"
	fi
	install -m 0755 "$dl/$name/$exe" "$dest/$exe"
	rm -rf "$dl"
fi
"$dest/$exe" --version
if [ -n "${GITHUB_PATH:-}" ]; then echo "$dest" >>"$GITHUB_PATH"; fi
