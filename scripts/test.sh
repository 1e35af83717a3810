#!/usr/bin/env bash
# The test command (README, .ci/run): installs the Debian packages, checks formatting, builds with
# warnings as errors and runs every test (the integration tests start their own PostgreSQL), builds
# the Debian package from that build and installs and removes it (scripts/package-test.sh); then
# runs them again under AddressSanitizer + UndefinedBehaviorSanitizer, and the unit tests under
# ThreadSanitizer (libpq is not instrumented, so the server tests stay out of that one).
# Build trees go to build/ci-*. Set DBB_SKIP_DEPS=1 to skip apt-get on a prepared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

if [ "${DBB_SKIP_DEPS:-0}" != 1 ]; then
  step "install packages"
  bash scripts/install-deps.sh
fi

step "format check (clang-format --dry-run)"
git ls-files -- '*.cpp' '*.h' | xargs clang-format --dry-run -Werror

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DDBB_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

step "release build (-Werror) and all tests"
build build/ci-release -DCMAKE_BUILD_TYPE=RelWithDebInfo
build/ci-release/src/app/dbbackup --version
(cd build/ci-release && ctest -j "$jobs" --output-on-failure --timeout 600)

step "Debian package: build, contents, units, install and remove"
bash scripts/package-test.sh build/ci-release

step "address + undefined sanitizer build, unit and integration tests (backup/restore round trips)"
build build/ci-asan -DCMAKE_BUILD_TYPE=Debug -DDBB_SANITIZE='address;undefined' -DDBB_BUILD_BENCH=OFF
(cd build/ci-asan && ctest -j "$jobs" --output-on-failure --timeout 900 -L 'unit|root|integration')

step "thread sanitizer build and unit tests (page pool, queues, pipeline, writers)"
build build/ci-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBB_SANITIZE=thread -DDBB_BUILD_BENCH=OFF
(cd build/ci-tsan && TSAN_OPTIONS=halt_on_error=1 ctest -j "$jobs" --output-on-failure \
  --timeout 900 -L 'unit|root')

step "all tests passed"
