# Carnet — the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
JOBS ?= 2
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=

.PHONY: all setup build web run test bench bench-quick clean

all: build

# Installs what is missing (Debian packages, npm packages from the lock file). Re-run when
# the package list or the lock file changes.
build/.setup-done: scripts/setup scripts/debian-packages.txt web/package-lock.json src/fhir/definitions/package-lock.json tests/external/package-lock.json tests/e2e/package-lock.json
	scripts/setup

setup:
	scripts/setup

build: build/.setup-done
	cmake -S . -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) > build/cmake-configure.log || { cat build/cmake-configure.log; exit 1; }
	cmake --build build -j$(JOBS)
	$(MAKE) --no-print-directory web

web: build/.setup-done
	cd web && npm run --silent build > ../build/web-build.log 2>&1 || { cat ../build/web-build.log; exit 1; }

run: build
	@./build/carnet --data-dir ./data demo
	@echo "Starting carnetd (data in ./data). Stop with Ctrl-C."
	./build/carnetd --data-dir ./data --web-root web/dist

test: build
	scripts/test-all

bench: build
	bench/run

# The same scenarios at small sizes (a few minutes): keeps the benchmarks running.
bench-quick: build
	BENCH_QUICK=1 bench/run

clean:
	rm -rf build build-asan web/dist
