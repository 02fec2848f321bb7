# Thin wrapper: every target installs what the build needs, configures
# (Release, -O2 -g) and builds, then runs one thing.
BUILD ?= build
# Nested makes (cmake --build) would otherwise print every directory change.
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build demo test stress-scaleout tsan bench bench-build bench-check bench-baseline package package-test clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: a login storm over a bundled dataset, and its report page.
# Builds only what it runs (the `claimmap` command), not the tests and the
# benchmark: a newcomer sees a storm several minutes sooner.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target claimmap
	$(BUILD)/claimmap simulate --users 200000 --logins 1000000 --report $(BUILD)/storm-report.html
	@echo "report: $(BUILD)/storm-report.html"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The scale-out tests under contention: two busy loops take the cores while
# the tests run at nice 15, three rounds in a row (scripts/stress-scaleout.sh;
# ROUNDS, NICE and LOOPS change it). Not part of `make test`: it takes minutes.
stress-scaleout: build
	scripts/stress-scaleout.sh $(BUILD)

# The concurrency tests under ThreadSanitizer (the stream pipeline, many
# callers on one Engine, reloads and snapshots while logins run, a large
# config read and checked in pieces on several threads, the server's
# listener over HTTP and over TLS with certificate rotations), and the
# worker's shutdown paths (scaleout_shutdown_test: SIGTERM mid-stream, and
# with its NATS server killed) with a sanitized `claimmap`.
TSAN_BUILD ?= build-tsan
# Sanitizer builds: -O1 (what the sanitizers' authors advise) and line tables
# only (-g1: function names and lines in every report, a third of the
# compile time of full debug info).
SANITIZE_OPT := -O1 -g1
tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(SANITIZE_OPT)" -DCLAIMMAP_BUILD_BENCHMARKS=OFF \
		-DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target concurrency_test pipeline_test reload_test state_faults_test state_io_test file_paths_test large_config_test server_concurrency_test claimmap
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		ctest --output-on-failure -j $(JOBS) -R "^(Concurrency|Pipeline|ReloadConcurrency|ReloadAt|StateConcurrency|ServerConcurrency|LargeConfig)\.|^FilePaths\.ParallelRead"
	@# A whole binary loads state with every shard locked at once, beyond the
	@# 64 locks TSan's deadlock detector can follow (a CHECK failure, not a
	@# race): races are still reported, lock order is not checked here. The
	@# state loads of StateIo (read, parsed and stored in parallel) likewise.
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 detect_deadlocks=0 suppressions=$(CURDIR)/tests/tsan.supp" \
		ctest --output-on-failure -R "^scaleout_shutdown_test$$|^StateIo\."

# The benchmarks run the tuned build (-march=native, docs/install.md) in its
# own directory; the default build and the package are portable (x86-64-v2).
NATIVE_BUILD ?= build-native
bench-build: deps
	@cmake -S . -B $(NATIVE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCLAIMMAP_NATIVE=ON -DCLAIMMAP_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(NATIVE_BUILD) -j $(JOBS) --target claimmap_bench

# The benchmark suite (benchmarks/README.md): all of it, JSON to $(NATIVE_BUILD)/bench.json.
bench: bench-build
	$(NATIVE_BUILD)/benchmarks/claimmap_bench --benchmark_out=$(NATIVE_BUILD)/bench.json --benchmark_out_format=json
	@python3 scripts/bench_table.py $(NATIVE_BUILD)/bench.json

# The regression check: a short run whose ratios are compared with
# benchmarks/baseline.json; `make bench-baseline` rewrites that on purpose.
# Both use the default build (portable, the one `make test` built): ratios,
# not absolute times, are checked, and CI then builds the engine once less.
bench-check: build
	python3 scripts/bench_check.py $(BUILD)/benchmarks/claimmap_bench benchmarks/baseline.json

bench-baseline: build
	python3 scripts/bench_check.py --update $(BUILD)/benchmarks/claimmap_bench benchmarks/baseline.json

# The Debian package (docs/install.md): $(BUILD)/claimmap_<version>_amd64.deb.
package: build
	cd $(BUILD) && cpack -G DEB

# The packages installed in a clean Debian 12 root made with debootstrap
# (needs root and Debian's mirror; not part of `make test`).
package-test: package
	scripts/package_install_test.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(NATIVE_BUILD)

# Hardening. `make asan`: the whole suite under AddressSanitizer and
# UndefinedBehaviorSanitizer. `make fuzz` / `make fuzz-short`: each libFuzzer
# harness (tests/fuzz) for FUZZ_SECONDS, one after the other; the corpus grows
# in $(FUZZ_BUILD)/corpus, crashes land in $(FUZZ_BUILD)/artifacts.
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: asan fuzz fuzz-short fuzz-build

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(SANITIZE_OPT)" -DCLAIMMAP_BUILD_BENCHMARKS=OFF \
	  "-DCMAKE_CXX_FLAGS=$(SANITIZE_FLAGS)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@# alloc_dealloc_mismatch=0: simdjson's DOM parser is allocated with new in
	@# libsimdjson.so and released through free() by simdjson.h's inline
	@# destructor; ASan reports that pair, which is inside simdjson, not ours.
	cd $(ASAN_BUILD) && ASAN_OPTIONS=abort_on_error=1:alloc_dealloc_mismatch=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

fuzz-build: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAIMMAP_FUZZ=ON \
	  -DCLAIMMAP_BUILD_TESTS=OFF -DCLAIMMAP_BUILD_BENCHMARKS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target event_fuzzer config_fuzzer
	@tests/fuzz/make_seeds.sh $(FUZZ_BUILD)/seeds

fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@for h in event config; do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$h; \
	  echo "fuzz: $${h}_fuzzer for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/tests/fuzz/$${h}_fuzzer $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/seeds/$$h \
	    -dict=$(FUZZ_BUILD)/seeds/fuzz.dict -max_total_time=$(FUZZ_SECONDS) -timeout=30 -workers=1 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$h- || exit 1; \
	done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60
