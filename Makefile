# otzone build, test and release. otzone needs cgo (SQLite via
# mattn/go-sqlite3): a C compiler and CGO_ENABLED=1.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME ?= 10s
DEMO_DB  ?= demo.db

export CGO_ENABLED = 1

.PHONY: all build test bench bench-go bench-live fuzz lint demo golden release clean

all: lint test build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o otzone ./cmd/otzone

test:
	$(GO) test ./...

# The throughput benchmark of the issue: builds the corpus from ../shared
# (bench/out/, BENCH_MB MiB, default 200) and times otzone ingest against
# tshark and tcpdump under /usr/bin/time -v (results: BENCHMARKS.md).
BENCH_MB ?= 200
bench:
	bench/run.sh $(BENCH_MB)

# The Go micro-benchmarks (parsers, engine, inventory, renderers).
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Live capture over a veth pair in a namespace of its own (root): highest
# rate with < 0.1 % loss and CPU at 100 k packets/s (bench/live.sh).
bench-live:
	bench/live.sh

# Every Fuzz* target in the repository, each for FUZZTIME.
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		dir=$$(dirname $$f); \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$dir $$fn"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$dir; \
		done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Regenerate the demo plant capture, ingest it into a fresh demo.db and list
# the assets.
demo: build
	$(GO) run ./testdata/gen
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	./otzone --db $(DEMO_DB) ingest testdata/demo/plant.pcapng
	./otzone --db $(DEMO_DB) assets

# Rewrite golden files: only packages whose tests use internal/testutil
# know the -update flag.
golden:
	$(GO) test $$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... \
		| awk '/internal\/testutil/ {print $$1}') -update

# Cross-builds into dist/. Debian: apt-get install gcc-aarch64-linux-gnu
# libc6-dev-arm64-cross gcc-mingw-w64-x86-64 (and qemu-user-static to
# smoke-run the arm64 binary). The linux builds need glibc >= 2.34 (Debian 12,
# Ubuntu 22.04, RHEL 9); the .exe imports only KERNEL32.dll and msvcrt.dll.
# `make release-check` runs the test of these builds (internal/release).
QEMU_AARCH64 ?= $(shell command -v qemu-aarch64-static || command -v qemu-aarch64)
release:
	mkdir -p dist
	GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/otzone-linux-amd64 ./cmd/otzone
	GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/otzone-linux-arm64 ./cmd/otzone
	GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/otzone-windows-amd64.exe ./cmd/otzone
	file dist/otzone-linux-amd64 | grep -q 'x86-64'
	file dist/otzone-linux-arm64 | grep -q 'ARM aarch64'
	file dist/otzone-windows-amd64.exe | grep -q 'PE32+ executable.*x86-64'
	@if [ -n "$(QEMU_AARCH64)" ]; then \
		want=$$(dist/otzone-linux-amd64 version | head -n 1); \
		out=$$($(QEMU_AARCH64) -L /usr/aarch64-linux-gnu dist/otzone-linux-arm64 version) || exit 1; \
		echo "$$out"; \
		[ "$$(echo "$$out" | head -n 1)" = "$$want" ] || { echo "arm64 binary does not report '$$want'"; exit 1; }; \
	else echo "qemu-aarch64 not installed: arm64 binary checked by format only"; fi
	cd dist && sha256sum otzone-* > SHA256SUMS

.PHONY: release-check
release-check:
	$(GO) test -count=1 -v -run '^TestCrossBuild$$' ./internal/release

clean:
	rm -rf otzone dist $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
