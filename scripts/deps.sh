#!/usr/bin/env bash
# Installs what building and testing Peercall needs on Debian or Ubuntu:
# the C libraries behind cgo, the tools the tests start, and a Go toolchain
# new enough for go.mod. Installs only what is missing; prints what it does.
set -euo pipefail

packages=(
	gcc g++ pkg-config make git
	libvpx-dev libopus-dev libyuv-dev libspeexdsp-dev libwebrtc-audio-processing-dev espeak-ng
	pulseaudio pulseaudio-utils
	libgl1-mesa-dev libgl1-mesa-dri xorg-dev
	iproute2 procps
	nftables coturn
	xvfb xdotool xclip imagemagick
	dpkg-dev xz-utils
	chromium
)

# The Windows build (make windows) and its tests under Wine (make test)
# need more, which make run does not: PEERCALL_DEPS lists the extra sets
# wanted, separated by commas.
if [[ ",${PEERCALL_DEPS:-}," == *,windows,* ]]; then
	packages+=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 yasm cmake zip imagemagick debian-archive-keyring)
fi
if [[ ",${PEERCALL_DEPS:-}," == *,wine,* ]]; then
	packages+=(wine64)
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	# The NAT tests run their own turnserver inside a network namespace;
	# the system service the coturn package may start is not needed, so a
	# coturn installed here is not left listening on the machine.
	if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now coturn >/dev/null 2>&1 || true
	fi
fi

# Go: the version go.mod names, from the machine's Go if it is new enough
# (it fetches the exact toolchain itself), else bootstrapped through the Go
# module proxy from Debian's older Go.
want=$(awk '/^go /{print $2; exit}' go.mod)
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
	echo "deps: installing golang-go" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go ca-certificates >&2
fi
minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "$minor" -lt 21 ]; then
	# Too old to switch toolchains itself: fetch the toolchain module.
	# Outside this module: an old Go cannot read go.mod's version line.
	dir=$(cd "$(mktemp -d)" && GO111MODULE=on go mod download -json \
		"golang.org/toolchain@v0.0.1-go${want}.linux-$(go env GOARCH)" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	chmod -R u+w "$dir" && chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
	mkdir -p "$HOME/.local/bin"
	ln -sf "$dir/bin/go" "$HOME/.local/bin/go"
	ln -sf "$dir/bin/gofmt" "$HOME/.local/bin/gofmt"
	echo "deps: Go ${want} from the module proxy at $dir" >&2
fi
