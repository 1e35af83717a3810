# shellcheck shell=bash
# Compares two databases independently of dbbackup, with psql and pg_dump only. Source this file
# (after scripts/lib/pg.sh, or with PG* variables set), then:
#
#   db_fingerprint DB FILE     one line per table: "schema.table rows md5", where md5 is over the
#                              sorted md5s of every row's text form (independent of row order),
#                              then one line per sequence: "schema.seq last_value", then
#                              "large_objects count md5" over every object's OID, owner, ACL,
#                              comment and content md5 (objects under 1 GB)
#   db_schema DB FILE          pg_dump --schema-only, without the lines that differ on every run
#   db_compare DB1 DB2 DIR     both of the above for both databases (files in DIR); prints what
#                              differs and returns 1 when anything does

_dbc_psql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

db_fingerprint() {
  local db=$1 out=$2 table
  : >"$out"
  # Every table that holds rows: plain tables and leaf partitions (relkind r), not the
  # partitioned parents (their rows are in the partitions), not the catalogs.
  _dbc_psql -d "$db" -c "
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
    ORDER BY 1" >"$out.tables"
  while IFS= read -r table; do
    _dbc_psql -F ' ' -d "$db" -c "
      SELECT '$table', count(*),
             coalesce(md5(string_agg(h, '' ORDER BY h)), '-')
      FROM (SELECT md5(t::text) AS h FROM ONLY $table t) r" >>"$out"
  done <"$out.tables"
  rm -f "$out.tables"
  _dbc_psql -F ' ' -d "$db" -c "
    SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value::text, 'unused')
    FROM pg_sequences ORDER BY 1" >>"$out"
  _dbc_psql -F ' ' -d "$db" -c "
    SELECT 'large_objects', count(*), coalesce(md5(string_agg(concat_ws(' ', l.oid,
             pg_get_userbyid(l.lomowner), coalesce(l.lomacl::text, '-'),
             coalesce(obj_description(l.oid, 'pg_largeobject'), '-'), md5(lo_get(l.oid))),
             ',' ORDER BY l.oid)), '-')
    FROM pg_largeobject_metadata l" >>"$out"
}

db_schema() {
  local db=$1 out=$2
  # pg_dump 15.14 and later write a random \restrict key into every plain dump.
  pg_dump --schema-only --no-sync -d "$db" | sed -E '/^\\(un)?restrict /d' >"$out"
}

db_compare() {
  local a=$1 b=$2 dir=$3 rc=0
  db_fingerprint "$a" "$dir/$a.fingerprint"
  db_fingerprint "$b" "$dir/$b.fingerprint"
  if ! diff -u "$dir/$a.fingerprint" "$dir/$b.fingerprint" >"$dir/fingerprint.diff"; then
    echo "compare: table contents or sequences differ between $a and $b:" >&2
    head -40 "$dir/fingerprint.diff" >&2
    rc=1
  fi
  db_schema "$a" "$dir/$a.schema.sql"
  db_schema "$b" "$dir/$b.schema.sql"
  if ! diff -u "$dir/$a.schema.sql" "$dir/$b.schema.sql" >"$dir/schema.diff"; then
    echo "compare: pg_dump --schema-only differs between $a and $b:" >&2
    head -60 "$dir/schema.diff" >&2
    rc=1
  fi
  return "$rc"
}
