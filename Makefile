# Peercall. `make run` installs what is missing, builds and opens the app;
# `make test` runs every test. Both work on a fresh Debian or Ubuntu machine.

SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:/usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
BIN := bin/peercall
FUZZTIME ?= 5m

.PHONY: all deps build run test vet fuzz clean

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

# The end-to-end tests build the binary themselves; those that need root
# (network namespaces) run when make test runs as root, as CI does.
test: vet
	$(GO) test -race -count=1 -p 1 -timeout 30m ./...

fuzz: deps
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./rtc/invite

clean:
	rm -rf bin
