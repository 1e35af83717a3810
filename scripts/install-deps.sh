#!/usr/bin/env bash
# Installs the Debian 12 packages dbbackup needs to build, test and benchmark.
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 2; }
  as_root=(sudo)
fi
packages=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries (Debian packages only)
  libpq-dev liburing-dev libisal-dev libdeflate-dev libzstd-dev libmimalloc-dev libcli11-dev
  nlohmann-json3-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # reference tools the tests decode with and the benchmarks compare against
  gzip pigz zstd
  python3-prometheus-client  # the reference parser of --metrics-file output
  # PostgreSQL 15 (Debian 12's): the server for the integration tests, the demo and the
  # benchmarks (scripts/lib/pg.sh starts a throwaway one); the client tools (psql, pg_dump,
  # pg_restore) that dbbackup runs for the schema and that the benchmark compares against;
  # contrib is part of postgresql-15 (pgcrypto, used by scripts/sample-db.sh)
  postgresql postgresql-15 postgresql-client-15
  # demo and benchmarks: GNU time (wall time and peak RSS), procps (ps, free), jq (manifest.json)
  time procps jq
  # format check
  clang-format
  # Debian package (scripts/package-test.sh): cpack's dpkg-shlibdeps (dpkg-dev) runs on the
  # files `file` calls ELF; systemd-analyze (systemd) verifies the units
  dpkg-dev file systemd
)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages present"
