# Peercall. `make run` installs what is missing, builds and opens the app;
# `make test` runs every test. Both work on a fresh Debian or Ubuntu machine.

SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:/usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export LANG ?= en_US.UTF-8
GO ?= go
# Fyne's bundled colour-emoji font costs 5 MB of binary and 20 MB of memory
# once text is measured; Peercall shows no emoji.
export GOFLAGS += -tags=no_emoji
BIN := bin/peercall
FUZZTIME ?= 1m

.PHONY: all deps build run test vet fuzz bench soak package install clean windows

all: build

deps:
	@./scripts/deps.sh

build: deps
	$(GO) build -o $(BIN) .

run: build
	./$(BIN)

vet: deps
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The end-to-end tests (e2e/) build the binary themselves; those that need
# root (network namespaces) run when make test runs as root, as CI does. A
# private PulseAudio server with a null sink runs for the duration.
#
# The two slow-hands tests (a reply pasted 5 minutes late, an invite joined
# 10 minutes late) mostly wait: they run in a go test of their own beside
# the rest, so their wait adds nothing to the run's length.
SLOW_TESTS := ^(TestReplyPastedFiveMinutesLaterConnects|TestInviteJoinedTenMinutesLaterConnects)

#
# The Windows build is made first (make windows) and tested under Wine by
# e2e/wine_test.go, which PEERCALL_WINDOWS_ZIP points at it: on a fresh
# machine about 6 minutes for the cold cross-build and 3 for the tests.
WINDOWS_ZIP := bin/Peercall-windows-amd64.zip
test: vet windows
	@PEERCALL_DEPS=wine ./scripts/deps.sh
	PEERCALL_WINDOWS_ZIP=$(CURDIR)/$(WINDOWS_ZIP) ./scripts/with-sound.sh bash -c '\
	  $(GO) test -race -count=1 -timeout 20m -run "$(SLOW_TESTS)" ./rtc & slow=$$!; \
	  $(GO) test -race -count=1 -p 1 -timeout 40m -skip "$(SLOW_TESTS)" ./...; rc=$$?; \
	  wait $$slow || rc=1; exit $$rc'

# Each fuzz target for $(FUZZTIME); go test fuzzes one target per run. New
# inputs are minimized for at most 1000 runs, so a target whose inputs are
# slow (FuzzSignal applies offers) spends its time fuzzing.
FUZZ_TARGETS := ./rtc/invite:FuzzDecode ./rtc/invite:FuzzPayload ./rtc:FuzzSignal ./rtc:FuzzControl ./rtc/twccnorm:FuzzFeedback
fuzz: deps
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1000x "$${t%%:*}"; \
	done

# Measurements, not tests: each figure against its target, written to
# BENCHMARKS.md and benchmarks.json (about 24 minutes; run as root for the
# window's, the links', Chromium's and the network changes' figures). A slow
# machine does not fail anything here.
bench: deps
	./scripts/bench.sh

# The Windows cross-build, cold (from an empty build directory: about ten
# minutes on two cores) and warm, and the .exe's size, to BENCHMARKS.md.
.PHONY: bench-windows
bench-windows: deps
	@PEERCALL_DEPS=windows ./scripts/deps.sh
	./scripts/bench.sh --windows

# Screen sharing: how soon a changed page of a shared 1920×1080 screen is
# readable at the other side of a call on loopback (about a minute; needs
# Xvfb), to BENCHMARKS.md.
.PHONY: bench-screen
bench-screen: deps
	./scripts/bench.sh --screen

# A 30-minute call: memory and goroutines each minute, to BENCHMARKS.md.
soak: deps
	./scripts/bench.sh --soak

# The screenshots of the main screens in docs/gallery/, which the README
# shows, drawn by the window's own code with the default theme.
.PHONY: gallery
gallery: deps
	mkdir -p docs/gallery
	PEERCALL_GALLERY=$(CURDIR)/docs/gallery $(GO) test -count=1 -run '^TestGallery$$' ./ui

# Peercall for 64-bit Windows, cross-built here with Debian's mingw-w64
# (scripts/windows.sh): Peercall.exe (static, with its icon and version)
# and a README.txt in $(WINDOWS_ZIP). The C libraries are built from
# Debian's source packages into bin/windows, once a version; the first
# build of Fyne's GL parts for Windows takes minutes, later ones seconds.
windows:
	@PEERCALL_DEPS=windows ./scripts/deps.sh
	./scripts/windows.sh zip $(WINDOWS_ZIP)

# WebRTC's echo canceller AEC3 (webrtc-audio-processing 1.x), built from
# Debian's source package into bin/deps/aec3 for go build -tags aec3 (see
# media/aec/aec3). Cached: once built it only checks the version.
.PHONY: aec3
aec3:
	./scripts/aec3.sh

# Packages, from FyneApp.toml and the sources (scripts/package.sh): the
# release binary is built as fyne package --release builds it, from go
# build's cache and without writing to the source tree, so packaging leaves
# the checkout as it was. Each file is remade only when what it is made of
# changed.
.PHONY: deb uninstall
PKG := bin/package
APP_VERSION := $(shell sed -n 's/^Version *= *"\(.*\)".*/\1/p' FyneApp.toml)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
BUNDLE := bin/Peercall.tar.xz
DEB := bin/peercall_$(APP_VERSION)_$(DEB_ARCH).deb
PKG_INPUTS := $(shell find . \( -path ./bin -o -path ./.git \) -prune -o -type f \
	\( -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.cc' \) ! -name '*_test.go' -print) \
	go.mod go.sum FyneApp.toml $(wildcard assets/*.png assets/icons/*) scripts/package.sh
USER_BIN := $(DESTDIR)$(HOME)/.local/bin/peercall

$(PKG)/peercall: $(PKG_INPUTS) | deps
	@mkdir -p $(PKG)
	./scripts/package.sh binary $@

# The Linux bundle: binary, .desktop file, icon, a Makefile that installs
# them and a README naming the packages they need.
$(BUNDLE): $(PKG)/peercall
	./scripts/package.sh bundle $< $@

# The .deb: the same files in /usr, its Depends computed from the libraries
# the binary links and loads, so apt installs those on a fresh system.
$(DEB): $(PKG)/peercall
	./scripts/package.sh deb $< $@

package: $(BUNDLE) $(DEB)
	@ls -l $^

deb: $(DEB)
	@ls -l $<

# Installs the bundle for the current user (in ~/.local), so Peercall opens
# from the desktop menu; again only when the bundle changed.
install: $(USER_BIN)

$(USER_BIN): $(BUNDLE)
	rm -rf $(PKG)/unpacked && mkdir -p $(PKG)/unpacked
	tar -xJf $< -C $(PKG)/unpacked
	$(MAKE) -C $(PKG)/unpacked/peercall user-install
	@touch $@

uninstall:
	-$(MAKE) -C $(PKG)/unpacked/peercall user-uninstall

clean:
	rm -rf bin Peercall.tar.xz
