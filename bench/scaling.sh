#!/usr/bin/env bash
# Scaling with connections: dbbackup backup single -j J against pg_dump -Fd -j J and against the
# raw COPY rate over J connections, for each J, on one generated database (scripts/sample-db.sh,
# 1000 small tables). Made for the 16-core benchmark machine, which has no PostgreSQL and no
# network: --bundle DIR uses the PostgreSQL 15 of a bundle made by ../shared/tools/pg-bundle.sh
# (and the dbbackup inside it); without it, a throwaway local server (scripts/lib/pg.sh) and a
# dbbackup built here.
#
# On the benchmark machine, through the device `run` tool (it copies this checkout there; git-
# ignored paths such as build/ travel only when named in `carry`), from the checkout root:
#   1. here, once (pigz and zstd ride along in the bundle where installed, and GNU time, for
#      dbbackup's peak RSS):
#        cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBB_BUILD_TESTS=OFF
#        cmake --build build/release --target dbbackup
#        bash ../shared/tools/pg-bundle.sh build/pgb.tar.xz build/release/src/app/dbbackup \
#          $(command -v pigz zstd) /usr/bin/time
#   2. there: run with carry ["build/pgb.tar.xz"], timeout_s 600, command:
#        mkdir -p /tmp/pgb && tar -xJf build/pgb.tar.xz -C /tmp/pgb && . /tmp/pgb/env.sh &&
#        bash bench/scaling.sh --bundle /tmp/pgb --size 2000 --jobs "1 2 4 8 16" \
#          --out "$OUT/scaling.md"
#      (the markdown comes back from $OUT; the table so far is rewritten after every J, and
#      --budget-s keeps the whole run inside the command's 600 s; a later call on the still warm
#      machine reuses the generated database, so a second call can measure more J values)
#
#   bash bench/scaling.sh [--bundle DIR] [--size MB] [--jobs "1 2 4 8 16"] [--dbb-args "ARGS"]
#                         [--out FILE.md] [--budget-s 480] [--small-tables N] [--port PORT]
#                         [--dbbackup PATH] [--build DIR]
#
#   --bundle DIR       the unpacked bundle: sources DIR/env.sh, starts its server (pgb_start PORT)
#                      unless one answers on PORT, stops it at the end if it started it
#   --size MB          database size, MB = 10^6 bytes (default 2000)
#   --jobs "LIST"      the values of J (default "1 2 4 8 16")
#   --dbb-args "ARGS"  more arguments for every `dbbackup backup single` (e.g. "--chunk-size 256MB")
#   --out FILE         also write the results as markdown to FILE (after every J, and at the end)
#   --budget-s N       wall-clock budget of the whole script, generation included (default 480):
#                      a measurement that would end past it (elapsed + its last duration at a
#                      smaller J) is skipped, one that runs past it is stopped; what was measured
#                      is still reported
#   --small-tables N   scripts/sample-db.sh --small-tables (default 1000)
#   --port PORT        the bundle's server port (default: PGPORT, else 5432)
#   --dbbackup PATH    the dbbackup to measure (default: the bundle's, else built in --build DIR)
#   --build DIR        without --bundle or --dbbackup: build dbbackup there (default build/release)
#
# Per J, each into a fresh directory that is removed after measuring (the disk is 64 GB):
# CHECKPOINT and sync, then the raw COPY rate (scripts/lib/rawcopy.sh: every table's COPY ... TO
# STDOUT (FORMAT binary) > /dev/null, the tables dealt largest first to J psql sessions), then
# dbbackup backup single -j J, then pg_dump -Fd -j J (gzip level 6, its default). The database is
# read once before (page cache). With --bundle, a database "bench" left by an earlier run of the
# same --size and --small-tables is reused (the bundle's data directory is /tmp/pgb-data).
# Environment: DBB_BENCH_DIR picks the disk for the backups and the local server (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

now() { date +%s.%N; }
start_s=$(now)
usage() {
  awk '/^#   bash bench\//, 0 { if (/^# Per J/) exit; print }' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
bundle=
size_mb=2000
jobs_list="1 2 4 8 16"
dbb_args=
out=
budget_s=480
small_tables=1000
port=
dbbackup=
build=build/release
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
args=$(bench_command_line "$@")  # the command line as typed, for the report
while [ $# -gt 0 ]; do
  case $1 in
    --bundle) bundle=${2:?}; shift 2 ;;
    --size) size_mb=${2:?}; shift 2 ;;
    --jobs) jobs_list=${2:?}; shift 2 ;;
    --dbb-args) dbb_args=${2?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --budget-s) budget_s=${2:?}; shift 2 ;;
    --small-tables) small_tables=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --dbbackup) dbbackup=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "scaling: unknown argument '$1'" >&2; usage ;;
  esac
done
read -ra jobs <<<"$jobs_list"
read -ra dbb_extra <<<"$dbb_args"
[ "${#jobs[@]}" -gt 0 ] || { echo "scaling: --jobs needs at least one value" >&2; exit 2; }
for n in "$size_mb" "$budget_s" "${jobs[@]}"; do
  case $n in
    '' | *[!0-9]* | 0) echo "scaling: expected a positive number, got '$n'" >&2; exit 2 ;;
  esac
done
case $small_tables in
  '' | *[!0-9]*) echo "scaling: expected a whole number, got '$small_tables'" >&2; exit 2 ;;
esac
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi

# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh  # dbb_at_exit and pg_sql; its server only without --bundle
# shellcheck source=scripts/lib/rawcopy.sh
source scripts/lib/rawcopy.sh
export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}

# ---- dbbackup and the server
if [ -n "$bundle" ]; then
  [ -f "$bundle/env.sh" ] || { echo "scaling: $bundle/env.sh not found" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$bundle/env.sh"
  if [ -z "$dbbackup" ]; then
    dbbackup=$(command -v dbbackup) ||
      { echo "scaling: no dbbackup in the bundle (pass --dbbackup PATH)" >&2; exit 1; }
  fi
  export PGPORT=${port:-${PGPORT:-5432}}
  if pg_isready -q; then
    echo "== using the server that answers on $PGHOST port $PGPORT"
  else
    echo "== starting the bundle's server (port $PGPORT)"
    pgb_start "$PGPORT"
    dbb_at_exit "pgb pg_ctl -D /tmp/pgb-data -m fast -w stop >/dev/null"
  fi
else
  if [ -z "$dbbackup" ]; then
    dbbackup=$(bench_build "$build")
  fi
  pg_tmp_start
fi
dbbackup=$(realpath "$dbbackup")
# GNU time for dbbackup's peak RSS, where there is one (the bundle may carry it)
gnu_time=
for t in /usr/bin/time "$(type -P time || true)"; do
  if [ -n "$t" ] && [ -x "$t" ] && "$t" -f '%M' -o /dev/null true 2>/dev/null; then
    gnu_time=$t
    break
  fi
done
work=$(mktemp -d "$TMPDIR/dbbackup-scaling.XXXXXX")
dbb_at_exit "rm -rf '$work'"

# ---- the database
db=bench
want="scaling.sh: sample-db $size_mb MB, $small_tables small tables"
have=$(pg_sql postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database
                        WHERE datname = '$db'")
if [ "$have" = "$want" ]; then
  echo "== reusing database $db ($want)"
else
  echo "== sample database: $size_mb MB, $small_tables small tables"
  bash scripts/sample-db.sh --replace --small-tables "$small_tables" "$db" "$size_mb"
  pg_sql postgres "COMMENT ON DATABASE $db IS '$want'"
fi
db_bytes=$(pg_sql postgres "SELECT pg_database_size('$db')")
n_tables=$(pg_sql "$db" "SELECT count(*) FROM pg_stat_user_tables")
echo "== reading the database once (untimed), so that every tool finds it in the page cache"
find "$(pg_sql postgres 'SHOW data_directory')/base" -type f -exec cat {} + >/dev/null

machine=$(bench_machine "$TMPDIR")
versions=$(bench_versions "$dbbackup")
echo "== $machine"
echo "== $versions"

# ---- measuring
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
settle() { pg_sql postgres CHECKPOINT; sync; }
declare -A last  # KIND -> seconds of its last measurement, the estimate for the next
skipped=()
stopped=()
left=  # set by fits: whole seconds left in the budget
fits() {  # fits WHAT KIND: true when it may run; else says that it is skipped
  local what=$1 kind=$2 elapsed est
  elapsed=$(secs_since "$start_s")
  est=${last[$kind]:-0}
  if awk -v e="$elapsed" -v x="$est" -v b="$budget_s" 'BEGIN { exit !(e + x < b) }'; then
    left=$(awk -v e="$elapsed" -v b="$budget_s" 'BEGIN { l = int(b - e); print (l < 1 ? 1 : l) }')
    return 0
  fi
  echo "-- skipped $what: $elapsed s elapsed + ~$est s (its last run) > --budget-s $budget_s"
  skipped+=("$what")
  return 1
}
cell=  # set by outcome: the table cell of a measurement
outcome() {  # outcome WHAT KIND RC SECONDS: cell = the seconds, or "stopped"; exits on an error
  case $3 in
    0) cell=$4; last[$2]=$4; echo "   $4 s" ;;
    124 | 137) cell="stopped (budget)"; stopped+=("$1 after $4 s")
      echo "-- stopped $1 after $4 s: the budget (--budget-s $budget_s) ran out" ;;
    *) echo "scaling: $1 failed (exit $3); see above" >&2; exit 1 ;;
  esac
}
number() { case $1 in '' | *[!0-9.]*) return 1 ;; esac; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }

declare -A raw_s dbb_s fd_s dbb_rss
table_rows=
row_of() {  # row_of J: one markdown row
  local j=$1 r=${raw_s[$1]} d=${dbb_s[$1]} f=${fd_s[$1]} rate=- speedup=- of_raw=-
  if number "$d"; then
    rate=$(mb_of "$(ratio "$db_bytes" "$d")")
    number "$f" && speedup="$(ratio "$f" "$d")x"
    number "$r" && of_raw=$(ratio "$r" "$d")
  fi
  echo "| $j | $r | $d | $f | $rate | $speedup | $of_raw | ${dbb_rss[$j]} |"
}
joined() { local IFS=';'; printf '%s' "$*" | sed 's/;/; /g'; }
report() {  # the markdown report of what was measured so far
  local notes=
  [ "${#skipped[@]}" -eq 0 ] || notes+=$'\n'"- Skipped (budget): $(joined "${skipped[@]}")"
  [ "${#stopped[@]}" -eq 0 ] || notes+=$'\n'"- Stopped (budget): $(joined "${stopped[@]}")"
  cat <<EOF
## Scaling with connections: dbbackup vs pg_dump -Fd and the raw COPY rate

Command: \`bash bench/scaling.sh $args\` ($(date -u +%Y-%m-%d))

- Machine: $machine
- Versions: $versions
- Database: $(mb_of "$db_bytes") MB (pg_database_size; scripts/sample-db.sh, $small_tables small\
 tables, $n_tables tables in all), read once before (page cache); CHECKPOINT and sync before each\
 command
- dbbackup: default compression (isa-l level 1)${dbb_args:+, arguments \`$dbb_args\`}; pg_dump -Fd:\
 default (gzip level 6); raw COPY: COPY (FORMAT binary) > /dev/null over J psql sessions
- MB = 10^6 bytes; MB/s of database = pg_database_size / dbbackup seconds; speedup = pg_dump\
 seconds / dbbackup seconds; of raw = raw COPY seconds / dbbackup seconds
- Elapsed: $(secs_since "$start_s") s of a --budget-s $budget_s budget$notes

| J | raw COPY s | dbbackup s | pg_dump -Fd s | dbbackup MB/s | speedup vs pg_dump |\
 of raw COPY rate | dbbackup peak RSS MB |
|---|---|---|---|---|---|---|---|$table_rows
EOF
}

for j in "${jobs[@]}"; do
  echo
  echo "== J = $j"
  raw_s[$j]=skipped
  dbb_s[$j]=skipped
  fd_s[$j]=skipped
  dbb_rss[$j]=-

  if fits "raw COPY over $j sessions" raw; then
    echo "-- raw COPY rate: $j psql session(s), COPY (FORMAT binary) > /dev/null"
    raw_copy_plan "$db" "$j" "$work"
    settle
    t0=$(now)
    rc=0
    RAW_COPY_TIMEOUT_S=$left raw_copy_run "$db" "$work" || rc=$?
    outcome "raw COPY over $j sessions" raw "$rc" "$(secs_since "$t0")"
    raw_s[$j]=$cell
  fi

  if fits "dbbackup -j $j" dbbackup; then
    echo "-- dbbackup backup single -j $j${dbb_args:+ $dbb_args}"
    timer=()
    [ -z "$gnu_time" ] || timer=("$gnu_time" -f '%e %M' -o "$work/time")
    settle
    t0=$(now)
    rc=0
    "${timer[@]}" timeout -k 5 "$left" "$dbbackup" backup single "$db" --dir "$work/dbbackup" \
      -j "$j" "${dbb_extra[@]}" >"$work/dbbackup.log" 2>&1 || rc=$?
    t=$(secs_since "$t0")
    case $rc in
      0) tail -2 "$work/dbbackup.log" | sed 's/^/   /' ;;
      124 | 137) ;;
      *) cat "$work/dbbackup.log" >&2 ;;
    esac
    outcome "dbbackup -j $j" dbbackup "$rc" "$t"
    dbb_s[$j]=$cell
    if [ "$rc" = 0 ] && [ -n "$gnu_time" ]; then
      dbb_rss[$j]=$(tail -1 "$work/time" | awk '{ printf "%.0f", $2 / 1024 }')
    fi
    rm -rf "$work/dbbackup"
  fi

  if fits "pg_dump -Fd -j $j" pg_dump; then
    echo "-- pg_dump -Fd -j $j"
    settle
    t0=$(now)
    rc=0
    timeout -k 5 "$left" pg_dump -Fd -j "$j" -f "$work/pg_dump" "$db" || rc=$?
    outcome "pg_dump -Fd -j $j" pg_dump "$rc" "$(secs_since "$t0")"
    fd_s[$j]=$cell
    rm -rf "$work/pg_dump"
  fi

  table_rows+=$'\n'$(row_of "$j")
  echo "   row: $(row_of "$j")"
  [ -z "$out" ] || report >"$out"
done

echo
report
if [ -n "$out" ]; then
  report >"$out"
  echo
  echo "scaling: wrote $out"
fi
