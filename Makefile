# The two commands of the README's quick start:
#   make run    set up, build, and open a shell in a VM on examples/hello
#   make test   set up, build, and run every test
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
# Let separate checkouts share ccache entries (paths are made relative).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup build run test test-fast format clean

all: build

setup:
	@./scripts/setup-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# A shell needs only the CLI and the guest's init, not the tests.
run: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target bbox bbox-init
	cd examples/hello && ../../$(BUILD)/bbox shell

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests only: no VMs, no registries.
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
