#!/usr/bin/env bash
# Builds WebRTC's audio processing library, webrtc-audio-processing 1.x
# (whose echo canceller is AEC3), from Debian's source package into
# bin/deps/aec3, for the aec3 build tag of media/aec/aec3:
#
#   bin/deps/aec3/prefix/include/webrtc-audio-processing-1/   headers
#   bin/deps/aec3/prefix/lib/libpeercall-aec3.a              the library with
#                                                             the abseil parts
#                                                             it uses, one
#                                                             static archive
#
# Debian stable (bookworm) packages only the 0.3 line; testing (trixie)
# packages 1.x, whose source builds with bookworm's compiler, meson and
# abseil. The source package is fetched with apt-get source through a
# private package list under bin/deps/aec3/apt, so the machine's own apt
# configuration is left as it is. Nothing is installed outside the
# repository except the build tools, from the machine's own suite.
#
# Idempotent: once the library of the wanted version is built it only says
# so; a different version (AEC3_DEBIAN_VERSION) or a different build recipe
# starts afresh. AEC3_SRC=<directory> builds an already unpacked source tree
# of the same upstream version instead of fetching Debian's (for a machine
# that cannot reach the source archive).
set -euo pipefail
cd "$(dirname "$0")/.."

version=${AEC3_DEBIAN_VERSION:-1.3-3} # Debian source version (trixie)
suite=${AEC3_DEBIAN_SUITE:-trixie}
mirror=${AEC3_DEBIAN_MIRROR:-http://deb.debian.org/debian}
upstream=${version%-*} # 1.3-3 → 1.3
recipe=1               # bump when the build steps below change

root=$PWD/bin/deps/aec3
prefix=$root/prefix
lib=$prefix/lib/libpeercall-aec3.a
stamp="webrtc-audio-processing $version recipe $recipe"
if [ -n "${AEC3_SRC:-}" ]; then
	src=$(cd "$AEC3_SRC" && pwd)
	stamp="webrtc-audio-processing $upstream from $src recipe $recipe"
fi

log() { echo "aec3: $*" >&2; }

if [ -f "$lib" ] && [ "$(cat "$prefix/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "$stamp already built in ${prefix#"$PWD"/}"
	exit 0
fi

# Build tools, from the machine's own suite. dpkg-dev unpacks the source
# package; libabsl-dev is the abseil the library is written against.
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo="sudo"
fi
packages=(gcc g++ make pkg-config meson ninja-build libabsl-dev dpkg-dev xz-utils debian-archive-keyring)
missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

log "building $stamp (was: $(cat "$prefix/STAMP" 2>/dev/null || echo nothing))"
# The previous build stays in place until this one is ready to install.
rm -rf "$root/src" "$root/build"
mkdir -p "$root/src"
start=$(date +%s)

if [ -z "${AEC3_SRC:-}" ]; then
	# A private package list holding only $suite's source index: apt-get
	# checks the downloaded files against it, and it against Debian's
	# signed release file.
	apt="$root/apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$apt/sources.list"
	opts=(
		-o "Dir::Etc::SourceList=$apt/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache=$apt/cache"
		-o "APT::Sandbox::User=root"
	)
	log "fetching the $suite source index into ${apt#"$PWD"/}"
	apt-get "${opts[@]}" -qq update
	log "fetching webrtc-audio-processing $version (apt-get source)"
	if ! (cd "$root/src" && apt-get "${opts[@]}" -q source --download-only "webrtc-audio-processing=$version" >&2); then
		log "could not fetch webrtc-audio-processing $version from $mirror ($suite);"
		log "AEC3_SRC=<directory> builds an unpacked webrtc-audio-processing $upstream source tree instead"
		exit 1
	fi
	# apt-get has checked the files' hashes against the signed index.
	dpkg-source --no-check -x "$root/src/webrtc-audio-processing_$version.dsc" "$root/src/tree" >&2
	src=$root/src/tree
fi

got=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
if [ "$got" != "$upstream" ]; then
	log "$src holds version ${got:-unknown}, not $upstream"
	exit 1
fi

# Static, optimised, without WebRTC's debug checks; the abseil subproject
# is not used (meson finds bookworm's through pkg-config).
log "configuring and compiling with $(g++ -dumpfullversion) on $(nproc) cores"
meson setup "$root/build" "$src" \
	--prefix="$prefix" --libdir=lib \
	--buildtype=release -Db_ndebug=true \
	-Ddefault_library=static -Db_staticpic=true \
	--wrap-mode=nofallback >&2
ninja -C "$root/build" -j "$(nproc)" >&2
rm -rf "$prefix"
meson install -C "$root/build" --quiet --no-rebuild >&2

# One archive with the library and the abseil libraries it needs, so that
# linking needs neither pkg-config nor abseil's shared libraries.
mri="create $lib"$'\n'"addlib $prefix/lib/libwebrtc-audio-processing-1.a"
for l in $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --static --libs-only-l webrtc-audio-processing-1); do
	case $l in
	-labsl_*)
		a=$(gcc -print-file-name="lib${l#-l}.a")
		if [ ! -f "$a" ]; then
			log "no static $a"
			exit 1
		fi
		mri+=$'\n'"addlib $a"
		;;
	esac
done
mri+=$'\n'"save"$'\n'"end"
ar -M <<<"$mri"
echo "$stamp" >"$prefix/STAMP"
# Only the installed library is needed from here on; the downloaded source
# package files stay for reference.
rm -rf "$root/build" "$root/src/tree" "$root/apt"

log "built in $(($(date +%s) - start)) s: ${lib#"$PWD"/} ($(du -sh "$root" | cut -f1) in ${root#"$PWD"/})"
