#!/usr/bin/env bash
# make dist: release archives and Debian packages of the three commands, and
# SHA256SUMS, in $DIST (default dist/). Reproducible: the same commit gives
# the same bytes wherever it is checked out (-trimpath, no build ID or VCS
# stamp beyond the commit, every mtime set to the commit time, sorted
# archive entries with numeric owners, gzip -n).
#
#   gochat-<cmd>_<version>_<os>_<arch>.tar.gz (.zip for windows)
#       gochat-<cmd>_<version>_<os>_<arch>/{gochat-<cmd>[.exe], README.md, LICENSE}
#       (the server's also holds server.yaml, the example configuration)
#   gochat-<cmd>_<debversion>_<arch>.deb   for linux/amd64 and linux/arm64
#
# Environment: DIST, GO, PLATFORMS ("linux/amd64 linux/arm64 ..."), VERSION,
# COMMIT, NFPM (the command; default: go run of the pinned version).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DIST=${DIST:-dist}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}
CMDS=(gochat-server gochat-client gochat-conformance)
declare -A CMD_DIR=(
	[gochat-server]=./refserver/cmd/gochat-server
	[gochat-client]=./refclient/cmd/gochat-client
	[gochat-conformance]=./conformance/cmd/gochat-conformance
)
NFPM_VERSION=v2.48.0
NFPM=${NFPM:-$GO run github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION}

VERSION=${VERSION:-$(packaging/version.sh version)}
COMMIT=${COMMIT:-$(packaging/version.sh commit)}
# DEB_VERSION and DEB_ARCH are read by the nfpm-*.yaml.
export DEB_VERSION
DEB_VERSION=$(packaging/version.sh deb "$VERSION")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(packaging/version.sh epoch)}
export TZ=UTC # zip stores local times
export LC_ALL=C
umask 022

pkg=github.com/gochatproto/gochat/internal/version
ldflags="-s -w -buildid= -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT"

rm -rf "$DIST"
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# stamp sets every mtime under $1 to the commit time.
stamp() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

for platform in $PLATFORMS; do
	os=${platform%/*} arch=${platform#*/}
	bin="$work/bin/${os}_$arch"
	mkdir -p "$bin"
	echo "dist: building $platform"
	dirs=()
	for c in "${CMDS[@]}"; do dirs+=("${CMD_DIR[$c]}"); done
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch $GO build -trimpath -buildvcs=false \
		-ldflags "$ldflags" -o "$bin/" "${dirs[@]}"

	for c in "${CMDS[@]}"; do
		name="${c}_${VERSION}_${os}_$arch"
		dir="$work/stage/$name"
		mkdir -p "$dir"
		exe=$c
		[ "$os" = windows ] && exe=$c.exe
		install -m 0755 "$bin/$exe" "$dir/$exe"
		install -m 0644 README.md LICENSE "$dir/"
		[ "$c" = gochat-server ] && install -m 0644 packaging/server.yaml "$dir/server.yaml"
		stamp "$dir"
		if [ "$os" = windows ]; then
			(cd "$work/stage" && find "$name" -type f | sort | zip -q -X -D "$DIST/$name.zip" -@)
		else
			tar -C "$work/stage" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
				-cf - "$name" | gzip -n -9 >"$DIST/$name.tar.gz"
		fi
	done

	if [ "$os" = linux ]; then
		# nfpm takes source paths relative to where it runs (see the
		# nfpm-*.yaml) and file mtimes from SOURCE_DATE_EPOCH. Copies, not
		# links: nfpm packages a symbolic link as a link.
		deb="$work/deb/$arch"
		mkdir -p "$deb"
		cp -R "$bin" "$deb/bin"
		cp -R packaging LICENSE "$deb/"
		for c in "${CMDS[@]}"; do
			echo "dist: packaging $c for $arch"
			(cd "$deb" && DEB_ARCH=$arch $NFPM package --packager deb \
				--config "packaging/nfpm-${c#gochat-}.yaml" --target "$DIST/${c}_${DEB_VERSION}_$arch.deb" >/dev/null)
		done
	fi
done

(cd "$DIST" && sha256sum -- * >SHA256SUMS)
files=("$DIST"/*)
echo "dist: $((${#files[@]} - 1)) files and SHA256SUMS in $DIST ($VERSION)"
