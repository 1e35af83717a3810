#!/usr/bin/env bash
# A whole server: dbbackup backup cluster / restore cluster against the PostgreSQL tools that do
# the same job, in one run, on one throwaway server (scripts/lib/pg.sh, default durability
# settings) holding one larger database, several small ones and a few roles. Wall time, peak
# RSS, size on disk and the ratios against each peer; every restored cluster is compared with
# the source.
#
#   bash bench/cluster_bench.sh [--size MB] [--small-dbs N] [--small-source pagila|generated]
#                               [--jobs N] [--build DIR] [--dbbackup PATH] [--dbb-args "ARGS"]
#                               [--out FILE.md] [--no-verify] [--keep]
#
#   --size MB          the larger database (scripts/sample-db.sh), MB = 10^6 bytes (default 300)
#   --small-dbs N      small databases besides it (default 8; 0: none)
#   --small-source S   what a small database holds: pagila (the fixture from
#                      $DBBACKUP_FIXTURES/pagila, else ../shared/fixtures/pagila; about 16 MB
#                      with its indexes) or generated (scripts/sample-db.sh, 16 MB). Default:
#                      pagila where the fixture is found, else generated
#   --jobs N           -j of pg_dump, pg_restore and dbbackup (default 2)
#   --build DIR        dbbackup's build directory (default build/release; built here)
#   --dbbackup PATH    measure this dbbackup executable instead (nothing is built)
#   --dbb-args "ARGS"  more arguments for `dbbackup backup cluster`
#   --out FILE         also write the results as markdown to FILE
#   --no-verify        do not compare the restored clusters with the source
#   --keep             keep the work directory (backups, fingerprints, logs) and the servers'
#                      directories
#
# The default run takes about 5 minutes on 2 CPUs; for a bigger one: --size 2000 --small-dbs 50.
#
# The cluster (generated once, then backed up by each tool):
#   big            scripts/sample-db.sh big --size MB: half bytea files (half of them
#                  incompressible), half mixed tables (partitioned, jsonb, arrays, numeric...),
#                  200 large objects
#   small_01..NN   the first loaded (pagila, or sample-db.sh 16 MB), the others copies of it
#                  (CREATE DATABASE ... TEMPLATE small_01); owned by a role, with a comment, a
#                  setting, CONNECT granted to a role and revoked from PUBLIC, a role's
#                  per-database setting
#   roles          cluster_bench_owner (LOGIN, a password, a connection limit), _app (LOGIN, a
#                  password, a setting, member of _readers), _readers (NOLOGIN), _admin (CREATEDB,
#                  CREATEROLE, VALID UNTIL)
#   postgres       empty, as in a fresh cluster
# Backups (each under GNU time, after CHECKPOINT and sync; the data was read once beforehand, so
# every tool reads it from the page cache):
#   pg_dumpall | zstd          pg_dumpall | zstd -q -1 -T<jobs> > file, then fsync (one stream)
#   pg_dumpall -g + pg_dump    pg_dumpall --globals-only, then pg_dump -Fd -j <jobs> per database,
#                              one after another (what a backup script does)
#   dbbackup                   dbbackup backup cluster -j <jobs> [ARGS]
# Restores, each into a fresh server (initdb, not timed; the source server is stopped first):
#   psql -f                    zstd -dc file | psql -f - (pg_dumpall's script; its one error,
#                              "role postgres already exists", is expected and counted)
#   psql + pg_restore          psql -f globals.sql, then pg_restore -C -j <jobs> per database
#                              (postgres: into the existing one, without -C), one after another
#   dbbackup                   dbbackup restore cluster -j <jobs>
# Check (unless --no-verify): per database the md5 of every row, the sequences and large objects
# and pg_dump --schema-only (scripts/lib/dbcompare.sh), the databases' owner, encoding, locale,
# connection limit, ACL, comment and settings, and pg_dumpall --globals-only, of each restored
# cluster against the source. Exit 1 when one differs or a command fails.
# Peak RSS: GNU time's, which for a command that runs others (pg_dumpall runs pg_dump, pg_dump -j
# and pg_restore -j fork workers, dbbackup runs pg_dump / pg_restore / psql) is that of the
# largest process, not the sum; a pipeline's processes are measured each.
# Environment: DBB_BENCH_DIR picks the disk for the servers and the backups (default /var/tmp);
# DBBACKUP_FIXTURES the directory holding pagila/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  awk '/^#   bash bench\//, 0 { if (/^# The cluster/) exit; print }' "$0" |
    sed 's/^# \{0,1\}//' >&2
  exit 2
}
size_mb=300
small_dbs=8
small_source=
jobs=2
build=build/release
dbbackup=
dbb_args=
out=
verify=1
keep=0
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
args=$(bench_command_line "$@")  # the command line as typed, for the report
while [ $# -gt 0 ]; do
  case $1 in
    --size) size_mb=${2:?}; shift 2 ;;
    --small-dbs) small_dbs=${2:?}; shift 2 ;;
    --small-source) small_source=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --dbbackup) dbbackup=${2:?}; shift 2 ;;
    --dbb-args) dbb_args=${2?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --no-verify) verify=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "cluster_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
case $size_mb in
  '' | *[!0-9]*) echo "cluster_bench: --size: expected a whole number, got '$size_mb'" >&2
                 exit 2 ;;
esac
[ "$size_mb" -ge 16 ] || { echo "cluster_bench: --size must be at least 16 (MB)" >&2; exit 2; }
case $jobs in
  '' | *[!0-9]* | 0) echo "cluster_bench: --jobs: expected a positive number, got '$jobs'" >&2
                     exit 2 ;;
esac
case $small_dbs in
  '' | *[!0-9]*) echo "cluster_bench: --small-dbs: expected a whole number, got '$small_dbs'" >&2
                 exit 2 ;;
esac
[ "$small_dbs" -le 999 ] || { echo "cluster_bench: --small-dbs: at most 999" >&2; exit 2; }
pagila_dir=${DBBACKUP_FIXTURES:+$DBBACKUP_FIXTURES/pagila}
pagila_dir=${pagila_dir:-../shared/fixtures/pagila}
have_pagila=0
[ -f "$pagila_dir/pagila-schema.sql" ] && [ -f "$pagila_dir/pagila-data.sql" ] && have_pagila=1
case $small_source in
  '') if [ "$have_pagila" = 1 ]; then small_source=pagila; else small_source=generated; fi ;;
  pagila)
    [ "$have_pagila" = 1 ] || { echo "cluster_bench: --small-source pagila: no pagila-schema.sql\
 and pagila-data.sql in $pagila_dir (set DBBACKUP_FIXTURES to the directory holding pagila/)" >&2
                                exit 1; } ;;
  generated) ;;
  *) echo "cluster_bench: --small-source: expected pagila or generated, got '$small_source'" >&2
     exit 2 ;;
esac
[ "$small_source" = pagila ] && pagila_dir=$(realpath "$pagila_dir")
read -ra dbb_extra <<<"$dbb_args"
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi
for tool in /usr/bin/time zstd jq; do
  command -v "$tool" >/dev/null ||
    { echo "cluster_bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}

# ---- disk space: the source, three backups (each at most the data's size), one restored
# cluster at a time (the source's directory is removed before the restores), and WAL
data_bytes=$(( (size_mb + 16 * small_dbs) * 1000000 ))
need_bytes=$((4 * data_bytes + 1000000000))
free_bytes=$(df -P -B1 "$TMPDIR" | awk 'NR == 2 { print $4 }')
gb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e9 }'; }
if [ "$free_bytes" -lt "$need_bytes" ]; then
  echo "cluster_bench: $TMPDIR (DBB_BENCH_DIR) has $(gb "$free_bytes") GB free; this run needs\
 about $(gb "$need_bytes") GB. Use a smaller --size / --small-dbs, or DBB_BENCH_DIR on a larger\
 disk." >&2
  exit 1
fi

if [ -n "$dbbackup" ]; then
  dbbackup=$(realpath "$dbbackup")
  [ -x "$dbbackup" ] || { echo "cluster_bench: $dbbackup is not an executable" >&2; exit 1; }
else
  dbbackup=$(bench_build "$build")
fi

# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
# shellcheck source=scripts/lib/dbcompare.sh
source scripts/lib/dbcompare.sh
work=$(mktemp -d "$TMPDIR/dbbackup-cluster-bench.XXXXXX")
if [ "$keep" = 1 ]; then
  export PG_TMP_KEEP=1
  dbb_at_exit "echo 'cluster_bench: kept $work'"
else
  dbb_at_exit "rm -rf '$work'"
fi
bench_start=$(date +%s)
pg_tmp_start

machine=$(bench_machine "$TMPDIR")
versions="$(bench_versions "$dbbackup"), $(zstd --version | sed 's/^\*\** *//; s/,.*//')"
echo "== $machine"
echo "== $versions"

# ---- helpers
now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf (b < 1e7 ? "%.1f" : "%.0f"), b / 1e6 }'; }
ratio() {  # ratio A B: A / B, or - when either is not a number (a failed command)
  case $1$2 in
    *[!0-9.]* | '') echo - ;;
    *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;;
  esac
}
md() { printf '%s' "${1//|/\\|}"; }  # a table cell: escape the pipes
settle() { pg_sql postgres CHECKPOINT; sync; }
# gtime FILE CMD...: GNU time into FILE ("seconds peak_kb"); the last line counts (GNU time
# writes a line about the exit status before it when the command fails)
gtime() { local f=$1; shift; /usr/bin/time -f '%e %M' -o "$f" "$@"; }
secs_of() { tail -1 "$1" | cut -d' ' -f1; }
rss_mb_of() { tail -1 "$1" | awk '{ printf "%.0f", $2 / 1024 }'; }
failures=0  # a command failed or a restored cluster differs
fail() { echo "cluster_bench: $1" >&2; failures=1; }

read_data_once() {  # reads the server's files so that every tool finds them in the page cache
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
  else
    find "$PG_TMP_DIR/data/base" -type f -exec cat {} + >/dev/null
  fi
}

# ---- the cluster
gen_start=$(now)
echo "== roles"
pg_sql postgres "
  CREATE ROLE cluster_bench_owner LOGIN PASSWORD 'owner-secret' CONNECTION LIMIT 20;
  CREATE ROLE cluster_bench_readers NOLOGIN;
  CREATE ROLE cluster_bench_app LOGIN PASSWORD 'app-secret' IN ROLE cluster_bench_readers;
  ALTER ROLE cluster_bench_app SET work_mem = '16MB';
  CREATE ROLE cluster_bench_admin CREATEDB CREATEROLE LOGIN VALID UNTIL '2030-01-01 00:00:00+00'"
echo "== database big: scripts/sample-db.sh, $size_mb MB"
bash scripts/sample-db.sh big "$size_mb"
small_names=()
for ((i = 1; i <= small_dbs; i++)); do small_names+=("$(printf 'small_%02d' "$i")"); done
if [ "$small_dbs" -gt 0 ]; then
  echo "== $small_dbs small databases ($small_source): small_01 loaded, the others copies of it"
  if [ "$small_source" = pagila ]; then
    createdb small_01
    for f in pagila-schema.sql pagila-data.sql; do
      PGOPTIONS='-c synchronous_commit=off -c client_min_messages=warning' \
        psql -X -q -v ON_ERROR_STOP=1 -d small_01 -f "$pagila_dir/$f" >/dev/null
    done
    pg_sql small_01 "VACUUM (ANALYZE)"
  else
    bash scripts/sample-db.sh small_01 16
  fi
  for db in "${small_names[@]:1}"; do createdb -T small_01 "$db"; done
  for db in "${small_names[@]}"; do
    pg_sql postgres "
      ALTER DATABASE $db OWNER TO cluster_bench_owner;
      COMMENT ON DATABASE $db IS 'cluster_bench: $db, a copy of small_01';
      ALTER DATABASE $db SET search_path = public, pg_catalog;
      REVOKE CONNECT ON DATABASE $db FROM PUBLIC;
      GRANT CONNECT ON DATABASE $db TO cluster_bench_readers;
      ALTER ROLE cluster_bench_app IN DATABASE $db SET statement_timeout = '5min'"
  done
fi
pg_sql postgres CHECKPOINT
gen_s=$(secs_since "$gen_start")
# what every tool backs up: the databases that accept connections, but template0 and the empty
# template1 (pg_dumpall keeps template1 too: it holds nothing here)
mapfile -t db_list < <(pg_sql postgres "SELECT datname FROM pg_database
  WHERE datallowconn AND datname NOT IN ('template0', 'template1') ORDER BY datname")
big_bytes=$(pg_sql postgres "SELECT pg_database_size('big')")
small_bytes=0
if [ "$small_dbs" -gt 0 ]; then
  small_bytes=$(pg_sql postgres "SELECT pg_database_size('small_01')")
fi
total_bytes=$(pg_sql postgres "SELECT sum(pg_database_size(datname)) FROM pg_database
  WHERE datname = ANY (string_to_array('$(IFS=,; echo "${db_list[*]}")', ','))")
n_tables_big=$(pg_sql big "SELECT count(*) FROM pg_stat_user_tables")
n_tables_small=0
if [ "$small_dbs" -gt 0 ]; then
  n_tables_small=$(pg_sql small_01 "SELECT count(*) FROM pg_stat_user_tables")
fi
echo "   generated in $gen_s s: big $(mb_of "$big_bytes") MB ($n_tables_big tables)," \
  "$small_dbs x $(mb_of "$small_bytes") MB ($n_tables_small tables each);" \
  "${#db_list[@]} databases, $(mb_of "$total_bytes") MB in all"

# The cluster's own properties: the databases' (owner, encoding, locale, limit, ACL, comment,
# settings per role) and the globals as pg_dumpall writes them (roles with their attributes,
# password hashes, memberships and settings)
cluster_fingerprint() {  # cluster_fingerprint FILE
  psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d postgres >"$1" <<'SQL'
SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate,
       d.datctype, d.datconnlimit, d.datallowconn, d.datistemplate,
       coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(d.datacl) a), '-'),
       coalesce(shobj_description(d.oid, 'pg_database'), '-'),
       coalesce((SELECT string_agg(coalesce(r.rolname, '*') || ':'
                                   || array_to_string(s.setconfig, ';'), ' '
                                   ORDER BY r.rolname NULLS FIRST)
                 FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
                 WHERE s.setdatabase = d.oid), '-')
FROM pg_database d WHERE d.datname <> 'template0' ORDER BY 1;
SQL
  # pg_dump 15.14 and later write a random \restrict key; the comments name versions and times
  pg_dumpall --globals-only | sed -E '/^\\(un)?restrict /d; /^--/d; /^$/d' >>"$1"
}

# fingerprint_cluster DIR: every database's contents and schema, the cluster's properties
fingerprint_cluster() {
  local dir=$1 db
  mkdir -p "$dir"
  for db in "${db_list[@]}"; do
    db_fingerprint "$db" "$dir/$db.fingerprint"
    db_schema "$db" "$dir/$db.schema.sql"
  done
  cluster_fingerprint "$dir/cluster"
}

# compare_cluster NAME DIR: prints "same" or "DIFFERS"; the differences on stderr
compare_cluster() {
  local name=$1 dir=$2 f diffs=0
  for f in "$work/source"/*; do
    if ! diff -u "$f" "$dir/${f##*/}" >"$work/diff" 2>&1; then
      diffs=1
      {
        echo "cluster_bench: $name: ${f##*/} DIFFERS from the source (- source, + restored):"
        head -30 "$work/diff"
      } >&2
    fi
  done
  if [ "$diffs" = 0 ]; then echo same; else echo DIFFERS; fi
}

if [ "$verify" = 1 ]; then
  echo "== fingerprinting the source (md5 of every row, schemas, databases' properties, globals)"
  start=$(now)
  fingerprint_cluster "$work/source"
  echo "   in $(secs_since "$start") s"
fi
echo "== reading the data once (untimed) so that every tool finds it in the page cache"
read_data_once

# ---- backups
# The scripted peers, one bash process each so that GNU time measures the whole sequence; each
# step's seconds go to STEPS ("name seconds")
cat >"$work/peer-backup.sh" <<'SH'
set -euo pipefail
out=$1 jobs=$2 steps=$3
shift 3
step() {
  local name=$1 t0=$EPOCHREALTIME
  shift
  "$@"
  awk -v n="$name" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s %.2f\n", n, b - a }' \
    >>"$steps"
}
mkdir "$out"
step globals pg_dumpall --globals-only -f "$out/globals.sql"
for db in "$@"; do step "$db" pg_dump -Fd -j "$jobs" -f "$out/$db" "$db"; done
SH
cat >"$work/peer-restore.sh" <<'SH'
set -euo pipefail
dir=$1 jobs=$2 steps=$3 errors=$4
shift 4
step() {
  local name=$1 t0=$EPOCHREALTIME
  shift
  "$@"
  awk -v n="$name" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s %.2f\n", n, b - a }' \
    >>"$steps"
}
# the globals: "role postgres already exists" is the expected error (psql goes on)
step globals psql -X -q -d postgres -f "$dir/globals.sql" 2>>"$errors"
for db in "$@"; do
  if [ "$db" = postgres ]; then
    step "$db" pg_restore -j "$jobs" -d postgres "$dir/$db"
  else
    step "$db" pg_restore -C -j "$jobs" -d postgres "$dir/$db"
  fi
done
SH

declare -A secs rss size status
name_dumpall="pg_dumpall | zstd -1 -T$jobs"
name_script="pg_dumpall -g + pg_dump -Fd -j $jobs per database"
name_dbb="dbbackup backup cluster -j $jobs${dbb_args:+ $dbb_args}"
name_r_dumpall="zstd -dc | psql -f (pg_dumpall's script)"
name_r_script="psql -f globals.sql + pg_restore -C -j $jobs per database"
name_r_dbb="dbbackup restore cluster -j $jobs"
load_before=$(cut -d' ' -f1 /proc/loadavg)

echo
echo "-- $name_dumpall, then fsync"
settle
secs[$name_dumpall]=failed rss[$name_dumpall]=- size[$name_dumpall]=-
start=$(now)
if gtime "$work/t-dumpall" pg_dumpall |
    gtime "$work/t-zstd" zstd -q -1 -T"$jobs" -c >"$work/dumpall.sql.zst"; then
  sync "$work/dumpall.sql.zst"
  secs[$name_dumpall]=$(secs_since "$start")
  rss[$name_dumpall]="$(rss_mb_of "$work/t-dumpall") + $(rss_mb_of "$work/t-zstd")"
  size[$name_dumpall]=$(stat -c %s "$work/dumpall.sql.zst")
  echo "   ${secs[$name_dumpall]} s, peak RSS ${rss[$name_dumpall]} MB"
else
  fail "$name_dumpall failed (above)"
fi

echo "-- $name_script"
settle
secs[$name_script]=failed rss[$name_script]=- size[$name_script]=-
: >"$work/steps-backup"
if gtime "$work/t-script" bash "$work/peer-backup.sh" "$work/pg_dump" "$jobs" \
    "$work/steps-backup" "${db_list[@]}"; then
  sync -f "$work/pg_dump/globals.sql"  # pg_dump fsyncs its own output; the globals file
  secs[$name_script]=$(secs_of "$work/t-script")
  rss[$name_script]=$(rss_mb_of "$work/t-script")
  size[$name_script]=$(du -sb "$work/pg_dump" | cut -f1)
  echo "   ${secs[$name_script]} s, peak RSS ${rss[$name_script]} MB"
else
  fail "$name_script failed (above)"
fi

echo "-- $name_dbb"
settle
secs[$name_dbb]=failed rss[$name_dbb]=- size[$name_dbb]=-
if gtime "$work/t-dbb" "$dbbackup" backup cluster --dir "$work/dbbackup" -j "$jobs" \
    "${dbb_extra[@]}" 2>&1 | tee "$work/dbbackup-backup.log"; then
  secs[$name_dbb]=$(secs_of "$work/t-dbb")
  rss[$name_dbb]=$(rss_mb_of "$work/t-dbb")
  size[$name_dbb]=$(du -sb "$work/dbbackup" | cut -f1)
  echo "   ${secs[$name_dbb]} s, peak RSS ${rss[$name_dbb]} MB"
else
  fail "$name_dbb failed (above)"
fi
dbb_files=$(find "$work/dbbackup" -type f 2>/dev/null | wc -l)
pg_dump_files=$(find "$work/pg_dump" -type f 2>/dev/null | wc -l)

# ---- restores, each into a fresh server
echo
echo "== stopping the source server; each restore gets a fresh one"
pg_tmp_stop

# restore NAME CHECK_DIR CMD...: a fresh server, the measured command, the check, the server gone
restore() {
  local name=$1 check=$2
  shift 2
  echo "-- $name"
  pg_tmp_start
  settle
  secs[$name]=failed rss[$name]=- status[$name]=-
  if "$@"; then
    echo "   ${secs[$name]} s, peak RSS ${rss[$name]} MB"
    if [ "$verify" = 1 ]; then
      settle
      fingerprint_cluster "$check"
      status[$name]=$(compare_cluster "$name" "$check")
      [ "${status[$name]}" = same ] || failures=1
      echo "   check: ${status[$name]}"
    fi
  else
    fail "$name failed (above)"
  fi
  pg_tmp_stop
}
# shellcheck disable=SC2317  # called through restore
restore_dumpall() {
  local start
  [ -f "$work/dumpall.sql.zst" ] || return 1
  start=$(now)
  gtime "$work/t-unzstd" zstd -dc "$work/dumpall.sql.zst" |
    gtime "$work/t-psql" psql -X -q -d postgres -f - >/dev/null 2>"$work/psql-errors" || return 1
  secs[$name_r_dumpall]=$(secs_since "$start")
  rss[$name_r_dumpall]="$(rss_mb_of "$work/t-unzstd") + $(rss_mb_of "$work/t-psql")"
}
# shellcheck disable=SC2317  # called through restore
restore_script() {
  [ -d "$work/pg_dump" ] || return 1
  : >"$work/steps-restore"
  : >"$work/script-errors"
  gtime "$work/t-r-script" bash "$work/peer-restore.sh" "$work/pg_dump" "$jobs" \
    "$work/steps-restore" "$work/script-errors" "${db_list[@]}" || return 1
  secs[$name_r_script]=$(secs_of "$work/t-r-script")
  rss[$name_r_script]=$(rss_mb_of "$work/t-r-script")
}
# shellcheck disable=SC2317  # called through restore
restore_dbb() {
  [ -f "$work/dbbackup/cluster.json" ] || return 1
  gtime "$work/t-r-dbb" "$dbbackup" restore cluster "$work/dbbackup" -j "$jobs" 2>&1 |
    tee "$work/dbbackup-restore.log" || return 1
  secs[$name_r_dbb]=$(secs_of "$work/t-r-dbb")
  rss[$name_r_dbb]=$(rss_mb_of "$work/t-r-dbb")
}
restore "$name_r_dumpall" "$work/check-psql" restore_dumpall
psql_errors=$(grep -c 'ERROR:' "$work/psql-errors" 2>/dev/null || true)
echo "   psql reported ${psql_errors:-0} error(s):"
grep 'ERROR:' "$work/psql-errors" 2>/dev/null | head -5 | sed 's/^/     /' || true
restore "$name_r_script" "$work/check-pg_restore" restore_script
script_errors=$(grep -c 'ERROR:' "$work/script-errors" 2>/dev/null || true)
restore "$name_r_dbb" "$work/check-dbbackup" restore_dbb
load_after=$(cut -d' ' -f1 /proc/loadavg)

# ---- report
# steps_summary FILE: the globals, the big database, and the small ones (sum, median, range)
steps_summary() {
  local f=$1
  [ -s "$f" ] || { echo "-"; return; }
  { grep -v '^small_' "$f" || true; grep '^small_' "$f" | sort -k2,2n || true; } |
    awk '$1 == "globals" { g = $2 } $1 == "big" { b = $2 } $1 == "postgres" { p = $2 }
         $1 ~ /^small_/ { s[++n] = $2; sum += $2 }  # in ascending order
         END {
           printf "globals %.2f s, big %.2f s, postgres %.2f s", g, b, p
           if (n > 0) {
             m = n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
             printf ", %d small databases %.2f s (median %.2f s, %.2f-%.2f s each)", n, sum,
                    m, s[1], s[n]
           }
         }'
}
backup_table="| what | seconds | x as fast as pg_dumpall \\| zstd | x as fast as pg_dumpall -g +\
 pg_dump -Fd | peak RSS MiB | size MB |"$'\n'"|---|---|---|---|---|---|"
for name in "$name_dumpall" "$name_script" "$name_dbb"; do
  s=${size[$name]}
  [ "$s" = - ] || s=$(mb_of "$s")
  backup_table+=$'\n'"| $(md "$name") | ${secs[$name]} | $(ratio "${secs[$name_dumpall]}" \
"${secs[$name]}") | $(ratio "${secs[$name_script]}" "${secs[$name]}") | ${rss[$name]} | $s |"
done
restore_table="| what | seconds | x as fast as psql -f | x as fast as psql + pg_restore -C |\
 peak RSS MiB | restored cluster |"$'\n'"|---|---|---|---|---|---|"
for name in "$name_r_dumpall" "$name_r_script" "$name_r_dbb"; do
  restore_table+=$'\n'"| $(md "$name") | ${secs[$name]} | $(ratio "${secs[$name_r_dumpall]}" \
"${secs[$name]}") | $(ratio "${secs[$name_r_script]}" "${secs[$name]}") | ${rss[$name]} |\
 ${status[$name]} |"
done
small_desc="none"
if [ "$small_dbs" -gt 0 ]; then
  small_desc="$small_dbs x $(mb_of "$small_bytes") MB ($small_source: $n_tables_small tables each;\
 small_01 loaded, the others CREATE DATABASE ... TEMPLATE small_01)"
fi
check_line="not checked (--no-verify)"
if [ "$verify" = 1 ]; then
  check_line="per database the md5 of every row, sequences, large objects and pg_dump\
 --schema-only (scripts/lib/dbcompare.sh); the databases' owner, encoding, locale, connection\
 limit, ACL, comment and per-role settings; pg_dumpall --globals-only; each restored cluster\
 against the source"
fi
report="## Cluster backup: dbbackup vs pg_dumpall / pg_dump per database

Command: \`bash bench/cluster_bench.sh $args\` ($(date -u +%Y-%m-%d); $(( $(date +%s) -\
 bench_start )) s in all)

- Machine: $machine
- Versions: $versions
- Cluster: ${#db_list[@]} databases, $(mb_of "$total_bytes") MB (pg_database_size): big\
 $(mb_of "$big_bytes") MB (scripts/sample-db.sh, $n_tables_big tables), small: $small_desc,\
 postgres (empty); 4 roles with passwords, memberships and settings; generated in $gen_s s
- Server: a throwaway PostgreSQL (scripts/lib/pg.sh), default durability settings; CHECKPOINT and\
 sync before each command; the data read once before the backups (the page cache cannot be\
 dropped here: every tool reads a cached database). Each restore goes into a fresh server\
 (initdb, not timed)
- Compression: dbbackup default (isa-l level 1)${dbb_args:+, dbbackup arguments: \`$dbb_args\`};\
 pg_dump -Fd default (gzip level 6); zstd level 1
- Seconds and peak RSS from GNU time; a command that runs others (pg_dumpall, pg_dump -j,\
 pg_restore -j, the scripted sequences, dbbackup with its pg_dump / pg_restore / psql) reports\
 its largest process, a pipeline each process; sizes in MB = 10^6 bytes, RSS in MiB; ratio =\
 the peer's seconds / this command's seconds
- Load average (1 min) before the first and after the last measurement: $load_before /\
 $load_after (on a shared host, other work slows every tool)
- Check: $check_line

$backup_table

$restore_table

- Files: pg_dump -Fd per database $pg_dump_files, dbbackup $dbb_files
- pg_dumpall -g + pg_dump, per step: $(steps_summary "$work/steps-backup")
- psql -f globals.sql + pg_restore, per step: $(steps_summary "$work/steps-restore")
- Errors reported by psql (expected: 1, role \"postgres\" already exists): pg_dumpall's script\
 ${psql_errors:-0}, globals.sql ${script_errors:-0}"
echo
echo "$report"
if [ -n "$out" ]; then
  echo "$report" >"$out"
  echo
  echo "cluster_bench: wrote $out"
fi
if [ "$failures" = 1 ]; then
  echo "cluster_bench: FAIL: a command failed or a restored cluster differs from the source" \
    "(above)" >&2
  exit 1
fi
exit 0
