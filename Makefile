# Thin driver over CMake: `make`, `make test`, `make bench`, `make demo`.
# Everything is out of tree under build/ (build/asan: sanitizers, build/fuzz: libFuzzer).
BUILD     ?= build
ASAN      ?= $(BUILD)/asan
FUZZ      ?= $(BUILD)/fuzz
BLST_DIR  := $(abspath $(BUILD))/deps/blst
JOBS      ?= $(shell nproc)
# make test fuzzes for FUZZ_BUDGET seconds in all, split across the targets;
# make fuzz runs FUZZ_RUNS executions per target (at most FUZZ_CAP s each).
FUZZ_BUDGET ?= 90
FUZZ_RUNS ?= 10000000
FUZZ_CAP  ?= 3600
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps blst build wasm wasm-if-emcc test test-fast test-asan fuzz fuzz-build fuzz-quick bench demo clean format

all: build

deps: $(BUILD)/.deps-ok
$(BUILD)/.deps-ok: scripts/install-deps.sh
	@mkdir -p $(BUILD)
	scripts/install-deps.sh
	@touch $@

blst: deps
	scripts/fetch-blst.sh $(BLST_DIR)

# configure_<dir>(extra cmake args)
define configure
	@if [ ! -f $(1)/CMakeCache.txt ]; then \
	    cmake -S . -B $(1) $(CMAKE_GEN) -DMTL_BLST_DIR=$(BLST_DIR) $(2); fi
endef

build: blst
	$(call configure,$(BUILD),)
	cmake --build $(BUILD) -j $(JOBS)

# libmithril for WebAssembly (wasm/README.md) -> $(WASM)/pkg. Debian's emcc
# needs NODE_PATH for its JS optimizer; its C sources are fetched and checked
# by wasm/fetch-deps.sh. make test builds it when emcc is installed.
WASM      ?= $(BUILD)/wasm
export NODE_PATH ?= /usr/share/nodejs
wasm:
	@command -v emcc >/dev/null || { echo "wasm: emcc not found (apt-get install emscripten)" >&2; exit 1; }
	wasm/fetch-deps.sh $(WASM)/src
	@[ -f $(WASM)/CMakeCache.txt ] || cmake -S wasm -B $(WASM) $(CMAKE_GEN) \
	    -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/wasm/toolchain.cmake
	cmake --build $(WASM) -j $(JOBS)

wasm-if-emcc:
	@if command -v emcc >/dev/null; then $(MAKE) --no-print-directory wasm; \
	else echo "wasm: emcc not found, the WebAssembly build and its tests are skipped"; fi

test-fast: build wasm-if-emcc
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

test-asan: blst
	$(call configure,$(ASAN),-DMTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest -j $(JOBS) --output-on-failure -LE no-asan

fuzz-build: blst
	@if command -v clang >/dev/null 2>&1; then \
	    [ -f $(FUZZ)/CMakeCache.txt ] || CC=clang cmake -S . -B $(FUZZ) $(CMAKE_GEN) \
	        -DMTL_BLST_DIR=$(BLST_DIR) -DMTL_FUZZ=ON -DMTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; \
	    cmake --build $(FUZZ) -j $(JOBS); \
	else echo "fuzz: clang not found, skipping libFuzzer runs"; fi

# Bounded, in make test.
fuzz-quick: fuzz-build
	@if [ -f $(FUZZ)/fuzzers.txt ]; then tests/fuzz/run.sh $(FUZZ) --budget $(FUZZ_BUDGET); fi

# The long run: its per-target execution counts go in the closing notes.
fuzz: fuzz-build
	@if [ -f $(FUZZ)/fuzzers.txt ]; then \
	    tests/fuzz/run.sh $(FUZZ) --runs $(FUZZ_RUNS) --cap $(FUZZ_CAP); fi

# The whole suite: normal build, bounded fuzzing, then everything again under
# AddressSanitizer + UndefinedBehaviorSanitizer (its CTest summary ends the output).
test: test-fast fuzz-quick test-asan

bench: build wasm-if-emcc
	$(BUILD)/bench/run-all.sh

# The devnet, then a PNG of the explorer page (after verification in the
# browser) in the run directory.
demo: build wasm-if-emcc
	EXPLORER_SCREENSHOT=1 devnet/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
