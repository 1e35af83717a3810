#!/usr/bin/env bash
# Backup and restore of one database: dbbackup against pg_dump / pg_restore, in one run, on one
# generated database (scripts/sample-db.sh: half bytea files, half mixed tables) in a throwaway
# PostgreSQL server (scripts/lib/pg.sh, default durability settings).
#
#   bash bench/backup_bench.sh [--size MB] [--out FILE.md] [--repeat N] [--jobs N]
#                              [--build DIR] [--no-verify] [--strict] [--keep] [--extra]
#
#   --size MB      database size, MB = 10^6 bytes (default 1200)
#   --out FILE     also write the results as a markdown table to FILE
#   --repeat N     run each measured command N times (default 1) and report the median
#   --jobs N       connections / processes for every tool (default 2)
#   --build DIR    dbbackup's build directory (default build/release; built here)
#   --no-verify    do not compare dbbackup's restored database with the original
#   --strict       exit 3 when a target below is missed (default: exit 0, FAIL printed)
#   --keep         keep the server's directory and the backups (prints where)
#   --extra        also measure dbbackup --compress-engine zstd and pg_dump -Fd -Z 1 (gzip level 1)
#
# Measured (wall time and peak RSS with GNU time, each process of a pipeline separately):
#   raw COPY rate     every table's COPY ... TO STDOUT (FORMAT binary) > /dev/null, the tables
#                     split by size over N psql connections: what the server can send
#   dbbackup backup   dbbackup backup single -j N                  (default: isa-l level 1)
#   pg_dump -Fd -j N  directory format                             (default: gzip level 6)
#   pg_dump | pigz    pg_dump -Fp | pigz -p N, then fsync          (pigz default: level 6)
#   dbbackup restore  dbbackup restore single -j N --create
#   pg_restore -j N   of the pg_dump -Fd directory, into a database created just before (untimed)
# Targets: dbbackup backup at least 3x faster than pg_dump -Fd -j N, peak RSS under 200 MB.
#
# Before each measured command: CHECKPOINT and sync. The page cache cannot be dropped here (no
# privilege in a VM or container), so every tool reads the database from the OS page cache (it
# is read once, untimed, before the first measurement; RAM must hold it). The server's own CPU
# and memory are not in the figures: they are the same work for every tool. Peak RSS of
# `pg_dump -j` and `pg_restore -j` is their largest process (GNU time reports the largest of the
# process and its children, not their sum); dbbackup is one process.
# Environment: DBB_BENCH_DIR picks the disk for the server and the backups (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
size_mb=1200
out=
repeat=1
jobs=2
build=build/release
verify=1
strict=0
keep=0
extra=0
args="$*"
while [ $# -gt 0 ]; do
  case $1 in
    --size) size_mb=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --repeat) repeat=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --no-verify) verify=0; shift ;;
    --strict) strict=1; shift ;;
    --keep) keep=1; shift ;;
    --extra) extra=1; shift ;;
    -h|--help) usage ;;
    *) echo "backup_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$size_mb" "$repeat" "$jobs"; do
  case $n in
    '' | *[!0-9]* | 0) echo "backup_bench: expected a positive number, got '$n'" >&2; exit 2 ;;
  esac
done
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi
for tool in /usr/bin/time pigz jq; do
  command -v "$tool" >/dev/null ||
    { echo "backup_bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

echo "== build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target dbbackup | tail -1
dbbackup=$(realpath "$build/src/app/dbbackup")

export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}
# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
# shellcheck source=scripts/lib/dbcompare.sh
source scripts/lib/dbcompare.sh
work=$(mktemp -d "$TMPDIR/dbbackup-backup-bench.XXXXXX")
if [ "$keep" = 1 ]; then
  export PG_TMP_KEEP=1
  dbb_at_exit "echo 'backup_bench: kept $work'"
else
  dbb_at_exit "rm -rf '$work'"
fi
pg_tmp_start

echo "== sample database: $size_mb MB"
bash scripts/sample-db.sh bench "$size_mb"
db_bytes=$(pg_sql postgres "SELECT pg_database_size('bench')")

machine="$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
machine+=" $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo) RAM,"
machine+=" disk $(df -P "$TMPDIR" | awk 'NR == 2 { print $1 }') ($TMPDIR), kernel $(uname -r)"
versions="PostgreSQL $(pg_sql postgres 'SHOW server_version'), $(pg_dump --version | head -1),"
versions+=" $(pigz --version 2>&1 | head -1), $("$dbbackup" --version | head -1)"
echo "== $machine"
echo "== $versions"

echo "== reading the database once (untimed) so that every tool finds it in the page cache"
if [ "$(id -u)" -eq 0 ]; then
  runuser -u postgres -- find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
else
  find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
fi

# ---- measuring
settle() { pg_sql postgres CHECKPOINT; sync; }
now() { date +%s.%N; }
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
# gtime FILE CMD...: GNU time into FILE ("seconds peak_kb user_s sys_s"); the last line counts
# (GNU time writes a line about the exit status before it when the command fails)
gtime() { local f=$1; shift; /usr/bin/time -f '%e %M %U %S' -o "$f" "$@"; }
rss_of() { tail -1 "$1" | cut -d' ' -f2; }
cpu_of() {  # cpu_of FILE...: user + system seconds of the processes, summed
  local f
  for f in "$@"; do tail -1 "$f"; done | awk '{ s += $3 + $4 } END { printf "%.1f", s }'
}
failed() { echo "backup_bench: $1 failed; see above" >&2; exit 1; }

declare -A secs rss cpu size
order=()
record() {  # record NAME SECONDS RSS_TEXT CPU_SECONDS SIZE_BYTES (SIZE may be "-")
  local name=$1
  [ -n "${secs[$name]:-}" ] || order+=("$name")
  secs[$name]="${secs[$name]:-} $2"
  rss[$name]=$3
  cpu[$name]=$4
  size[$name]=$5
}

measure() {  # measure NAME RSS_NOTE OUTPUT|- CMD...: one command under GNU time, recorded
  local name=$1 note=$2 output=$3 bytes=-
  shift 3
  echo "-- $name"
  settle
  gtime "$work/t-one" "$@" || failed "$name"
  [ "$output" = - ] || bytes=$(du -sb "$output" | cut -f1)
  record "$name" "$(tail -1 "$work/t-one" | cut -d' ' -f1)" \
    "$(kb_to_mb "$(rss_of "$work/t-one")")$note" "$(cpu_of "$work/t-one")" "$bytes"
  echo "   $(tail -1 "$work/t-one" | cut -d' ' -f1) s"
}

# Tables for the raw reference, largest first, dealt out to the connection that has the
# fewest bytes so far.
pg_sql bench "
  SELECT format('%I.%I', n.nspname, c.relname), pg_table_size(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  ORDER BY 2 DESC" | awk -F'|' -v n="$jobs" -v dir="$work" '
  { best = 0
    for (i = 1; i < n; i++) if (load[i] < load[best]) best = i
    load[best] += $2
    printf "COPY %s TO STDOUT (FORMAT binary);\n", $1 > (dir "/raw-" best ".sql") }'

load_before=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= repeat; r++)); do
  echo
  echo "== run $r of $repeat"
  rm -rf "$work/dbbackup" "$work/pg_dump-Fd" "$work/pg_dump.sql.gz"
  PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force bench_dbbackup
  PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force bench_pg_restore

  echo "-- raw COPY rate: $jobs psql connections, COPY (FORMAT binary) > /dev/null"
  settle
  t0=$(now)
  pids=()
  for ((i = 0; i < jobs; i++)); do
    [ -f "$work/raw-$i.sql" ] || continue
    gtime "$work/t-raw-$i" psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/raw-$i.sql" \
      >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed "the raw COPY reference"; done
  t=$(secs_between "$t0" "$(now)")
  peak=0
  for ((i = 0; i < jobs; i++)); do
    [ -f "$work/t-raw-$i" ] || continue
    k=$(rss_of "$work/t-raw-$i")
    if [ "$k" -gt "$peak" ]; then peak=$k; fi
  done
  record "raw COPY rate ($jobs x psql > /dev/null)" "$t" "$(kb_to_mb "$peak") (each psql)" \
    "$(cpu_of "$work"/t-raw-*)" -
  echo "   $t s"

  measure "dbbackup backup -j $jobs" "" "$work/dbbackup" \
    "$dbbackup" backup single bench --dir "$work/dbbackup" -j "$jobs"
  measure "pg_dump -Fd -j $jobs" " (largest process)" "$work/pg_dump-Fd" \
    pg_dump -Fd -j "$jobs" -f "$work/pg_dump-Fd" bench

  echo "-- pg_dump -Fp | pigz -p $jobs, then fsync"
  settle
  t0=$(now)
  gtime "$work/t-plain" pg_dump -Fp bench |
    gtime "$work/t-pigz" pigz -p "$jobs" >"$work/pg_dump.sql.gz" || failed "pg_dump | pigz"
  sync "$work/pg_dump.sql.gz"
  t=$(secs_between "$t0" "$(now)")
  record "pg_dump -Fp | pigz -p $jobs" "$t" \
    "$(kb_to_mb "$(rss_of "$work/t-plain")") + $(kb_to_mb "$(rss_of "$work/t-pigz")")" \
    "$(cpu_of "$work/t-plain" "$work/t-pigz")" "$(stat -c %s "$work/pg_dump.sql.gz")"
  rm -f "$work/pg_dump.sql.gz"
  echo "   $t s"

  if [ "$extra" = 1 ]; then
    measure "dbbackup backup -j $jobs --compress-engine zstd" "" "$work/extra" \
      "$dbbackup" backup single bench --dir "$work/extra" -j "$jobs" --compress-engine zstd
    rm -rf "$work/extra"
    measure "pg_dump -Fd -j $jobs -Z 1" " (largest process)" "$work/extra" \
      pg_dump -Fd -j "$jobs" -Z 1 -f "$work/extra" bench
    rm -rf "$work/extra"
  fi

  measure "dbbackup restore -j $jobs" "" - \
    "$dbbackup" restore single "$work/dbbackup" -d bench_dbbackup --create -j "$jobs"
  createdb bench_pg_restore  # pg_restore needs it; not timed
  measure "pg_restore -j $jobs" " (largest process)" - \
    pg_restore -j "$jobs" -d bench_pg_restore "$work/pg_dump-Fd"
done

load_after=$(cut -d' ' -f1 /proc/loadavg)
copy_bytes=$(jq '.totals.raw_bytes' "$work/dbbackup/manifest.json")
stored_bytes=$(jq '.totals.stored_bytes' "$work/dbbackup/manifest.json")

verdict=
if [ "$verify" = 1 ]; then
  echo
  echo "== verify: bench vs bench_dbbackup (row md5s, sequences, pg_dump --schema-only)"
  if db_compare bench bench_dbbackup "$work"; then
    verdict="dbbackup's restored database is identical to the original"
    verdict+=" (md5 of every row, sequences, pg_dump --schema-only)"
  else
    verdict="dbbackup's restored database DIFFERS from the original"
  fi
  echo "$verdict"
fi

# ---- report
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
  printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
ref_backup=$(median <<<"${secs["pg_dump -Fd -j $jobs"]}")
ref_restore=$(median <<<"${secs["pg_restore -j $jobs"]}")
table="| what | seconds | x as fast as pg_dump -Fd / pg_restore -j $jobs | MB/s of database"
table+=" | peak RSS MB | client CPU s | output MB |"$'\n'"|---|---|---|---|---|---|---|"
for name in "${order[@]}"; do
  t=$(median <<<"${secs[$name]}")
  case $name in *restore*) ref=$ref_restore ;; *) ref=$ref_backup ;; esac
  all=
  [ "$repeat" -gt 1 ] && all=" (runs:${secs[$name]})"
  table+=$'\n'"| ${name//|/\\|} | $t$all | $(ratio "$ref" "$t")x |"
  table+=" $(mb_of "$(ratio "$db_bytes" "$t")") |"
  table+=" ${rss[$name]} | ${cpu[$name]} |"
  if [ "${size[$name]}" = - ]; then table+=" - |"; else table+=" $(mb_of "${size[$name]}") |"; fi
done

t_dbb=$(median <<<"${secs["dbbackup backup -j $jobs"]}")
speedup=$(ratio "$ref_backup" "$t_dbb")
rss_dbb=${rss["dbbackup backup -j $jobs"]}
misses=0
speed_ok=PASS
awk -v s="$speedup" 'BEGIN { exit !(s >= 3) }' || { speed_ok=FAIL; misses=1; }
if [ "$rss_dbb" -lt 200 ]; then rss_ok=PASS; else rss_ok=FAIL; misses=1; fi
targets="- $speed_ok: dbbackup backup ${speedup}x as fast as pg_dump -Fd -j $jobs (target: at least\
 3x)
- $rss_ok: dbbackup backup peak RSS $rss_dbb MB (target: under 200 MB)"

report="## Backup and restore: dbbackup vs pg_dump / pg_restore

Command: \`bash bench/backup_bench.sh $args\` ($(date -u +%Y-%m-%d))

- Machine: $machine
- Versions: $versions
- Database: $(mb_of "$db_bytes") MB (pg_database_size; scripts/sample-db.sh, half bytea files,\
 half mixed tables), $(mb_of "$copy_bytes") MB of COPY BINARY data; dbbackup stored it in\
 $(mb_of "$stored_bytes") MB (ratio $(ratio "$copy_bytes" "$stored_bytes"))
- Compression: dbbackup default (isa-l level 1), pg_dump -Fd default (gzip level 6), pigz default\
 (level 6)
- Each command run $repeat time(s)$( [ "$repeat" -gt 1 ] && echo ", median shown" ); CHECKPOINT\
 and sync before each; the page cache cannot be dropped here, so all tools read a cached database
- MB = 10^6 bytes; peak RSS and client CPU (user + system) from GNU time: for pg_dump -j /\
 pg_restore -j the largest process's RSS and the CPU of all, for a pipeline each process's RSS\
 and the CPU of all; the server's CPU is not counted
- Load average (1 min) before the first and after the last measurement: $load_before /\
 $load_after (on a shared host, other work slows every tool)
$( [ -n "$verdict" ] && echo "- Check: $verdict" )

$table

$targets"
echo
echo "$report"
if [ -n "$out" ]; then
  echo "$report" >"$out"
  echo
  echo "backup_bench: wrote $out"
fi
case $verdict in *DIFFERS*) exit 1 ;; esac
[ "$strict" = 1 ] && [ "$misses" = 1 ] && exit 3
exit 0
