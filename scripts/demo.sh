#!/usr/bin/env bash
# The main-job command (README): on a fresh Debian 12, as root, installs the Debian packages,
# builds dbbackup, starts a throwaway PostgreSQL, generates the built-in sample database, backs it
# up, lists and verifies the backup, shows `tune --check` for its directory, restores it into a new
# database, checks that the two databases are equal without dbbackup's help, and prints a summary
# (sizes, times, throughput, compression ratio, peak RSS, PASS or FAIL). Exits non-zero on any failure or difference. Removes the server and every
# file it made on exit.
#
#   bash scripts/demo.sh
#
# Environment: DEMO_MB (sample size in MB, default 300), DEMO_JOBS (-j, default 2),
# DBB_SKIP_DEPS=1 (skip apt-get), DBB_BUILD_DIR (default build/release), TMPDIR (where the
# server and the backup go, default /var/tmp), DEMO_KEEP=1 (keep the backup and the server's
# directory, for a look afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${DEMO_MB:-300}
jobs=${DEMO_JOBS:-2}
step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAIL: $*" >&2; exit 1; }

if [ "${DBB_SKIP_DEPS:-0}" != 1 ]; then
  step "install packages (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
fi

step "build (release)"
build=${DBB_BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target dbbackup
bin=$(realpath "$build/src/app/dbbackup")
"$bin" --version
"$bin" backup single --help >/dev/null 2>&1 ||
  fail "this build of dbbackup has no 'backup single' yet"

# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
# shellcheck source=scripts/lib/dbcompare.sh
source scripts/lib/dbcompare.sh
work=$(mktemp -d "${TMPDIR:-/var/tmp}/dbbackup-demo.XXXXXX")
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  dbb_at_exit "echo 'demo: kept $work'"
  export PG_TMP_KEEP=1
else
  dbb_at_exit "rm -rf '$work'"
fi

step "throwaway PostgreSQL server"
pg_tmp_start

step "sample database: $mb MB (scripts/sample-db.sh)"
bash scripts/sample-db.sh dbb_demo "$mb"
db_bytes=$(pg_sql postgres "SELECT pg_database_size('dbb_demo')")

# Runs a command under GNU time; sets t_secs, t_rss_mb (peak RSS), t_cpu (user + sys seconds).
timed() {
  local rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" || rc=$?
  read -r t_secs t_rss_kb t_user t_sys < <(tail -1 "$work/time")
  t_rss_mb=$(awk -v k="$t_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  t_cpu=$(awk -v u="$t_user" -v s="$t_sys" 'BEGIN { printf "%.1f", u + s }')
  return "$rc"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / 1e6 / s : 0) }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

step "dbbackup backup single dbb_demo -j $jobs"
timed "$bin" backup single dbb_demo --dir "$work/backup" -j "$jobs" ||
  fail "dbbackup backup single exited with status $?"
backup_secs=$t_secs backup_rss=$t_rss_mb backup_cpu=$t_cpu

step "dbbackup list"
"$bin" list "$work/backup" || fail "dbbackup list exited with status $?"

step "dbbackup verify (no database: checksums, compressed streams, COPY framing, row counts)"
"$bin" verify "$work/backup" || fail "dbbackup verify exited with status $?"

step "dbbackup tune --check --dir (this host's settings for backups; informational)"
"$bin" tune --check --dir "$work" || echo "(tune --check exited with $?: see the rows above)"

step "independent check of the backup files (gzip -t / zstd -t, and their decoded size)"
[ -f "$work/backup/manifest.json" ] || fail "no manifest.json in the backup"
jq -e '.complete == true' "$work/backup/manifest.json" >/dev/null ||
  fail "manifest.json does not say complete"
raw=0
stored=0
files=0
for f in "$work"/backup/data/*; do
  case $f in
    *.gz) n=$(gzip -dc "$f" | wc -c) || fail "gzip cannot decode $f" ;;
    *.zst) n=$(zstd -qdc "$f" | wc -c) || fail "zstd cannot decode $f" ;;
    *) fail "unexpected file in the backup: $f" ;;
  esac
  raw=$((raw + n))
  stored=$((stored + $(stat -c %s "$f")))
  files=$((files + 1))
done
# Each file's stream: COPY data, or large objects with their heads (docs/FORMAT.md).
manifest_raw=$(jq '[.tables[].files[].raw_bytes, .large_objects.files[]?.raw_bytes] | add' \
  "$work/backup/manifest.json")
echo "$files data files decode with the standard tools: $(mb "$raw") MB of COPY data and" \
     "large objects, stored in $(mb "$stored") MB"
[ "$raw" = "$manifest_raw" ] ||
  fail "decoded $raw bytes, but manifest.json says $manifest_raw"
backup_bytes=$(du -sb "$work/backup" | cut -f1)

step "dbbackup restore single --create -d dbb_demo_restored -j $jobs"
timed "$bin" restore single "$work/backup" -d dbb_demo_restored --create -j "$jobs" ||
  fail "dbbackup restore single exited with status $?"
restore_secs=$t_secs restore_rss=$t_rss_mb restore_cpu=$t_cpu

step "compare dbb_demo and dbb_demo_restored (psql and pg_dump only)"
result=PASS
if db_compare dbb_demo dbb_demo_restored "$work"; then
  tables=$(grep -c . "$work/dbb_demo.fingerprint" || true)
  echo "identical: row count and md5 of every row of every table, sequence values, every" \
       "large object's OID, owner, ACL, comment and content ($tables lines), pg_dump --schema-only"
else
  result=FAIL
fi

step "summary (1 MB = 10^6 bytes)"
rows=$(jq '.totals.rows' "$work/backup/manifest.json")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ram=$(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)
line() { printf '%-12s %s\n' "$1" "$2"; }
line machine "$(nproc) CPUs, $ram RAM, PostgreSQL $(pg_sql postgres 'SHOW server_version')"
objects=$(jq '.large_objects.count' "$work/backup/manifest.json")
line database "$(mb "$db_bytes") MB (pg_database_size), $rows rows, $objects large objects"
line backup "${backup_secs} s = $(mbps "$db_bytes" "$backup_secs") MB/s of database size;\
 peak RSS ${backup_rss} MB; CPU ${backup_cpu} s"
line "backup size" "$(mb "$backup_bytes") MB on disk (database / backup: \
$(ratio "$db_bytes" "$backup_bytes")); COPY data and large objects $(mb "$raw") MB stored in $(mb "$stored") MB:\
 compression ratio $(ratio "$raw" "$stored")"
line restore "${restore_secs} s = $(mbps "$db_bytes" "$restore_secs") MB/s of database size;\
 peak RSS ${restore_rss} MB; CPU ${restore_cpu} s"
line check "$result"
[ "$result" = PASS ] || exit 1
