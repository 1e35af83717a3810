# shellcheck shell=bash
# The raw COPY reference of the benchmarks: what the server can send, with no client work beyond
# psql reading the stream into /dev/null. Source this file (PG* variables set, e.g. by
# scripts/lib/pg.sh), then:
#
#   raw_copy_plan DB JOBS DIR       writes DIR/raw-0.sql .. DIR/raw-<JOBS-1>.sql: one
#                                   `COPY ... TO STDOUT (FORMAT binary)` per table (plain tables
#                                   and leaf partitions), largest first, each dealt to the file
#                                   with the fewest bytes so far; fewer files when there are fewer
#                                   tables than JOBS
#   raw_copy_run DB DIR [PREFIX]    runs every DIR/raw-*.sql at once, one psql session each, output
#                                   to /dev/null; with PREFIX, each psql under GNU time
#                                   (RAW_COPY_TIME, default /usr/bin/time) -f '%e %M %U %S'
#                                   -o PREFIX-I; returns 1 when a session failed (124 when
#                                   RAW_COPY_TIMEOUT_S is set and a session ran past it: each
#                                   session then runs under `timeout` and is stopped)
#
# raw_copy_run waits for the sessions it started, by PID, never with a bare `wait` (a caller that
# did `exec > >(tee LOG)` would wait for the tee forever).

raw_copy_plan() {
  local db=$1 jobs=$2 dir=$3
  rm -f "$dir"/raw-*.sql
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "
    SELECT format('%I.%I', n.nspname, c.relname), pg_table_size(c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_temp%'
    ORDER BY 2 DESC, 1" | awk -F'|' -v n="$jobs" -v dir="$dir" '
    { best = 0
      for (i = 1; i < n; i++) if (load[i] < load[best]) best = i
      load[best] += $2
      printf "COPY %s TO STDOUT (FORMAT binary);\n", $1 > (dir "/raw-" best ".sql") }'
}

raw_copy_run() {
  local db=$1 dir=$2 prefix=${3:-} file i pid status rc=0
  local -a pids=() cmd
  for file in "$dir"/raw-*.sql; do
    [ -f "$file" ] || continue
    i=${file##*/raw-}
    i=${i%.sql}
    cmd=(psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$file")
    [ -z "${RAW_COPY_TIMEOUT_S:-}" ] || cmd=(timeout -k 5 "$RAW_COPY_TIMEOUT_S" "${cmd[@]}")
    if [ -n "$prefix" ]; then
      "${RAW_COPY_TIME:-/usr/bin/time}" -f '%e %M %U %S' -o "$prefix-$i" "${cmd[@]}" >/dev/null &
    else
      "${cmd[@]}" >/dev/null &
    fi
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    status=0
    wait "$pid" || status=$?
    case $status in
      0) ;;
      124 | 137) rc=124 ;;
      *) [ "$rc" = 124 ] || rc=1 ;;
    esac
  done
  return "$rc"
}
