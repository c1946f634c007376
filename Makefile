# Thin driver over CMake: `make`, `make test`, `make bench`, `make demo`.
# Everything is out of tree under build/ (build/asan: sanitizers, build/fuzz: libFuzzer).
BUILD     ?= build
ASAN      ?= $(BUILD)/asan
FUZZ      ?= $(BUILD)/fuzz
BLST_DIR  := $(abspath $(BUILD))/deps/blst
JOBS      ?= $(shell nproc)
FUZZ_SECS ?= 15
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps blst build test test-fast test-asan fuzz bench demo clean format

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

test-fast: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

test-asan: blst
	$(call configure,$(ASAN),-DMTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest -j $(JOBS) --output-on-failure -LE no-asan

fuzz: blst
	@if command -v clang >/dev/null 2>&1; then \
	    [ -f $(FUZZ)/CMakeCache.txt ] || CC=clang cmake -S . -B $(FUZZ) $(CMAKE_GEN) \
	        -DMTL_BLST_DIR=$(BLST_DIR) -DMTL_FUZZ=ON -DMTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug; \
	    cmake --build $(FUZZ) -j $(JOBS) && tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECS); \
	else echo "fuzz: clang not found, skipping libFuzzer runs"; fi

# The whole suite: normal build, bounded fuzzing, then everything again under
# AddressSanitizer + UndefinedBehaviorSanitizer (its CTest summary ends the output).
test: test-fast fuzz test-asan

bench: build
	$(BUILD)/bench/run-all.sh

demo: build
	devnet/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
