# Thingyard. `make run` builds and serves; `make test` runs every test.
# Both install what a fresh Debian machine lacks (see deps).

GO       ?= go
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
WASM     := assets/thingyard.wasm
BIN      := $(CURDIR)/.bin
ADDR     ?= 127.0.0.1:8080
# BROTLI_QUALITY trades build time for download size (11 is smallest).
BROTLI_QUALITY ?= 11

# Debian packages the tests use: Chromium for the browser tests, socat and
# libmodbus for serial tests (g++ and python3 run the example boards of
# assets/boards), mosquitto as an outside MQTT client and
# benchmark peer, brotli to precompress the WebAssembly program, tshark
# to judge captures, curl and iproute2 for the README's scripts of
# several servers, nodejs and npm to fetch axe-core, the accessibility
# judge the browser tests inject into the page (npm is looked for as a
# command: NodeSource's nodejs carries its own and conflicts with
# Debian's npm package).
DEB_PACKAGES := chromium socat brotli mosquitto mosquitto-clients libmodbus-dev gcc g++ python3 pkg-config tshark curl iproute2 nodejs

# AXE_VERSION is the axe-core release the browser tests audit the page
# with, from npm; a new one may judge differently, so it is pinned.
AXE_VERSION := 4.14.1
AXE := $(BIN)/axe.min.js

export PATH := $(BIN):$(PATH)

.PHONY: run build wasm glyphs sprites scenes vugu vugu-check architecture test test-native test-wasm fuzz e2e vet fmt-check bench bench-browser soak screenshots deps debs tools clean

run: build
	./bin/thingyard -addr $(ADDR)

build: wasm
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/thingyard ./server
	@echo "built bin/thingyard ($(VERSION))"

# The program is rebuilt into a temporary file and replaces the old one only
# when it changed, so the slow brotli step runs only after real changes.
wasm: assets/wasm_exec.js
	@mkdir -p bin
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/thingyard.wasm.new ./wasm
	@if cmp -s bin/thingyard.wasm.new $(WASM); then rm bin/thingyard.wasm.new; else mv bin/thingyard.wasm.new $(WASM); fi
	@$(MAKE) --no-print-directory $(WASM).br $(WASM).gz

$(WASM).br: $(WASM)
	@command -v brotli >/dev/null || { echo "brotli is missing: run make deps (or: sudo apt-get install brotli)"; exit 1; }
	brotli -f -k -q $(BROTLI_QUALITY) -o $@ $<

$(WASM).gz: $(WASM)
	gzip -9 -k -f -c $< > $@

assets/wasm_exec.js: $(shell $(GO) env GOROOT)/lib/wasm/wasm_exec.js
	cp $< $@

test: deps tools fmt-check vugu-check vet wasm test-native test-wasm fuzz
	@echo "all tests passed"

# fuzz runs each decoder of what strangers send FUZZTIME times beyond its
# committed seed corpus (testdata/fuzz): a browser's envelope, an action
# from any way into a room, an MQTT set payload, a room's world state.
# FUZZTIME is a count of runs, not a duration: Go 1.26's fuzzing
# coordinator can report its own -fuzztime deadline as a failure
# ("context deadline exceeded", go.dev/issue/75804) when a loaded machine
# keeps a worker busy past it; a count has no deadline to race.
FUZZTIME ?= 3000x
FUZZ_TARGETS := ./wire:FuzzDecode ./server/gate:FuzzAdmit ./server/mqttbridge:FuzzParseSet ./sim:FuzzDecodeState
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done

# glyphs makes wasm/render/glyphs.bin, the outlines and metrics of the
# glyphs the page writes labels with, from the Go fonts; make test
# (wasm/render/internal/glyphgen) fails when the committed file is not
# what this makes.
glyphs:
	$(GO) run ./wasm/render/internal/glyphgen -o wasm/render/glyphs.bin

# sprites makes wasm/render/sprites.bin, the shapes of the world's icons
# and sprites, drawn natively so the page draws none at start; make test
# (wasm/render/internal/spritegen) fails when the committed file is not
# what this makes.
sprites:
	$(GO) run ./wasm/render/internal/spritegen -o wasm/render/sprites.bin

# scenes makes scenes/default_gen.go, the default scene as a Go value,
# parsed natively so the page opens without parsing YAML; make test
# (scenes/internal/scenegen) fails when the committed file is not what
# this makes.
scenes:
	$(GO) run ./scenes/internal/scenegen -o scenes/default_gen.go

# vugu regenerates the panels' Go code (wasm/ui/root_gen.go) from
# root.vugu; vugu-check makes it in a temporary folder and fails when the
# committed code is not what vugugen makes of the committed root.vugu.
vugu:
	$(GO) tool vugugen -skip-go-mod -skip-main ./wasm/ui
	gofmt -w wasm/ui/root_gen.go

vugu-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp wasm/ui/*.vugu wasm/ui/*.go "$$tmp"/ && rm -f "$$tmp"/*_gen.go && \
	$(GO) tool vugugen -skip-go-mod -skip-main "$$tmp" && gofmt -w "$$tmp"/*_gen.go && \
	for f in "$$tmp"/*_gen.go; do \
		cmp -s "$$f" wasm/ui/$$(basename "$$f") || { echo "wasm/ui/$$(basename "$$f") is not what vugugen makes of wasm/ui/*.vugu: run make vugu"; diff -u wasm/ui/$$(basename "$$f") "$$f" | head -20; exit 1; }; done

# architecture writes the import graph of docs/architecture.md from go list;
# make test (architecture_test.go) fails when it is not the code's.
architecture:
	$(GO) test -run '^TestArchitectureGraph$$' -count=1 . -update

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>&1); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; echo "run: gofmt -w <files>"; exit 1; fi

# The benchmark report, the soak and the screenshots are vetted too, so a
# change that breaks make bench, make soak or make screenshots fails make test.
vet:
	$(GO) vet ./...
	$(GO) vet -tags bench,screenshots,soak ./e2e
	GOOS=js GOARCH=wasm $(GO) vet ./sim/... ./wasm/...

# Native tests, then e2e/, which builds the real binary and drives
# Chromium: about 10 minutes alone on 2 cores, and several times that on a
# machine busy with other work, so it has a deadline of its own.
test-native:
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v /e2e$$)
	$(GO) test -count=1 -timeout 60m ./e2e

# The simulation and the browser packages under WebAssembly, in headless
# Chromium through wasmbrowsertest (installed as go_js_wasm_exec in .bin).
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -timeout 20m ./sim/... ./wasm/...

e2e: wasm
	$(GO) test -count=1 -v ./e2e

# bench measures Thingyard beside baselines run alongside (a bare Ebitengine
# page, mosquitto, the relay with its rooms in memory beside the embedded
# JetStream) and writes docs/benchmarks.md: page, simulation, relay, restart
# with 1,000 rooms, memory per idle connection, serial. It reports against
# its goals; it asserts nothing. About 25 minutes on 2 shared cores, 20 of
# them the report (the relay, restart and idle parts about 11).
bench: deps tools wasm
	$(GO) test -run='^$$' -bench=. -benchmem ./sim/... ./server/relay/... ./server/replica/... ./server/store/...
	$(GO) test -tags bench -run '^TestBenchReport$$' -timeout 45m -count=1 -v ./e2e

# soak runs the real binary for SOAK under 500 members joining and leaving
# (a third with a TCP reset), actions at the rate limit, a slow reader, a
# flooder on every surface, a room at the device budget and an MQTT client
# killed every minute, and checks that no envelope was lost or repeated and
# that open files, goroutines and memory came back. It prints figures every
# minute; a run of 30m or more writes the Soak section of docs/benchmarks.md.
# It is not part of make test. The test sets its own deadline (SOAK + 30m).
SOAK ?= 30m
soak: deps wasm
	THINGYARD_SOAK=$(SOAK) $(GO) test -tags soak -run '^TestSoak$$' -timeout 0 -count=1 -v ./e2e

# screenshots opens every built-in scene in headless Chromium and writes
# docs/scenes/NAME.png, docs/scenes.md and docs/screenshot.png.
screenshots: deps wasm
	$(GO) test -tags screenshots -run '^TestSceneScreenshots$$' -timeout 30m -count=1 -v ./e2e

# bench-browser is the browser part of bench alone: frame rates from 100
# to 10,000 devices and the time to the first frame, beside a bare
# Ebitengine page measured in the same run. It prints and writes nothing.
bench-browser: deps tools wasm
	$(GO) test -tags bench -run '^TestBenchBrowser$$' -timeout 30m -count=1 -v ./e2e

tools: $(BIN)/go_js_wasm_exec

$(BIN)/go_js_wasm_exec:
	GOBIN=$(BIN) $(GO) install github.com/agnivade/wasmbrowsertest@v0.11.0
	mv $(BIN)/wasmbrowsertest $@

# deps installs the Debian packages the tests need when any is missing,
# then axe-core from npm.
deps: debs $(AXE)

# $(AXE) is remade when AXE_VERSION changes (the stamp names it).
$(AXE): $(BIN)/.axe-$(AXE_VERSION)
$(BIN)/.axe-$(AXE_VERSION):
	@command -v npm >/dev/null || { echo "npm is missing: run make deps (or: sudo apt-get install -y nodejs npm)"; exit 1; }
	@mkdir -p $(BIN)/node-modules
	npm install --prefix $(BIN)/node-modules --no-save --no-audit --no-fund --save-exact axe-core@$(AXE_VERSION)
	cp $(BIN)/node-modules/node_modules/axe-core/axe.min.js $(AXE)
	@rm -f $(BIN)/.axe-*; touch $@

debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "installing Debian packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else \
		echo "cannot install:$$missing (not root, no sudo). Run as root: apt-get install -y$$missing"; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing || \
	{ echo "apt-get failed. Run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; }

clean:
	rm -rf bin $(WASM) $(WASM).br $(WASM).gz assets/wasm_exec.js e2e/out
