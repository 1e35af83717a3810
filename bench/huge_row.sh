#!/usr/bin/env bash
# One huge value: a table whose one bytea is N MB (default 700), backed up and restored by
# dbbackup, in a throwaway PostgreSQL server (scripts/lib/pg.sh). pg_dump's text COPY needs the
# value in hex, 2 x N MB in one allocation: over 1 GB (N above ~512) the server refuses it
# ("invalid memory alloc request size"), so pg_dump cannot back up such a table; COPY BINARY
# sends the value as it is.
#
#   bash bench/huge_row.sh [--mb N] [--jobs N] [--build DIR] [--out FILE.md] [--dbb-args "ARGS"]
#                          [--keep]
#
#   --mb N             size of the value, MB = 10^6 bytes (default 700; at most 1000, as a bytea
#                      is at most 1 GiB)
#   --jobs N           dbbackup -j (default 2)
#   --build DIR        dbbackup's build directory (default build/release; built here)
#   --out FILE         also write the summary as markdown to FILE
#   --dbb-args "ARGS"  more arguments for `dbbackup backup single`
#   --keep             keep the server's directory and the backup (prints where)
#
# The table: huge(id int primary key, payload bytea), payload's storage EXTERNAL (no pglz, so the
# stored size is the value's size). Row 1 holds the value, built on the server by string_agg over
# generate_series in 1000-byte pieces (no intermediate over 1 GB): the first half random
# (pgcrypto gen_random_bytes: incompressible), the second half one repeated sentence
# (compressible). Rows 2-5 are small: text, NULL, empty, 100 random bytes.
# Steps: pg_dump -Fc (its error is recorded, not fatal), dbbackup backup single -j N and
# dbbackup restore single --create -j N under GNU time (seconds, peak RSS), then length and md5
# of every row's payload in the source and the restored database. Exits 1 when they differ.
# Environment: DBB_BENCH_DIR picks the disk for the server and the backup (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  awk '/^#   bash bench\//, 0 { if (/^# The table/) exit; print }' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
mb=700
jobs=2
build=build/release
out=
dbb_args=
keep=0
# shellcheck source=scripts/lib/bench.sh
source scripts/lib/bench.sh
args=$(bench_command_line "$@")  # the command line as typed, for the report
while [ $# -gt 0 ]; do
  case $1 in
    --mb) mb=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --dbb-args) dbb_args=${2?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "huge_row: unknown argument '$1'" >&2; usage ;;
  esac
done
for n in "$mb" "$jobs"; do
  case $n in
    '' | *[!0-9]* | 0) echo "huge_row: expected a positive number, got '$n'" >&2; exit 2 ;;
  esac
done
if [ "$mb" -gt 1000 ]; then
  echo "huge_row: --mb is at most 1000 (a bytea is under 1 GiB)" >&2
  exit 2
fi
read -ra dbb_extra <<<"$dbb_args"
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  out=$(realpath "$out")
fi
command -v /usr/bin/time >/dev/null ||
  { echo "huge_row: /usr/bin/time is missing; run scripts/install-deps.sh" >&2; exit 1; }

dbbackup=$(bench_build "$build")

export TMPDIR=${DBB_BENCH_DIR:-/var/tmp}
# shellcheck source=scripts/lib/pg.sh
source scripts/lib/pg.sh
work=$(mktemp -d "$TMPDIR/dbbackup-huge-row.XXXXXX")
if [ "$keep" = 1 ]; then
  export PG_TMP_KEEP=1
  dbb_at_exit "echo 'huge_row: kept $work'"
else
  dbb_at_exit "rm -rf '$work'"
fi
pg_tmp_start

# gtime FILE CMD...: GNU time into FILE ("seconds peak_kb"); the last line counts (GNU time
# writes a line about the exit status before it when the command fails)
gtime() { local f=$1; shift; /usr/bin/time -f '%e %M' -o "$f" "$@"; }
secs_of() { tail -1 "$1" | cut -d' ' -f1; }
rss_mb_of() { tail -1 "$1" | awk '{ printf "%.0f", $2 / 1024 }'; }
mb_of() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
rows_of() {  # rows_of DB: "id length md5" of every row
  pg_sql "$1" "SELECT id, coalesce(length(payload)::text, 'null'),
                      coalesce(md5(payload), '-') FROM huge ORDER BY id" | tr '|' ' '
}

echo "== the table: one $mb MB value (half random, half text) and 4 small rows"
createdb huge
start=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d huge -v pieces="$((mb * 1000))" <<'SQL'
CREATE EXTENSION pgcrypto;
CREATE TABLE huge (id int PRIMARY KEY, payload bytea);
ALTER TABLE huge ALTER COLUMN payload SET STORAGE EXTERNAL;
INSERT INTO huge
SELECT 1, string_agg(CASE WHEN g <= :pieces / 2 THEN gen_random_bytes(1000) ELSE t.piece END,
                     ''::bytea)
FROM generate_series(1, :pieces) g,
     (SELECT convert_to(rpad('', 1000, 'dbbackup huge row: one sentence, repeated. '), 'UTF8')
             AS piece) t;
INSERT INTO huge VALUES (2, convert_to('a small row', 'UTF8')), (3, NULL), (4, ''::bytea),
                        (5, gen_random_bytes(100));
VACUUM (FREEZE, ANALYZE) huge;
CHECKPOINT;
SQL
echo "   $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
value_bytes=$(pg_sql huge "SELECT length(payload) FROM huge WHERE id = 1")
db_bytes=$(pg_sql huge "SELECT pg_database_size('huge')")
rows_of huge >"$work/source.rows"

echo "== pg_dump -Fc (expected to fail above ~512 MB)"
if gtime "$work/t-pg_dump" pg_dump -Fc -f "$work/huge.dump" huge 2>"$work/pg_dump.err"; then
  pg_dump_result="succeeded in $(secs_of "$work/t-pg_dump") s, peak RSS\
 $(rss_mb_of "$work/t-pg_dump") MB, $(mb_of "$(stat -c %s "$work/huge.dump")") MB dump"
else
  msg=$(grep -m1 -o 'ERROR: .*' "$work/pg_dump.err" || tail -1 "$work/pg_dump.err")
  pg_dump_result="failed after $(secs_of "$work/t-pg_dump") s: \`$msg\`"
fi
rm -f "$work/huge.dump"
sed 's/^/   /' "$work/pg_dump.err"
echo "   pg_dump -Fc $pg_dump_result"

echo "== dbbackup backup single -j $jobs${dbb_args:+ $dbb_args}"
gtime "$work/t-backup" "$dbbackup" backup single huge --dir "$work/backup" -j "$jobs" \
  "${dbb_extra[@]}" || { echo "huge_row: dbbackup backup failed" >&2; exit 1; }
echo "   $(secs_of "$work/t-backup") s, peak RSS $(rss_mb_of "$work/t-backup") MB"
files=$(cd "$work/backup" && find . -type f -printf '%s %P\n' | sort -k2)
n_files=$(wc -l <<<"$files")
stored_bytes=$(awk '{ s += $1 } END { print s + 0 }' <<<"$files")
file_list=$(awk 'NR <= 12 { printf "%s`%s` %.1f %s", (NR > 1 ? ", " : ""), $2,
                             ($1 >= 1e6 ? $1 / 1e6 : $1 / 1e3), ($1 >= 1e6 ? "MB" : "kB") }
                 END { if (NR > 12) printf ", ... (%d more)", NR - 12 }' <<<"$files")

echo "== dbbackup restore single --create -j $jobs"
gtime "$work/t-restore" "$dbbackup" restore single "$work/backup" -d huge_restored --create \
  -j "$jobs" || { echo "huge_row: dbbackup restore failed" >&2; exit 1; }
echo "   $(secs_of "$work/t-restore") s, peak RSS $(rss_mb_of "$work/t-restore") MB"

echo "== compare: length and md5 of every row's payload"
rows_of huge_restored >"$work/restored.rows"
if diff -u "$work/source.rows" "$work/restored.rows" >&2; then
  check="PASS: the restored table is identical (length and md5 of every payload, $(wc -l \
<"$work/source.rows") rows)"
else
  check="FAIL: the restored table DIFFERS from the source (above: source vs restored)"
fi
echo "$check"

report="## One huge value: a $(mb_of "$value_bytes") MB bytea

Command: \`bash bench/huge_row.sh $args\` ($(date -u +%Y-%m-%d))

- Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)\
 RAM; PostgreSQL $(pg_sql postgres 'SHOW server_version'), $("$dbbackup" --version | head -1)
- Table: \`huge(id int primary key, payload bytea)\`, storage EXTERNAL; row 1: $value_bytes bytes\
 (half random, half repeated text), rows 2-5 small; database $(mb_of "$db_bytes") MB
- pg_dump -Fc: $pg_dump_result
- dbbackup backup: $n_files files, $(mb_of "$stored_bytes") MB: $file_list

| step | seconds | peak RSS MB |
|---|---|---|
| dbbackup backup single -j $jobs${dbb_args:+ $dbb_args} | $(secs_of "$work/t-backup") |\
 $(rss_mb_of "$work/t-backup") |
| dbbackup restore single --create -j $jobs | $(secs_of "$work/t-restore") |\
 $(rss_mb_of "$work/t-restore") |

- $check"
echo
echo "$report"
if [ -n "$out" ]; then
  echo "$report" >"$out"
  echo
  echo "huge_row: wrote $out"
fi
case $check in FAIL*) exit 1 ;; esac
exit 0
