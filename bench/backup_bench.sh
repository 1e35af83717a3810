#!/usr/bin/env bash
# Backup and restore of one database: dbbackup against pg_dump / pg_restore, in one run, on one
# generated database (scripts/sample-db.sh: half bytea files, half mixed tables, plus many small
# tables) in a throwaway PostgreSQL server (scripts/lib/pg.sh, default durability settings).
#
#   bash bench/backup_bench.sh [--size MB] [--out FILE.md] [--repeat N] [--jobs N]
#                              [--build DIR] [--no-verify] [--strict] [--keep] [--extra]
#                              [--dbb-args "ARGS"] [--small-tables N] [--rss-scale K]
#
#   --size MB          database size, MB = 10^6 bytes (default 1200)
#   --out FILE         also write the results as markdown to FILE
#   --repeat N         run each measured command N times (default 1) and report the median
#   --jobs N           connections / processes / threads for every tool (default 2)
#   --build DIR        dbbackup's build directory (default build/release; built here)
#   --no-verify        do not compare dbbackup's restored database with the original
#   --strict           exit 3 when a target below is missed (default: exit 0, FAIL printed)
#   --keep             keep the server's directory and the backups (prints where)
#   --extra            also measure dbbackup --compress-engine zstd and pg_dump -Fd -Z 1 (gzip 1)
#   --dbb-args "ARGS"  more arguments for every `dbbackup backup single` (e.g. "--chunk-size 256MB")
#   --small-tables N   scripts/sample-db.sh --small-tables N: N tables of 10-500 rows in schema
#                      `small`, inside the --size budget (default 1000, ~0.1 MB each)
#   --rss-scale K      afterwards, rebuild the database K times larger (--size x K, the same N small
#                      tables) and measure dbbackup backup and restore there again: peak RSS must
#                      not grow with the database (default 0: off)
#
# Measured (wall time and peak RSS with GNU time, each process of a pipeline separately):
#   raw COPY rate        every table's COPY ... TO STDOUT (FORMAT binary) > /dev/null, the tables
#                        split by size over N psql connections (scripts/lib/rawcopy.sh): what the
#                        server can send
#   dbbackup backup      dbbackup backup single -j N [ARGS]            (default: isa-l level 1)
#   pg_dump -Fd -j N     directory format                             (default: gzip level 6)
#   pg_dump -Fd -Z 0     directory format, uncompressed: pg_dump's own cost without compression
#   pg_dump | pigz       pg_dump -Fp | pigz -p N, then fsync          (pigz default: level 6)
#   pg_dump | zstd       pg_dump -Fp | zstd -1 -T N, then fsync
#   dbbackup restore     dbbackup restore single -j N --create
#   pg_restore -j N      of the pg_dump -Fd directory, into a database created just before (untimed)
# Targets (PASS/FAIL; --strict exits 3 on a FAIL):
#   dbbackup backup at least 5x as fast as pg_dump -Fd -j N; faster than pg_dump -Fd -j N -Z 0
#   and than pg_dump -Fp | zstd -1 -T N; at least 60% of the raw COPY rate (raw seconds / dbbackup
#   seconds >= 0.60); dbbackup restore at least 1.5x as fast as pg_restore -j N; dbbackup backup
#   and restore peak RSS under 200 MB; with --rss-scale K, at most 10% more RSS on the K x database.
# Where the time goes: for every command, the server's CPU seconds (utime + stime from /proc of the
# postmaster's children, plus what the postmaster collected from children that exited, before and
# after), the client's CPU seconds (GNU time: user + system of the process and its children), and
# what is left of nproc x wall seconds (idle, or other work on a shared host).
#
# Before each measured command: CHECKPOINT and sync. The page cache cannot be dropped here (no
# privilege in a VM or container), so every tool reads the database from the OS page cache (it
# is read once, untimed, before the first measurement; RAM must hold it). Peak RSS of `pg_dump -j`
# and `pg_restore -j` is their largest process (GNU time reports the largest of the process and its
# children, not their sum); dbbackup is one process.
# Environment: DBB_BENCH_DIR picks the disk for the server and the backups (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  awk '/^#   bash bench\//, 0 { if (/^# Measured/) exit; print }' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
size_mb=1200
out=
repeat=1
jobs=2
build=build/release
verify=1
strict=0
keep=0
extra=0
dbb_args=
small_tables=1000
rss_scale=0
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
args=$(bench_command_line "$@")  # the command line as typed, for the report
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
    --dbb-args) dbb_args=${2?}; shift 2 ;;
    --small-tables) small_tables=${2:?}; shift 2 ;;
    --rss-scale) rss_scale=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "backup_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$size_mb" "$repeat" "$jobs"; do
  case $n in
    '' | *[!0-9]* | 0) echo "backup_bench: expected a positive number, got '$n'" >&2; exit 2 ;;
  esac
done
for n in "$small_tables" "$rss_scale"; do
  case $n in
    '' | *[!0-9]*) echo "backup_bench: expected a whole number, got '$n'" >&2; exit 2 ;;
  esac
done
read -ra dbb_extra <<<"$dbb_args"
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi
for tool in /usr/bin/time pigz zstd jq; do
  command -v "$tool" >/dev/null ||
    { echo "backup_bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

dbbackup=$(bench_build "$build")

export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}
# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
# shellcheck source=scripts/lib/dbcompare.sh
source scripts/lib/dbcompare.sh
# shellcheck source=scripts/lib/rawcopy.sh
source scripts/lib/rawcopy.sh
work=$(mktemp -d "$TMPDIR/dbbackup-backup-bench.XXXXXX")
if [ "$keep" = 1 ]; then
  export PG_TMP_KEEP=1
  dbb_at_exit "echo 'backup_bench: kept $work'"
else
  dbb_at_exit "rm -rf '$work'"
fi
pg_tmp_start

read_db_once() {  # reads the server's files so that every tool finds them in the page cache
  echo "== reading the database once (untimed) so that every tool finds it in the page cache"
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
  else
    find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
  fi
}

echo "== sample database: $size_mb MB, $small_tables small tables"
bash scripts/sample-db.sh --small-tables "$small_tables" bench "$size_mb"
db_bytes=$(pg_sql postgres "SELECT pg_database_size('bench')")
n_tables=$(pg_sql bench "SELECT count(*) FROM pg_stat_user_tables")

cpus=$(nproc)
machine=$(bench_machine "$TMPDIR")
versions="$(bench_versions "$dbbackup"), $(pigz --version 2>&1 | head -1),"
versions+=" $(zstd --version | sed 's/^\*\** *//; s/,.*//')"
echo "== $machine"
echo "== $versions"
read_db_once

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

# The server's CPU: every process of the server is a child of the postmaster (pid: first line of
# postmaster.pid). A child that exits (a backend, at the end of its connection) takes its CPU
# time out of /proc, but the postmaster's cutime/cstime then hold it. So the server's total is
# the postmaster's utime + stime + cutime + cstime plus each live child's, in clock ticks.
clk_tck=$(getconf CLK_TCK)
postmaster_pid() { head -1 "$PG_TMP_DIR/data/postmaster.pid"; }
proc_stats() { { cat /proc/[0-9]*/stat 2>/dev/null || true; }; }  # processes come and go
server_ticks() {
  proc_stats | awk -v pm="$(postmaster_pid)" '
    { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
      # after "pid (comm) ": f[2] ppid, f[12] utime, f[13] stime, f[14] cutime, f[15] cstime
      if (pid == pm || f[2] == pm) t += f[12] + f[13] + f[14] + f[15] }
    END { printf "%d", t }'
}
server_children() { proc_stats | awk -v pm="$(postmaster_pid)" '
  { s = $0; sub(/^.*\) /, "", s); split(s, f, " "); if (f[2] == pm) n++ } END { print n + 0 }'; }
srv_begin() { _srv_children=$(server_children); _srv_ticks=$(server_ticks); }
srv_end() {  # srv_end NAME: the server's CPU seconds since srv_begin, recorded for NAME
  local i
  # the client has exited; its backends may still be finishing: wait (5 s at most) until the
  # postmaster has no more children than before, so their time is in its cutime
  for ((i = 0; i < 50; i++)); do
    [ "$(server_children)" -le "$_srv_children" ] && break
    sleep 0.1
  done
  srv_cpu[$1]=$(awk -v a="$_srv_ticks" -v b="$(server_ticks)" -v hz="$clk_tck" \
    'BEGIN { printf "%.1f", (b - a) / hz }')
}

declare -A secs rss cpu size srv_cpu
order=()
scale_order=()
scale=  # while measuring the K x database: " (Kx database)", recorded in scale_order
record() {  # record NAME SECONDS RSS_TEXT CPU_SECONDS SIZE_BYTES (SIZE may be "-")
  local name=$1
  if [ -z "${secs[$name]:-}" ]; then
    if [ -n "$scale" ]; then scale_order+=("$name"); else order+=("$name"); fi
  fi
  secs[$name]="${secs[$name]:-} $2"
  rss[$name]=$3
  cpu[$name]=$4
  size[$name]=$5
}

measure() {  # measure NAME RSS_NOTE OUTPUT|- CMD...: one command under GNU time, recorded
  local name=$1$scale note=$2 output=$3 bytes=-
  shift 3
  echo "-- $name"
  settle
  srv_begin
  gtime "$work/t-one" "$@" || failed "$name"
  srv_end "$name"
  [ "$output" = - ] || bytes=$(du -sb "$output" | cut -f1)
  record "$name" "$(tail -1 "$work/t-one" | cut -d' ' -f1)" \
    "$(kb_to_mb "$(rss_of "$work/t-one")")$note" "$(cpu_of "$work/t-one")" "$bytes"
  echo "   $(tail -1 "$work/t-one" | cut -d' ' -f1) s"
}

measure_pipe() {  # measure_pipe NAME COMPRESSOR...: pg_dump -Fp | COMPRESSOR > file, then fsync
  local name=$1 t
  shift
  echo "-- $name, then fsync"
  settle
  srv_begin
  t0=$(now)
  gtime "$work/t-plain" pg_dump -Fp bench |
    gtime "$work/t-compress" "$@" >"$work/pg_dump.sql.out" || failed "$name"
  sync "$work/pg_dump.sql.out"
  t=$(secs_between "$t0" "$(now)")
  srv_end "$name"
  record "$name" "$t" \
    "$(kb_to_mb "$(rss_of "$work/t-plain")") + $(kb_to_mb "$(rss_of "$work/t-compress")")" \
    "$(cpu_of "$work/t-plain" "$work/t-compress")" "$(stat -c %s "$work/pg_dump.sql.out")"
  rm -f "$work/pg_dump.sql.out"
  echo "   $t s"
}

name_raw="raw COPY rate ($jobs x psql > /dev/null)"
name_dbb="dbbackup backup -j $jobs${dbb_args:+ $dbb_args}"
name_fd="pg_dump -Fd -j $jobs"
name_z0="pg_dump -Fd -j $jobs -Z 0"
name_pigz="pg_dump -Fp | pigz -p $jobs"
name_zstd="pg_dump -Fp | zstd -1 -T$jobs"
name_dbb_restore="dbbackup restore -j $jobs"
name_pg_restore="pg_restore -j $jobs"

raw_copy_plan bench "$jobs" "$work"
load_before=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= repeat; r++)); do
  echo
  echo "== run $r of $repeat"
  rm -rf "$work/dbbackup" "$work/pg_dump-Fd" "$work/pg_dump-Fd-Z0"
  PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force bench_dbbackup
  PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force bench_pg_restore

  echo "-- raw COPY rate: $jobs psql connections, COPY (FORMAT binary) > /dev/null"
  settle
  rm -f "$work"/t-raw-*
  srv_begin
  t0=$(now)
  raw_copy_run bench "$work" "$work/t-raw" || failed "the raw COPY reference"
  t=$(secs_between "$t0" "$(now)")
  srv_end "$name_raw"
  peak=0
  for f in "$work"/t-raw-*; do
    k=$(rss_of "$f")
    if [ "$k" -gt "$peak" ]; then peak=$k; fi
  done
  record "$name_raw" "$t" "$(kb_to_mb "$peak") (each psql)" "$(cpu_of "$work"/t-raw-*)" -
  echo "   $t s"

  measure "$name_dbb" "" "$work/dbbackup" \
    "$dbbackup" backup single bench --dir "$work/dbbackup" -j "$jobs" "${dbb_extra[@]}"
  measure "$name_fd" " (largest process)" "$work/pg_dump-Fd" \
    pg_dump -Fd -j "$jobs" -f "$work/pg_dump-Fd" bench
  measure "$name_z0" " (largest process)" "$work/pg_dump-Fd-Z0" \
    pg_dump -Fd -j "$jobs" -Z 0 -f "$work/pg_dump-Fd-Z0" bench
  rm -rf "$work/pg_dump-Fd-Z0"
  measure_pipe "$name_pigz" pigz -p "$jobs"
  measure_pipe "$name_zstd" zstd -q -1 -T"$jobs" -c

  if [ "$extra" = 1 ]; then
    measure "dbbackup backup -j $jobs --compress-engine zstd${dbb_args:+ $dbb_args}" "" \
      "$work/extra" "$dbbackup" backup single bench --dir "$work/extra" -j "$jobs" \
      --compress-engine zstd "${dbb_extra[@]}"
    rm -rf "$work/extra"
    measure "pg_dump -Fd -j $jobs -Z 1" " (largest process)" "$work/extra" \
      pg_dump -Fd -j "$jobs" -Z 1 -f "$work/extra" bench
    rm -rf "$work/extra"
  fi

  measure "$name_dbb_restore" "" - \
    "$dbbackup" restore single "$work/dbbackup" -d bench_dbbackup --create -j "$jobs"
  createdb bench_pg_restore  # pg_restore needs it; not timed
  measure "$name_pg_restore" " (largest process)" - \
    pg_restore -j "$jobs" -d bench_pg_restore "$work/pg_dump-Fd"
done

load_after=$(cut -d' ' -f1 /proc/loadavg)
copy_bytes=$(jq -r '.totals.raw_bytes // empty' "$work/dbbackup/manifest.json")
stored_bytes=$(jq -r '.totals.stored_bytes // empty' "$work/dbbackup/manifest.json")
n_files=$(find "$work/dbbackup" -type f | wc -l)

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

# ---- the same dbbackup commands on a K times larger database: does the memory stay flat?
scale_bytes=
if [ "$rss_scale" -gt 0 ]; then
  echo
  echo "== RSS scale: the database ${rss_scale}x larger ($((size_mb * rss_scale)) MB)"
  rm -rf "$work/dbbackup" "$work/pg_dump-Fd"
  for db in bench bench_dbbackup bench_pg_restore; do
    PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force "$db"
  done
  bash scripts/sample-db.sh --small-tables "$small_tables" bench "$((size_mb * rss_scale))"
  scale_bytes=$(pg_sql postgres "SELECT pg_database_size('bench')")
  read_db_once
  scale=" (${rss_scale}x database)"
  measure "$name_dbb" "" "$work/dbbackup" \
    "$dbbackup" backup single bench --dir "$work/dbbackup" -j "$jobs" "${dbb_extra[@]}"
  measure "$name_dbb_restore" "" - \
    "$dbbackup" restore single "$work/dbbackup" -d bench_dbbackup --create -j "$jobs"
  rm -rf "$work/dbbackup"
  scale=
fi

# ---- report
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
  printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
# shellcheck disable=SC2317  # called through target()
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }  # a >= b, as numbers
# shellcheck disable=SC2317  # called through target()
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }  # a < b, as numbers
md() { printf '%s' "${1//|/\\|}"; }  # a table cell: escape the pipes
med() { median <<<"${secs[$1]}"; }
ref_backup=$(med "$name_fd")
ref_restore=$(med "$name_pg_restore")
t_raw=$(med "$name_raw")
table="| what | seconds | x as fast as pg_dump -Fd / pg_restore -j $jobs | MB/s of database"
table+=" | of the raw COPY rate | peak RSS MB | client CPU s | output MB |"
table+=$'\n'"|---|---|---|---|---|---|---|---|"
for name in "${order[@]}"; do
  t=$(med "$name")
  of_raw=-
  case $name in
    *restore*) ref=$ref_restore ;;
    *) ref=$ref_backup; of_raw=$(ratio "$t_raw" "$t") ;;
  esac
  all=
  [ "$repeat" -gt 1 ] && all=" (runs:${secs[$name]})"
  table+=$'\n'"| $(md "$name") | $t$all | $(ratio "$ref" "$t")x |"
  table+=" $(mb_of "$(ratio "$db_bytes" "$t")") | $of_raw |"
  table+=" ${rss[$name]} | ${cpu[$name]} |"
  if [ "${size[$name]}" = - ]; then table+=" - |"; else table+=" $(mb_of "${size[$name]}") |"; fi
done

# where the time goes (the last run of each command)
cpu_table="| what | wall s | server CPU s | client CPU s | CPU available ($cpus x wall) s"
cpu_table+=" | idle or other s |"$'\n'"|---|---|---|---|---|---|"
for name in "${order[@]}" "${scale_order[@]}"; do
  t=$(awk '{ print $NF }' <<<"${secs[$name]}")
  cpu_table+=$'\n'"| $(md "$name") | $t | ${srv_cpu[$name]} | ${cpu[$name]} |"
  cpu_table+=$(awk -v t="$t" -v n="$cpus" -v s="${srv_cpu[$name]}" -v c="${cpu[$name]}" \
    'BEGIN { a = t * n; i = a - s - c
             printf " %.1f | %.1f (%.0f%%) |", a, i, (a > 0 ? 100 * i / a : 0) }')
done

target() {  # target TEXT CMD...: one line "- PASS: TEXT" or "- FAIL: TEXT"
  local text=$1
  shift
  if "$@"; then echo "- PASS: $text"; else echo "- FAIL: $text"; fi
}
t_dbb=$(med "$name_dbb")
t_dbb_restore=$(med "$name_dbb_restore")
t_z0=$(med "$name_z0")
t_zstd=$(med "$name_zstd")
speedup=$(ratio "$ref_backup" "$t_dbb")
restore_speedup=$(ratio "$ref_restore" "$t_dbb_restore")
of_raw=$(ratio "$t_raw" "$t_dbb")
rss_dbb=${rss[$name_dbb]}
rss_dbb_restore=${rss[$name_dbb_restore]}
targets=$(
  target "dbbackup backup ${speedup}x as fast as pg_dump -Fd -j $jobs (target: at least 5x)" \
    at_least "$speedup" 5
  target "dbbackup backup $t_dbb s vs pg_dump -Fd -j $jobs -Z 0 $t_z0 s (target: faster)" \
    below "$t_dbb" "$t_z0"
  target "dbbackup backup $t_dbb s vs pg_dump -Fp | zstd -1 -T$jobs $t_zstd s (target: faster)" \
    below "$t_dbb" "$t_zstd"
  target "dbbackup backup at $of_raw of the raw COPY rate ($t_raw s / $t_dbb s; target: at\
 least 0.60)" at_least "$of_raw" 0.6
  target "dbbackup restore ${restore_speedup}x as fast as pg_restore -j $jobs (target: at least\
 1.5x)" at_least "$restore_speedup" 1.5
  target "dbbackup backup peak RSS $rss_dbb MB (target: under 200 MB)" below "$rss_dbb" 200
  target "dbbackup restore peak RSS $rss_dbb_restore MB (target: under 200 MB)" \
    below "$rss_dbb_restore" 200
)
scale_section=
if [ "$rss_scale" -gt 0 ]; then
  scale_table="| command | database MB | seconds | peak RSS MB |"$'\n'"|---|---|---|---|"
  for name in "$name_dbb" "$name_dbb_restore"; do
    s_name="$name (${rss_scale}x database)"
    scale_table+=$'\n'"| $(md "$name") | $(mb_of "$db_bytes") | $(med "$name") | ${rss[$name]} |"
    scale_table+=$'\n'"| $(md "$s_name") | $(mb_of "$scale_bytes") | $(med "$s_name") |"
    scale_table+=" ${rss[$s_name]} |"
    targets+=$'\n'$(target "$name: peak RSS ${rss[$s_name]} MB on the ${rss_scale}x database vs\
 ${rss[$name]} MB (target: at most 10% more)" \
      at_least "$(awk -v b="${rss[$name]}" 'BEGIN { print 1.10 * b }')" "${rss[$s_name]}")
  done
  scale_section="
### Peak RSS against database size (--rss-scale $rss_scale)

$scale_table
"
fi
misses=0
case $targets in *"- FAIL"*) misses=1 ;; esac

stored_line="$(mb_of "${copy_bytes:-0}") MB of COPY BINARY data; dbbackup stored it in\
 $(mb_of "${stored_bytes:-0}") MB (ratio $(ratio "${copy_bytes:-0}" "${stored_bytes:-1}")),\
 $n_files files"
[ -n "$copy_bytes" ] && [ -n "$stored_bytes" ] ||
  stored_line="dbbackup wrote $n_files files (manifest.json has no totals)"

median_note=
last_note=
if [ "$repeat" -gt 1 ]; then median_note=", median shown"; last_note=" (last run)"; fi
report="## Backup and restore: dbbackup vs pg_dump / pg_restore

Command: \`bash bench/backup_bench.sh $args\` ($(date -u +%Y-%m-%d))

- Machine: $machine
- Versions: $versions
- Database: $(mb_of "$db_bytes") MB (pg_database_size; scripts/sample-db.sh, half bytea files,\
 half mixed tables, $small_tables small tables; $n_tables tables in all), $stored_line
- Compression: dbbackup default (isa-l level 1)${dbb_args:+, dbbackup arguments: \`$dbb_args\`},\
 pg_dump -Fd default (gzip level 6), pigz default (level 6), zstd level 1
- Each command run $repeat time(s)$median_note; CHECKPOINT\
 and sync before each; the page cache cannot be dropped here, so all tools read a cached database
- MB = 10^6 bytes; peak RSS and client CPU (user + system) from GNU time: for pg_dump -j /\
 pg_restore -j the largest process's RSS and the CPU of all, for a pipeline each process's RSS\
 and the CPU of all; \"of the raw COPY rate\" is raw COPY seconds / the command's seconds
- Load average (1 min) before the first and after the last measurement: $load_before /\
 $load_after (on a shared host, other work slows every tool)
${verdict:+- Check: $verdict}

$table

### Where the time goes$last_note

Server CPU: the PostgreSQL server's processes (/proc, user + system, backends that exited\
 included); client CPU: the command's processes (GNU time); the rest of $cpus CPUs x wall seconds\
 was idle (waiting on I/O or on each other) or used by other work on the host.

$cpu_table
$scale_section
### Targets

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
