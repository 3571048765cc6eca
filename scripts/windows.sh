#!/usr/bin/env bash
# Builds Peercall for 64-bit Windows on this Debian machine, with Debian's
# mingw-w64 toolchain, into bin/windows (ignored by git):
#
#   windows.sh deps            the C libraries Peercall links (libvpx, libopus,
#                              libyuv, speexdsp), cross-built from Debian's
#                              source packages into bin/windows/deps/prefix
#   windows.sh exe OUT         Peercall.exe: static, GUI subsystem, the icon
#                              and version from FyneApp.toml in its resources,
#                              the app's metadata compiled in as package.sh
#                              does for Linux (OVERLAY_REPLACE, see there,
#                              gives a test build its patched files)
#   windows.sh zip OUT         Peercall-windows-amd64.zip: Peercall.exe and a
#                              README.txt
#   windows.sh test PKG OUT    PKG's tests as a Windows program, for Wine
#
# Nothing is fetched but Debian's source packages (apt-get source, through a
# private package list holding bookworm's source index, so the machine's own
# apt configuration is left as it is) and Go modules. Each library is
# rebuilt only when its Debian version or its recipe below changes; the Go
# build cache of the cross build (its first cgo build of Fyne's GL parts
# takes minutes) lives in bin/windows/gocache.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

# WINDOWS_BUILD_DIR: another build directory (make bench-windows times a
# build from an empty one).
root=$(realpath -m "${WINDOWS_BUILD_DIR:-$PWD/bin/windows}")
deps=$root/deps
prefix=$deps/prefix
suite=${WINDOWS_DEBIAN_SUITE:-bookworm}
mirror=${WINDOWS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
host=x86_64-w64-mingw32
# The posix thread model: libvpx and the C++ parts use pthreads.
cc=$host-gcc-posix
cxx=$host-g++-posix

# A module of its own, so that the sources made here (the metadata file
# the build adds) stay out of the repository's ./... patterns.
mkdir -p "$root"
[ -f "$root/go.mod" ] || printf 'module peercall-windows-build\n' >"$root/go.mod"

log() { echo "windows: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# The build tools: scripts/deps.sh installs them for the Windows build
# only, so a machine that never builds for Windows never gets them.
tools() {
	PEERCALL_DEPS=windows ./scripts/deps.sh
}

apt_opts=(
	-o "Dir::Etc::SourceList=$deps/apt/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$deps/apt/lists"
	-o "Dir::Cache=$deps/apt/cache"
	-o "APT::Sandbox::User=root"
)

# index: bookworm's source index (and its security updates), refreshed once
# a run. apt-get checks it against Debian's signed release files, and the
# fetched sources against it.
index() {
	mkdir -p "$deps/apt/lists/partial" "$deps/apt/cache/archives/partial"
	{
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/debian}/debian-security $suite-security main"
	} >"$deps/apt/sources.list"
	apt-get "${apt_opts[@]}" -qq update
}

# version PKG: the newest Debian version of source package PKG.
version() {
	apt-cache "${apt_opts[@]}" showsrc "$1" | sed -n 's/^Version: //p' | sort -V | tail -n1
}

# unpack PKG VERSION: fetches and unpacks the source package into
# $deps/src/PKG, echoing the tree's path.
unpack() {
	local pkg=$1 ver=$2 dsc
	rm -rf "$deps/src/$pkg"
	mkdir -p "$deps/src/$pkg"
	(cd "$deps/src/$pkg" && apt-get "${apt_opts[@]}" -qq source --download-only "$pkg=$ver" >&2) ||
		die "could not fetch $pkg $ver from $mirror ($suite)"
	dsc=$(ls "$deps/src/$pkg"/*.dsc)
	dpkg-source --no-check -x "$dsc" "$deps/src/$pkg/tree" >/dev/null
	echo "$deps/src/$pkg/tree"
}

# Recipes: bump a library's number when its build steps change.
declare -A recipe=([libvpx]=1 [opus]=2 [libyuv]=1 [speexdsp]=1)

build_libvpx() {
	# VP8 only (Peercall sends and decodes nothing else), no tools.
	(cd "$1" && CROSS=$host- CC=$cc CXX=$cxx ./configure --target=x86_64-win64-gcc \
		--prefix="$prefix" --libdir="$prefix/lib" --as=yasm \
		--enable-static --disable-shared --disable-vp9 \
		--disable-examples --disable-tools --disable-docs --disable-unit-tests \
		--enable-realtime-only >&2 &&
		make -j"$(nproc)" >&2 && make install >&2)
}

build_opus() {
	# Without _FORTIFY_SOURCE, which its configure adds for gcc: mingw's
	# checked string functions live in libssp.
	(cd "$1" && ./configure --host=$host CC=$cc CPPFLAGS=-D_FORTIFY_SOURCE=0 --prefix="$prefix" \
		--enable-static --disable-shared --disable-doc --disable-extra-programs \
		--disable-hardening >&2 &&
		make -j"$(nproc)" >&2 && make install >&2)
}

build_speexdsp() {
	(cd "$1" && ./configure --host=$host CC=$cc --prefix="$prefix" \
		--enable-static --disable-shared --disable-examples >&2 &&
		make -j"$(nproc)" >&2 && make install >&2)
}

build_libyuv() {
	# The static library only (no tools, tests or JPEG support).
	cat >"$deps/mingw.cmake" <<-EOF
		set(CMAKE_SYSTEM_NAME Windows)
		set(CMAKE_SYSTEM_PROCESSOR x86_64)
		set(CMAKE_C_COMPILER $cc)
		set(CMAKE_CXX_COMPILER $cxx)
		set(CMAKE_RC_COMPILER $host-windres)
		set(CMAKE_FIND_ROOT_PATH /usr/$host)
		set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
		set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
		set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
	EOF
	rm -rf "$1/build"
	cmake -S "$1" -B "$1/build" -DCMAKE_TOOLCHAIN_FILE="$deps/mingw.cmake" \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_DISABLE_FIND_PACKAGE_JPEG=TRUE >&2
	cmake --build "$1/build" --target yuv -j"$(nproc)" >&2
	mkdir -p "$prefix/lib" "$prefix/include"
	cp "$1/build/libyuv.a" "$prefix/lib/"
	cp -r "$1/include/." "$prefix/include/"
}

cmd_deps() {
	tools
	local pkg ver stamp tree start
	mkdir -p "$prefix/stamps"
	if ! index || [ -z "$(version speexdsp)" ]; then
		# Offline: the libraries built before are used as they are.
		for pkg in speexdsp opus libyuv libvpx; do
			[ -f "$prefix/stamps/$pkg" ] || die "cannot read $suite's source index from $mirror to build $pkg"
		done
		log "cannot read $suite's source index from $mirror: keeping the libraries built before"
		return 0
	fi
	for pkg in speexdsp opus libyuv libvpx; do
		ver=$(version "$pkg")
		[ -n "$ver" ] || die "no $pkg in $suite's source index"
		stamp="$pkg $ver recipe ${recipe[$pkg]}"
		if [ "$(cat "$prefix/stamps/$pkg" 2>/dev/null)" = "$stamp" ]; then
			log "$stamp already built"
			continue
		fi
		log "building $stamp with $($cc -dumpfullversion) (was: $(cat "$prefix/stamps/$pkg" 2>/dev/null || echo nothing))"
		start=$(date +%s)
		tree=$(unpack "$pkg" "$ver")
		"build_$pkg" "$tree" || die "building $pkg $ver failed"
		rm -rf "$deps/src/$pkg"
		echo "$stamp" >"$prefix/stamps/$pkg"
		log "$pkg built in $(($(date +%s) - start)) s"
	done
}

# The cross build's environment: mingw's compilers, the libraries above
# through their pkg-config files (libyuv has none: -lyuv finds it), and
# its own build cache. Warnings are off (-w): mingw's gcc warns about the
# sound library's C code (miniaudio, in malgo) by the screenful, all of it
# harmless, and it buried make test's own output.
cross_env() {
	export GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$cc CXX=$cxx
	export PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_PATH=
	export CGO_CFLAGS="-O2 -w -I$prefix/include" CGO_CXXFLAGS="-O2 -w -I$prefix/include"
	export CGO_LDFLAGS="-L$prefix/lib"
	export GOCACHE=$root/gocache
}

# toml KEY: a string or number of FyneApp.toml's [Details].
toml() {
	awk -v key="$1" '/^\[/{sec=$0} sec=="[Details]" && $1==key {sub(/^[^=]*=[ \t]*/,""); gsub(/"/,""); print; exit}' FyneApp.toml
}

# resources DIR: the .exe's icon and version information, compiled by
# mingw's windres into DIR/resources.o, which the linker takes as it is.
resources() {
	local dir=$1 name version build icon major minor patch
	name=$(toml Name)
	version=$(toml Version)
	build=$(toml Build)
	icon=$(toml Icon)
	IFS=. read -r major minor patch <<<"$version"
	convert "$icon" -define icon:auto-resize=256,128,64,48,32,16 "$dir/icon.ico"
	cat >"$dir/resources.rc" <<-EOF
		1 ICON "icon.ico"
		1 VERSIONINFO
		FILEVERSION ${major:-0},${minor:-0},${patch:-0},${build:-0}
		PRODUCTVERSION ${major:-0},${minor:-0},${patch:-0},${build:-0}
		FILEOS 0x40004
		FILETYPE 0x1
		BEGIN
		  BLOCK "StringFileInfo"
		  BEGIN
		    BLOCK "040904B0"
		    BEGIN
		      VALUE "CompanyName", "$name"
		      VALUE "FileDescription", "$name video calls"
		      VALUE "FileVersion", "$version.${build:-0}"
		      VALUE "InternalName", "$name"
		      VALUE "OriginalFilename", "$name.exe"
		      VALUE "ProductName", "$name"
		      VALUE "ProductVersion", "$version"
		    END
		  END
		  BLOCK "VarFileInfo"
		  BEGIN
		    VALUE "Translation", 0x409, 1200
		  END
		END
	EOF
	(cd "$dir" && $host-windres -O coff -i resources.rc -o resources.o)
}

cmd_exe() {
	local out=$1 dir
	tools
	[ -f "$prefix/stamps/libvpx" ] || cmd_deps
	dir="$root/exe"
	mkdir -p "$dir" "$(dirname "$out")"
	resources "$dir"
	cross_env
	# package.sh builds as fyne package does, with the metadata; for
	# GOOS=windows it links statically into a GUI-subsystem .exe with the
	# resources above.
	PEERCALL_WINDOWS_RESOURCES="$dir/resources.o" \
		./scripts/package.sh binary "$out"
}

# cmd_test PKG OUT: PKG's tests as a Windows program (go test -c), linked
# as the .exe is, to run under Wine.
cmd_test() {
	local pkg=$1 out=$2
	tools
	[ -f "$prefix/stamps/libvpx" ] || cmd_deps
	cross_env
	$GO test -c -o "$out" -ldflags=-extldflags=-static "$pkg"
}

cmd_zip() {
	local out=$1 stage
	stage="$root/zip"
	rm -rf "$stage" && mkdir -p "$stage/Peercall"
	cmd_exe "$root/release/Peercall.exe"
	cp "$root/release/Peercall.exe" "$stage/Peercall/"
	cat >"$stage/Peercall/README.txt" <<-EOF
		$(toml Name) $(toml Version) for Windows (64-bit)

		Double-click Peercall.exe to open the window. To call someone, press
		"Start a call" and send them the invite code; paste the reply code they
		send back. To answer, press "Join a call" and paste their invite.

		Peercall keeps its settings in %APPDATA%\\fyne\\$(toml ID)\\preferences.json
		and writes nothing else of its own; a file the other side sends goes where
		the save dialog says (Downloads unless you pick another folder). It uses
		your camera (DirectShow) and the microphone and speakers Windows' sound
		settings choose (WASAPI); Windows may ask whether Peercall may use the
		camera and microphone.

		From a Command Prompt, "Peercall.exe --help" lists the commands that run
		a call without the window.
	EOF
	sed -i 's/$/\r/' "$stage/Peercall/README.txt"
	rm -f "$out.tmp"
	(cd "$stage" && zip -q -r -X "$out.tmp" Peercall)
	mv "$out.tmp" "$out"
	log "$out: $(du -h "$out" | cut -f1)"
}

case "${1:-}" in
deps) cmd_deps ;;
exe) [ $# = 2 ] || die "usage: windows.sh exe OUT"; cmd_exe "$(realpath -m "$2")" ;;
zip) [ $# = 2 ] || die "usage: windows.sh zip OUT"; cmd_zip "$(realpath -m "$2")" ;;
test) [ $# = 3 ] || die "usage: windows.sh test PKG OUT"; cmd_test "$2" "$(realpath -m "$3")" ;;
*) die "usage: windows.sh deps|exe|zip|test …" ;;
esac
