# Thin wrapper: every target installs what the build needs, configures
# (Release, -O2 -g) and builds, then runs one thing.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build demo test clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: a login storm over a bundled dataset.
demo: build
	$(BUILD)/claimmap eval --config datasets/entra/config.json datasets/entra/events.ndjson

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
