# gochat conformance suite and reference implementations.
# Every target is safe to run on a fresh clone; see README.md.

SHELL    := /bin/bash
GO        ?= go
BIN       ?= bin
FUZZTIME  ?= 10s
GOFLAGS_T ?= -race -count=1

PKGS       = ./...
CMDS       = conformance/cmd/gochat-conformance refserver/cmd/gochat-server refclient/cmd/gochat-client

# What --version reports (internal/version); packaging/version.sh derives
# both from git. Set VERSION=v1.2.3 to override.
VERSION   ?= $(shell packaging/version.sh version)
COMMIT    ?= $(shell packaging/version.sh commit)
VERSION_X  = github.com/gochatproto/gochat/internal/version
LDFLAGS    = -X $(VERSION_X).Version=$(VERSION) -X $(VERSION_X).Commit=$(COMMIT)
DIST      ?= dist

.PHONY: all build dist dist-check test vet lint fmt conformance conformance-client conformance-mariadb run-server run-client fuzz bench clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./,$(CMDS))

# dist: static, reproducible release archives (3 commands x linux/amd64,
# linux/arm64, darwin/arm64, windows/amd64), .deb packages for linux, and
# SHA256SUMS, in $(DIST)/. See packaging/dist.sh.
dist:
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' DIST='$(DIST)' GO='$(GO)' ./packaging/dist.sh

# dist-check: make dist, then check the archives, reproducibility, and the
# .deb packages installed with dpkg (root; CI runs it from .ci/run).
dist-check:
	DIST='$(CURDIR)/$(DIST)' GO='$(GO)' ./.ci/dist-check

vet:
	$(GO) vet $(PKGS)

# test: vet, then the whole tree under the race detector. go test's own closing
# lines (ok/FAIL per package) are printed; the summary line counts them.
# The race detector slows everything several times; timing scenarios stretch
# their waits, sleeps and fresh-server timeouts by this factor (engine.TimeoutScaleEnv).
# The per-package limit is 25 minutes: conformance/explore, sleep-bound (two
# settle waits per shrinking replay, up to 100 replays for a race double), took
# 14 minutes on two loaded cores; 15 would turn a slow day into a failure.
test: export GOCHAT_TIMEOUT_SCALE ?= 3
test: vet
	@set -o pipefail; $(GO) test $(GOFLAGS_T) -timeout 25m $(PKGS) 2>&1 | tee .test.log; \
	status=$$?; \
	pass=$$(grep -c '^ok ' .test.log || true); fail=$$(grep -c '^FAIL' .test.log || true); \
	echo "packages: $$pass passed, $$fail failed"; rm -f .test.log; exit $$status

# lint: gofmt, go vet, staticcheck (the pinned version .ci/run installs;
# STATICCHECK names another binary) and go.mod/go.sum as go mod tidy leaves them.
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@test -x "$(STATICCHECK)" || { echo "staticcheck missing: go install honnef.co/go/tools/cmd/staticcheck@v0.8.2"; exit 1; }
	$(STATICCHECK) ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w $$(git ls-files '*.go')

# conformance: the full server suite against the reference server, started
# in-process on loopback with an in-memory SQLite store, in both dialects.
# --strict: the reference must also follow every decision of docs/errata.md
# (an implementer's default run judges only the original specification).
# With GOCHAT_REPORT_DIR set (CI sets it) both runs also leave their JSON
# and HTML reports there, and a page comparing the two dialects.
conformance_reports = $(if $(GOCHAT_REPORT_DIR),--json $(GOCHAT_REPORT_DIR)/conformance-$(1).json --report $(GOCHAT_REPORT_DIR)/conformance-$(1).html)
conformance:
	$(GO) run ./conformance/cmd/gochat-conformance server --strict $(call conformance_reports,spec)
	$(GO) run ./conformance/cmd/gochat-conformance server --strict --dialect gochat1 $(call conformance_reports,gochat1)
	$(if $(GOCHAT_REPORT_DIR),$(GO) run ./conformance/cmd/gochat-conformance report --compare \
		spec=$(GOCHAT_REPORT_DIR)/conformance-spec.json gochat1=$(GOCHAT_REPORT_DIR)/conformance-gochat1.json \
		-o $(GOCHAT_REPORT_DIR)/conformance-compare.html)

# conformance-client: the client suite and the client corpus against the
# reference client's driver mode, in both dialects, with project decisions
# judged (--strict), then a bounded hostile-server fuzzing run.
CLIENT_CMD = '$(abspath $(BIN))/gochat-client -driver'
conformance-client: build
	$(BIN)/gochat-conformance client --strict --dialect spec --client-cmd $(CLIENT_CMD)
	$(BIN)/gochat-conformance client --strict --dialect gochat1 --client-cmd $(CLIENT_CMD)
	$(BIN)/gochat-conformance corpus --role client --strict --dialect spec --client-cmd $(CLIENT_CMD)
	$(BIN)/gochat-conformance corpus --role client --strict --dialect gochat1 --client-cmd $(CLIENT_CMD)
	$(BIN)/gochat-conformance fuzz --role client --cases 40 --time 90s --client-cmd $(CLIENT_CMD)

# conformance-mariadb: the same suite with the reference server on MariaDB
# (GOCHAT_TEST_MARIADB_DSN, Docker, or a private mariadbd; see README) and
# on SQLite, writing JUnit files to GOCHAT_REPORT_DIR (default reports/).
conformance-mariadb: export GOCHAT_REPORT_DIR ?= $(CURDIR)/reports
conformance-mariadb:
	@set -o pipefail; $(GO) test -count=1 -run 'TestSuiteOn' -v ./conformance/ | grep -E '^(---|ok|FAIL|PASS)|JUnit'

run-server:
	$(GO) run ./refserver/cmd/gochat-server

run-client:
	$(GO) run ./refclient/cmd/gochat-client

# fuzz: every Go fuzz target for a bounded time each (FUZZTIME).
fuzz:
	@./fuzz/run-go-fuzz.sh $(FUZZTIME)

# bench: Go benchmarks (spec codec, server message path, stores), then the
# load profiles against the in-process reference server on SQLite and
# MariaDB and against the generator's stub; the results go into the
# generated section of docs/benchmarks.md, and as charts into
# docs/benchmarks.html. BENCHFLAGS=-quick for a short run.
BENCHFLAGS ?=
bench:
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchmem ./spec/... ./refserver/... | tee $(BIN)/gobench.txt
	$(GO) test -count=1 -timeout 30m -run TestBenchReport ./conformance/load/benchreport \
		-report $(CURDIR)/docs/benchmarks.md -html $(CURDIR)/docs/benchmarks.html \
		-gobench $(CURDIR)/$(BIN)/gobench.txt $(BENCHFLAGS)

clean:
	rm -rf $(BIN) $(DIST)
