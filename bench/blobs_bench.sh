#!/usr/bin/env bash
# Large objects: dbbackup against pg_dump -Fd -j N / pg_restore -j N, in one run, on two generated
# databases in a throwaway PostgreSQL server (scripts/lib/pg.sh, synchronous_commit=off): "small",
# many small objects, and "huge", a few objects of hundreds of MB each. Wall time, the ratios
# against pg_dump / pg_restore, peak RSS (target: dbbackup under 200 MB) and the backup's size;
# every restored database is checked against its source.
#
#   bash bench/blobs_bench.sh [--objects N] [--huge-mb MB] [--max-object-mb MB] [--jobs N]
#                             [--modes "inline external"] [--build DIR] [--dbbackup PATH]
#                             [--dbb-args "ARGS"] [--out FILE.md] [--strict] [--keep]
#
#   --objects N          scenario "small": N objects of 1-64 KiB (KiB = 1024 bytes), plus an
#                        empty and a sparse one (default 20000, about 0.67 GB; 0: skip it)
#   --huge-mb MB         scenario "huge": MB of objects in all, MB = 10^6 bytes (default 5000,
#                        5 GB; 0: skip it)
#   --max-object-mb MB   the largest object of "huge" (default 1000: objects of 400-1000 MB; the
#                        sizes scale with it, e.g. 100 gives 40-100 MB objects for a quick run)
#   --jobs N             -j of pg_dump, pg_restore and dbbackup (default 2)
#   --modes "LIST"       dbbackup --blob-mode values to measure, each a backup and a restore
#                        (default "inline external"; "default" runs without --blob-mode)
#   --build DIR          dbbackup's build directory (default build/release; built here)
#   --dbbackup PATH      measure this dbbackup executable instead (nothing is built)
#   --dbb-args "ARGS"    more arguments for every `dbbackup backup single`
#   --out FILE           also write the results as markdown to FILE (rewritten after each scenario)
#   --strict             exit 3 when dbbackup's peak RSS reaches 200 MB (default: FAIL printed)
#   --keep               keep the server's directory and the work directory (fingerprints); the
#                        backups and restored databases are removed after each measurement anyway
#
# A quick run: --objects 3000 --huge-mb 300 --max-object-mb 100 (about 2 minutes on 2 CPUs).
#
# The databases (generated on the server; GB = 10^9 bytes, MB = 10^6 bytes throughout):
#   small  table documents(id, name, blob oid), one row per object. Object sizes uniform in
#          1 KiB - 64 KiB (from hashint4(id): the same in every run); odd ids text (generated
#          invoice lines, gzip -6 shrinks them about 10x), even ids random bytes (pgcrypto
#          gen_random_bytes); every 20th object (5%) a copy of another's content (id - 7), so
#          about 5% duplicates; some owned by role blobs_bench_alice or
#          blobs_bench_bob, some with GRANTs (to blobs_bench_reader, blobs_bench_bob, PUBLIC),
#          some with a COMMENT; one empty object and one sparse one (a 1 MB hole, then 26 bytes).
#   huge   the same table; objects of 1000, 400, 700, 550, 850 MB in turn (x --max-object-mb /
#          1000) until --huge-mb, the last one cut to fit, each built by lo_create and lo_put in
#          8 MB pieces: its first half (in whole pieces) random bytes, the rest one 8 MB piece
#          of generated text lines, repeated.
# Both are loaded over nproc sessions at once (objects dealt by id), then vacuumed (hint bits
# set) and checkpointed. The roles blobs_bench_alice, _bob and _reader are the server's.
# The source is read once before each backup so that every tool finds it in the page cache.
# Per scenario, each into a fresh directory / database that is removed after it is checked:
#   pg_dump -Fd -j N (gzip level 6, its default), then pg_restore -j N into a database created
#   just before (untimed); then for each mode: dbbackup backup single -j N --blob-mode MODE [ARGS],
#   then dbbackup restore single -j N --create. Wall seconds and peak RSS from GNU time (for
#   pg_dump -j / pg_restore -j that of their largest process). CHECKPOINT and sync before each.
# Check: per object (pg_largeobject_metadata) its OID, size, md5 (of the object's bytes; above
# 64 MiB, md5 of the md5s of its 64 MiB pieces, read with lo_get), owner, ACL (as items, sorted;
# no ACL as the owner's default) and comment, plus the row count and md5 of table documents; the
# restored database must match its source exactly. Exit 1 when one differs or a command fails.
# Needs free space at DBB_BENCH_DIR of about 3x the larger scenario plus its WAL (up to 4 GB):
# the source, one restored database and one backup at a time. pg_dump 15 puts the data of all
# large objects in one TOC entry ("BLOBS"), so pg_dump -j and pg_restore -j write / load them
# from one process (PostgreSQL 17 groups them by 1000 per entry); the report says so.
# Environment: DBB_BENCH_DIR picks the disk for the server and the backups (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  awk '/^#   bash bench\//, 0 { if (/^# The databases/) exit; print }' "$0" |
    sed 's/^# \{0,1\}//' >&2
  exit 2
}
objects=20000
huge_mb=5000
max_object_mb=1000
jobs=2
modes="inline external"
build=build/release
dbbackup=
dbb_args=
out=
strict=0
keep=0
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
args=$(bench_command_line "$@")  # the command line as typed, for the report
while [ $# -gt 0 ]; do
  case $1 in
    --objects) objects=${2:?}; shift 2 ;;
    --huge-mb) huge_mb=${2:?}; shift 2 ;;
    --max-object-mb) max_object_mb=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --modes) modes=${2?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --dbbackup) dbbackup=${2:?}; shift 2 ;;
    --dbb-args) dbb_args=${2?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --strict) strict=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "blobs_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$max_object_mb" "$jobs"; do
  case $n in
    '' | *[!0-9]* | 0) echo "blobs_bench: expected a positive number, got '$n'" >&2; exit 2 ;;
  esac
done
for n in "$objects" "$huge_mb"; do
  case $n in
    '' | *[!0-9]*) echo "blobs_bench: expected a whole number, got '$n'" >&2; exit 2 ;;
  esac
done
if [ "$objects" = 0 ] && [ "$huge_mb" = 0 ]; then
  echo "blobs_bench: --objects 0 and --huge-mb 0 leave nothing to measure" >&2
  exit 2
fi
read -ra mode_list <<<"$modes"
for m in "${mode_list[@]}"; do
  case $m in
    inline | external | default) ;;
    *) echo "blobs_bench: --modes: expected inline, external or default, got '$m'" >&2; exit 2 ;;
  esac
done
read -ra dbb_extra <<<"$dbb_args"
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi
for tool in /usr/bin/time jq; do
  command -v "$tool" >/dev/null ||
    { echo "blobs_bench: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}

# ---- disk space: the source, one restored copy and one backup (at most the data's size: the
# random half does not compress) of the larger scenario, plus the WAL of loading it (pg.sh sets
# max_wal_size = 4GB)
small_bytes=$((objects * 33280))  # the mean of 1 KiB - 64 KiB
if [ "$objects" -gt 0 ]; then small_bytes=$((small_bytes + 1000026)); fi  # the sparse object
huge_bytes=$((huge_mb * 1000000))
data_bytes=$((small_bytes > huge_bytes ? small_bytes : huge_bytes))
need_bytes=$((3 * data_bytes + (data_bytes < 4000000000 ? data_bytes : 4000000000)))
free_bytes=$(df -P -B1 "$TMPDIR" | awk 'NR == 2 { print $4 }')
gb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e9 }'; }
if [ "$free_bytes" -lt "$need_bytes" ]; then
  echo "blobs_bench: $TMPDIR (DBB_BENCH_DIR) has $(gb "$free_bytes") GB free; this run needs about\
 $(gb "$need_bytes") GB (3 x the larger scenario's $(gb "$data_bytes") GB, plus WAL). Use smaller\
 --objects / --huge-mb, or DBB_BENCH_DIR on a larger disk." >&2
  exit 1
fi

if [ -n "$dbbackup" ]; then
  dbbackup=$(realpath "$dbbackup")
  [ -x "$dbbackup" ] || { echo "blobs_bench: $dbbackup is not an executable" >&2; exit 1; }
else
  dbbackup=$(bench_build "$build")
fi

# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
work=$(mktemp -d "$TMPDIR/dbbackup-blobs-bench.XXXXXX")
if [ "$keep" = 1 ]; then
  export PG_TMP_KEEP=1
  dbb_at_exit "echo 'blobs_bench: kept $work'"
else
  dbb_at_exit "rm -rf '$work'"
fi
pg_tmp_start synchronous_commit=off

cpus=$(nproc)
machine=$(bench_machine "$TMPDIR")
versions=$(bench_versions "$dbbackup")
echo "== $machine"
echo "== $versions"

# ---- helpers
now() { date +%s.%N; }
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf (b < 1e7 ? "%.1f" : "%.0f"), b / 1e6 }'; }
ratio() {  # ratio A B: A / B, or - when either is not a number (a failed or skipped command)
  case $1$2 in
    *[!0-9.]* | '') echo - ;;
    *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;;
  esac
}
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }  # a < b, as numbers
md() { printf '%s' "${1//|/\\|}"; }  # a table cell: escape the pipes
settle() { pg_sql postgres CHECKPOINT; sync; }
quiet_dropdb() { PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists --force "$1"; }
# gtime FILE CMD...: GNU time into FILE ("seconds peak_kb"); the last line counts (GNU time
# writes a line about the exit status before it when the command fails)
gtime() { local f=$1; shift; /usr/bin/time -f '%e %M' -o "$f" "$@"; }
secs_of() { tail -1 "$1" | cut -d' ' -f1; }
rss_mb_of() { tail -1 "$1" | awk '{ printf "%.0f", $2 / 1024 }'; }

read_db_once() {  # read_db_once DB: reads the database's files so that every tool finds them cached
  local oid
  oid=$(pg_sql postgres "SELECT oid FROM pg_database WHERE datname = '$1'")
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- find "$PG_TMP_DIR/data/base/$oid" -type f -exec cat {} + >/dev/null
  else
    find "$PG_TMP_DIR/data/base/$oid" -type f -exec cat {} + >/dev/null
  fi
}

fingerprint() {  # fingerprint DB FILE: the table's count and md5, then a line per large object
  psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$1" >"$2" <<'SQL'
SELECT 'documents', count(*), md5(coalesce(string_agg(format('%s %s %s', id, name, blob), ','
                                                      ORDER BY id), ''))
FROM documents;
-- size by seeking to the end; md5 of the bytes, in 64 MiB pieces above 64 MiB (lo_get returns
-- a bytea, at most 1 GiB); the ACL as sorted items, NULL as the owner's default
CREATE FUNCTION pg_temp.lo_fingerprint(o oid, OUT size bigint, OUT md5 text)
LANGUAGE plpgsql AS $$
DECLARE
  fd int;
  piece constant int := 67108864;
  off bigint := 0;
  sums text := '';
  n int := 0;
BEGIN
  fd := lo_open(o, 262144);  -- INV_READ
  size := lo_lseek64(fd, 0, 2);
  PERFORM lo_close(fd);
  LOOP
    sums := sums || md5(lo_get(o, off, piece));
    n := n + 1;
    off := off + piece;
    EXIT WHEN off >= size;
  END LOOP;
  md5 := CASE WHEN n = 1 THEN sums ELSE md5(sums) END;
END $$;
SELECT m.oid, f.size, f.md5, pg_get_userbyid(m.lomowner),
       (SELECT string_agg(a::text, ',' ORDER BY a::text)
        FROM unnest(coalesce(m.lomacl, acldefault('L', m.lomowner))) a),
       coalesce(obj_description(m.oid, 'pg_largeobject'), '-')
FROM pg_largeobject_metadata m, LATERAL pg_temp.lo_fingerprint(m.oid) f
ORDER BY m.oid;
SQL
}
fp_objects() { tail -n +2 "$1" | wc -l; }
fp_bytes() { tail -n +2 "$1" | awk '{ s += $2 } END { printf "%.0f", s }'; }
fp_distinct() { tail -n +2 "$1" | awk '{ print $2, $3 }' | sort -u | wc -l; }

# SQL shared by both generators (in the generating session only: pg_temp)
gen_functions="
CREATE FUNCTION pg_temp.text_bytes(doc int, nbytes int) RETURNS bytea LANGUAGE sql AS \$\$
  SELECT substring(convert_to(string_agg(format(
           'document %s, line %s: invoice %s for customer %s, %s EUR, %s' || E'\\n',
           doc, i, doc::bigint * 100000 + i, (doc * 31 + i * 17) % 5000,
           round(((doc::bigint * i * 7919) % 1000000) / 100.0, 2),
           (ARRAY['open', 'paid', 'overdue', 'cancelled'])[1 + (doc + i) % 4]), ''), 'UTF8')
         FROM 1 FOR nbytes)
  FROM generate_series(1, nbytes / 50 + 1) i \$\$;
CREATE FUNCTION pg_temp.random_bytes(nbytes int) RETURNS bytea LANGUAGE sql AS \$\$
  SELECT substring(string_agg(gen_random_bytes(1024), ''::bytea) FROM 1 FOR nbytes)
  FROM generate_series(1, (nbytes + 1023) / 1024) \$\$;
"
gen_sessions=$cpus  # the generators load over this many sessions at once

# shellcheck disable=SC2317  # called by the generators
psql_parallel() {  # psql_parallel DB FILE...: each SQL file in its own session, all at once
  local db=$1 f pids=() pid rc=0
  shift
  for f in "$@"; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

# shellcheck disable=SC2317  # called as gen_$key
gen_small() {  # gen_small DB
  local db=$1 k files=()
  pg_sql "$db" "CREATE EXTENSION pgcrypto;
    CREATE TABLE documents (id int PRIMARY KEY, name text NOT NULL, blob oid NOT NULL)"
  # the objects that are not copies, dealt to the sessions by id; sizes from hashint4(id):
  # uniform in 1024 - 65535 bytes, the same in every run
  for ((k = 0; k < gen_sessions; k++)); do
    cat >"$work/gen-$k.sql" <<SQL
$gen_functions
INSERT INTO documents
SELECT id, format('document-%s.%s', id, CASE WHEN id % 2 = 0 THEN 'bin' ELSE 'txt' END),
       lo_from_bytea(0, CASE WHEN id % 2 = 0 THEN pg_temp.random_bytes(size)
                             ELSE pg_temp.text_bytes(id, size) END)
FROM (SELECT id, 1024 + ((hashint4(id)::bigint + 2147483648) % 64512)::int AS size
      FROM generate_series(1, $objects) id) p
WHERE id % $gen_sessions = $k AND (id % 20 <> 0 OR id < 20)
ORDER BY id;
SQL
    files+=("$work/gen-$k.sql")
  done
  psql_parallel "$db" "${files[@]}"
  rm -f "${files[@]}"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
-- 5%: a copy of another object's content
INSERT INTO documents
SELECT id, format('document-%s.copy-of-%s', id, id - 7),
       lo_from_bytea(0, lo_get((SELECT blob FROM documents d WHERE d.id = g.id - 7)))
FROM generate_series(20, $objects, 20) g(id);
DO \$\$
DECLARE
  o oid;
  r record;
BEGIN
  o := lo_create(0);
  INSERT INTO documents VALUES ($objects + 1, 'empty', o);
  o := lo_create(0);
  PERFORM lo_put(o, 1000000, convert_to('the end of a sparse object', 'UTF8'));
  INSERT INTO documents VALUES ($objects + 2, 'sparse', o);
  FOR r IN SELECT id, blob FROM documents ORDER BY id LOOP
    IF r.id % 50 = 1 THEN
      EXECUTE format('ALTER LARGE OBJECT %s OWNER TO blobs_bench_alice', r.blob);
    ELSIF r.id % 50 = 2 THEN
      EXECUTE format('ALTER LARGE OBJECT %s OWNER TO blobs_bench_bob', r.blob);
    END IF;
    IF r.id % 40 = 3 THEN
      EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO blobs_bench_reader', r.blob);
    END IF;
    IF r.id % 80 = 4 THEN
      EXECUTE format('GRANT SELECT, UPDATE ON LARGE OBJECT %s TO blobs_bench_bob', r.blob);
    END IF;
    IF r.id % 100 = 1 THEN  -- owned by alice: alice is the grantor
      EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO PUBLIC', r.blob);
    END IF;
    IF r.id % 25 = 5 THEN
      EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', r.blob,
                     format('document %s: a comment with ''quotes'' and ünïcødé', r.id));
    END IF;
  END LOOP;
END \$\$;
VACUUM (ANALYZE);
CHECKPOINT;
SQL
}

# shellcheck disable=SC2317  # called as gen_$key
gen_huge() {  # gen_huge DB: objects of 1000, 400, 700, 550, 850 MB (scaled) up to --huge-mb
  local db=$1 sizes=(1000 400 700 550 850) left=$huge_mb i=0 k mb files=()
  pg_sql "$db" "CREATE EXTENSION pgcrypto;
    CREATE TABLE documents (id int PRIMARY KEY, name text NOT NULL, blob oid NOT NULL)"
  for ((k = 0; k < gen_sessions; k++)); do
    echo "$gen_functions" >"$work/gen-$k.sql"
  done
  # the objects dealt to the sessions in turn, each session one object at a time
  while [ "$left" -gt 0 ]; do
    mb=$((sizes[i % 5] * max_object_mb / 1000))
    [ "$mb" -ge 1 ] || mb=1
    [ "$mb" -le "$left" ] || mb=$left
    left=$((left - mb))
    k=$((i % gen_sessions))
    i=$((i + 1))
    [ "$i" -gt "$gen_sessions" ] || files+=("$work/gen-$k.sql")
    cat >>"$work/gen-$k.sql" <<SQL
\\echo '   object $i: $mb MB'
DO \$\$
DECLARE
  o oid := lo_create(0);
  size constant bigint := $mb::bigint * 1000000;
  piece constant int := 8000000;
  off bigint := 0;
  len int;
  txt constant bytea := pg_temp.text_bytes($i, piece);
BEGIN
  INSERT INTO documents VALUES ($i, 'huge-$i.bin', o);
  WHILE off < size LOOP
    len := least(piece, size - off);
    IF off < size / 2 THEN
      PERFORM lo_put(o, off, pg_temp.random_bytes(len));
    ELSE
      PERFORM lo_put(o, off, substring(txt FROM 1 FOR len));
    END IF;
    off := off + len;
  END LOOP;
END \$\$;
SQL
  done
  psql_parallel "$db" "${files[@]}"
  rm -f "$work"/gen-*.sql
  pg_sql "$db" "VACUUM (ANALYZE)"
  pg_sql "$db" CHECKPOINT
}

pg_sql postgres "CREATE ROLE blobs_bench_alice; CREATE ROLE blobs_bench_bob;
                 CREATE ROLE blobs_bench_reader"

# ---- measuring
failures=0  # a command failed or a restored database differs
rss_misses=0
declare -A scen_title scen_desc scen_table scen_notes scen_targets
scenarios_done=()

# run_step FILE NAME CMD...: one measured command (CHECKPOINT and sync first); 0 when it succeeded
run_step() {
  local f=$1 name=$2
  shift 2
  echo "-- $name"
  settle
  if gtime "$f" "$@"; then
    echo "   $(secs_of "$f") s, peak RSS $(rss_mb_of "$f") MB"
    return 0
  fi
  echo "blobs_bench: $name failed (above)" >&2
  failures=1
  return 1
}

# check_restored SRC_FP DB NAME: prints "same" or "DIFFERS", the differences on stderr
check_restored() {
  local src=$1 db=$2 name=$3 start
  start=$(now)
  if ! fingerprint "$db" "$work/restored.fp"; then
    echo "blobs_bench: $name: the restored database DIFFERS: reading it failed (above)" >&2
    echo DIFFERS
    return 0
  fi
  if diff -q "$src" "$work/restored.fp" >/dev/null; then
    echo "   $name: identical ($(fp_objects "$src") objects; checked in $(secs_since "$start")\
 s)" >&2
    echo same
  else
    {
      echo "blobs_bench: $name: the restored database DIFFERS from the source ($(fp_objects \
"$work/restored.fp") objects against $(fp_objects "$src")); the first differences (<\
 source, > restored):"
      diff "$src" "$work/restored.fp" | head -20
    } >&2
    cp "$work/restored.fp" "$work/$db.fp"
    echo DIFFERS
  fi
}

write_report() {
  local s report
  report="## Large objects: dbbackup vs pg_dump / pg_restore

Command: \`bash bench/blobs_bench.sh $args\` ($(date -u +%Y-%m-%d))

- Machine: $machine
- Versions: $versions
- Server: a throwaway PostgreSQL (scripts/lib/pg.sh), synchronous_commit=off; CHECKPOINT and sync\
 before each command, the source read once before each backup (the page cache cannot be dropped\
 here: every tool reads a cached database)
- Compression: dbbackup default (isa-l level 1)${dbb_args:+, dbbackup arguments: \`$dbb_args\`};\
 pg_dump -Fd default (gzip level 6)
- Seconds and peak RSS from GNU time; for pg_dump -j / pg_restore -j the RSS of the largest\
 process; sizes in MB = 10^6 bytes, peak RSS in MiB (GNU time's KiB / 1024); ratio = pg_dump (or\
 pg_restore) seconds / dbbackup seconds
- pg_dump $(pg_dump --version | awk '{ print $3 }') puts the data of all large objects in one TOC\
 entry (BLOBS): with -j $jobs one pg_dump worker writes them all and one pg_restore worker loads\
 them all; -j parallelizes only the tables (PostgreSQL 17's pg_dump groups large objects by 1000\
 per entry). That is pg_dump's behaviour, not a setting of this benchmark.
- Check: per large object its OID, size, md5, owner, ACL and comment, and table documents\
 (row count and md5), in the restored database against the source"
  for s in "${scenarios_done[@]}"; do
    report+="

### ${scen_title[$s]}

${scen_desc[$s]}

| tool | mode | backup s | restore s | backup ratio | restore ratio | peak RSS backup MB\
 | peak RSS restore MB | backup MB | restored database |
|---|---|---|---|---|---|---|---|---|---|
${scen_table[$s]}
${scen_notes[$s]:+
${scen_notes[$s]}}

${scen_targets[$s]}"
  done
  echo "$report"
}

# run_scenario KEY DB TITLE: generate DB (gen_KEY), then measure and check every tool on it
run_scenario() {
  local key=$1 db=$2 title=$3 start gen_s db_bytes src_fp n bytes distinct
  local t_dump=- t_restore=- status size_b mode rdb lo_line
  local b_s r_s b_rss r_rss rows='' notes='' targets=
  echo
  echo "== scenario $key: $title"
  quiet_dropdb "$db"
  createdb "$db"
  start=$(now)
  "gen_$key" "$db"
  gen_s=$(secs_since "$start")
  db_bytes=$(pg_sql postgres "SELECT pg_database_size('$db')")
  src_fp=$work/$db.source.fp
  start=$(now)
  fingerprint "$db" "$src_fp"
  n=$(fp_objects "$src_fp")
  bytes=$(fp_bytes "$src_fp")
  distinct=$(fp_distinct "$src_fp")
  echo "   generated in $gen_s s: $n objects, $(mb_of "$bytes") MB, $distinct distinct contents;\
 database $(mb_of "$db_bytes") MB; fingerprinted in $(secs_since "$start") s"
  scen_title[$key]="$title"
  scen_desc[$key]="- Database: $n large objects, $bytes bytes ($(mb_of "$bytes") MB), $distinct\
 distinct contents; pg_database_size $(mb_of "$db_bytes") MB; generated in $gen_s s"

  # pg_dump -Fd -j N, pg_restore -j N
  rm -rf "$work/backup"
  read_db_once "$db"
  b_s=failed b_rss=- r_s=- r_rss=- size_b=- status=-
  if run_step "$work/t-backup" "pg_dump -Fd -j $jobs" \
      pg_dump -Fd -j "$jobs" -f "$work/backup" "$db"; then
    b_s=$(secs_of "$work/t-backup") b_rss=$(rss_mb_of "$work/t-backup")
    t_dump=$b_s
    size_b=$(mb_of "$(du -sb "$work/backup" | cut -f1)")
    notes+="- pg_dump -Fd: $(find "$work/backup" -type f | wc -l) files"$'\n'
    quiet_dropdb "${db}_pg_restore"
    createdb "${db}_pg_restore"
    r_s=failed
    if run_step "$work/t-restore" "pg_restore -j $jobs" \
        pg_restore -j "$jobs" -d "${db}_pg_restore" "$work/backup"; then
      r_s=$(secs_of "$work/t-restore") r_rss=$(rss_mb_of "$work/t-restore")
      t_restore=$r_s
      status=$(check_restored "$src_fp" "${db}_pg_restore" "pg_restore")
      [ "$status" = same ] || failures=1
    fi
    quiet_dropdb "${db}_pg_restore"
  fi
  rm -rf "$work/backup"
  rows+="| pg_dump -Fd / pg_restore -j $jobs | - | $b_s | $r_s | 1.00 | 1.00 | $b_rss | $r_rss |\
 $size_b | $status |"

  for mode in "${mode_list[@]}"; do
    local mode_arg=()
    [ "$mode" = default ] || mode_arg=(--blob-mode "$mode")
    rdb=${db}_dbbackup_$mode
    rm -rf "$work/backup"
    read_db_once "$db"
    b_s=failed b_rss=- r_s=- r_rss=- size_b=- status=-
    if run_step "$work/t-backup" \
        "dbbackup backup single -j $jobs ${mode_arg[*]}${dbb_args:+ $dbb_args}" \
        "$dbbackup" backup single "$db" --dir "$work/backup" -j "$jobs" "${mode_arg[@]}" \
        "${dbb_extra[@]}"; then
      b_s=$(secs_of "$work/t-backup") b_rss=$(rss_mb_of "$work/t-backup")
      size_b=$(mb_of "$(du -sb "$work/backup" | cut -f1)")
      lo_line=$(jq -r 'def v(k): if has(k) then .[k] else "?" end;
                         .large_objects // empty | [v("included"), v("mode"), v("count"),
                         v("bytes"), v("distinct"), v("saved_bytes"), (.files // [] | length)]
                         | @tsv' \
                  "$work/backup/manifest.json" 2>/dev/null || true)
      if [ -n "$lo_line" ]; then
        notes+=$(awk -F '\t' -v m="$mode" -v f="$(find "$work/backup" -type f | wc -l)" '{
          printf "- dbbackup %s: manifest large_objects: included %s, mode %s,", m, $1, $2
          printf " %s objects,", $3
          printf " %s bytes, %s distinct, %s bytes saved, %s files listed;", $4, $5, $6, $7
          printf " %d files in the backup", f }' \
          <<<"$lo_line")$'\n'
      else
        notes+="- dbbackup $mode: manifest.json has no large_objects"$'\n'
      fi
      r_s=failed
      quiet_dropdb "$rdb"
      if run_step "$work/t-restore" "dbbackup restore single -j $jobs --create" \
          "$dbbackup" restore single "$work/backup" -d "$rdb" --create -j "$jobs"; then
        r_s=$(secs_of "$work/t-restore") r_rss=$(rss_mb_of "$work/t-restore")
        status=$(check_restored "$src_fp" "$rdb" "dbbackup $mode")
        [ "$status" = same ] || failures=1
      fi
      quiet_dropdb "$rdb"
    fi
    rm -rf "$work/backup"
    rows+=$'\n'"| $(md "dbbackup -j $jobs${dbb_args:+ $dbb_args}") | $mode | $b_s | $r_s |"
    rows+=" $(ratio "$t_dump" "$b_s") | $(ratio "$t_restore" "$r_s") |"
    rows+=" $b_rss | $r_rss | $size_b | $status |"
    local what
    for what in "backup:$b_rss" "restore:$r_rss"; do
      if [ "${what#*:}" = - ]; then continue; fi
      local verdict=PASS
      below "${what#*:}" 200 || { verdict=FAIL; rss_misses=1; }
      targets+="- $verdict: dbbackup $mode ${what%%:*} peak RSS ${what#*:} MB (target: under 200"
      targets+=" MB)"$'\n'
    done
  done
  quiet_dropdb "$db"

  scen_table[$key]=$rows
  scen_notes[$key]=${notes%$'\n'}
  scen_targets[$key]=${targets%$'\n'}
  scenarios_done+=("$key")
  if [ -n "$out" ]; then write_report >"$out"; fi
}

if [ "$objects" -gt 0 ]; then
  run_scenario small blobs_small "many small objects: $objects of 1-64 KiB"
fi
if [ "$huge_mb" -gt 0 ]; then
  run_scenario huge blobs_huge "few huge objects: $huge_mb MB, objects up to $max_object_mb MB"
fi

echo
write_report
if [ -n "$out" ]; then
  echo
  echo "blobs_bench: wrote $out"
fi
if [ "$failures" = 1 ]; then
  echo "blobs_bench: FAIL: a command failed or a restored database differs from its source" \
    "(above)" >&2
  exit 1
fi
[ "$strict" = 1 ] && [ "$rss_misses" = 1 ] && exit 3
exit 0
