#!/usr/bin/env bash
# Runs every benchmark of the pipeline on this machine and prints the figures that
# docs/BENCHMARKS.md reports. Needs the release build (scripts/demo.sh or see README).
#   bash bench/run.sh [BUILD_DIR]     (default build/release; DBB_BENCH_DIR picks the disk)
# Database backup and restore against pg_dump / pg_restore (a throwaway PostgreSQL, a generated
# 1.2 GB database, about 10 minutes on 2 CPUs) is a separate script, not run from here:
#   bash bench/backup_bench.sh [--size MB] [--out FILE.md]
# A whole server (backup cluster / restore cluster against pg_dumpall and pg_dump per database,
# about 5 minutes on 2 CPUs): bash bench/cluster_bench.sh [--size MB] [--small-dbs N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target dbbackup bench_pipeline bench_io
echo "== machine: $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1024) " MiB"}' /proc/meminfo)," \
     "disk $(df -h "${DBB_BENCH_DIR:-/var/tmp}" | awk 'NR==2 {print $1}'), kernel $(uname -r)"
echo "== compression: raw compressors, pipeline to disk, pigz and zstd on the same 512 MiB"
"$build/bench/bench_pipeline" --benchmark_counters_tabular=true
echo "== write bandwidth: io_uring + O_DIRECT vs pwrite, 1 GiB; then dd on the same disk"
"$build/bench/bench_io"
dd if=/dev/zero of="${DBB_BENCH_DIR:-/var/tmp}/dbbackup-dd" bs=1M count=1024 oflag=direct \
  conv=fsync 2>&1 | tail -1
rm -f "${DBB_BENCH_DIR:-/var/tmp}/dbbackup-dd"
echo "== peak RSS of the pipeline (dbbackup bench pipeline, isal level 1, 2 threads)"
for size in 1GiB 4GiB; do
  "$build/src/app/dbbackup" bench pipeline --bytes "$size" --compress-threads 2 \
    --dir "${DBB_BENCH_DIR:-/var/tmp}" | sed "s/^/[$size] /"
done
echo "== database backup and restore vs pg_dump / pg_restore: bash bench/backup_bench.sh (separate)"
