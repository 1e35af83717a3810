#!/usr/bin/env bash
# Creates the built-in sample database: about SIZE_MB megabytes (10^6 bytes, as
# pg_database_size counts them), generated on the server with generate_series.
#
#   bash scripts/sample-db.sh [--replace] [--seed 0.42] [--small-tables N] DBNAME SIZE_MB
#
#   --small-tables N  also create N small tables small.t0001 .. small.tN (default 0: none)
#
# Connects with the usual PG* variables (scripts/lib/pg.sh sets them for its throwaway server).
# Half of the size is the bytea-heavy table `blobs` (values of 2 KB to 4 MB, log-uniform; odd ids
# are AES output, i.e. incompressible like stored images or archives, even ids are log/JSON text,
# compressible several times). The column's storage is EXTERNAL (no pglz), so the database size
# follows the data size. The other half is mixed tables: `customers` (identity key, text, char,
# date, numeric, float8, bool, text[], jsonb), `orders` (partitioned by year, a FK to customers,
# a default from the sequence invoice_no_seq, int[], real), `events` (bigserial, uuid, inet,
# interval, jsonb, smallint), `archive."Order Notes"` (a quoted name in a second schema),
# `edge_cases` (NULLs, NaN, infinities, empty arrays, control and non-ASCII characters, NUL bytes
# in bytea, a 1 MB pglz-compressed text), `empty_table`, and `documents` referencing 200 large
# objects (text of 0.3 to 20 KB, one with a comment, one granted to PUBLIC); indexes, a view and
# pgcrypto.
# With --small-tables N, the schema `small` holds N more tables (many-small-tables workloads: per
# table overhead): int primary key, text, numeric, timestamptz, boolean, a nullable text; 10 to
# 500 rows each, about 0.1 MB each on disk. Their size (catalog entries included, measured) is taken
# from the budget before it is halved, so the database still comes out at about SIZE_MB.
#
# The data is deterministic for a given seed and size (setseed; the AES keys derive from the ids),
# so two runs build the same database.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
replace=0
seed=0.42
small_tables=0
while [ $# -gt 0 ]; do
  case $1 in
    --replace) replace=1; shift ;;
    --seed) seed=${2:?--seed needs a value in [-1, 1]}; shift 2 ;;
    --small-tables) small_tables=${2:?--small-tables needs a count}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "sample-db: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
db=$1
size_mb=$2
case $size_mb in
  ''|*[!0-9]*) echo "sample-db: SIZE_MB must be a whole number, got '$size_mb'" >&2; exit 2 ;;
esac
[ "$size_mb" -ge 16 ] || { echo "sample-db: SIZE_MB must be at least 16" >&2; exit 2; }
case $small_tables in
  ''|*[!0-9]*) echo "sample-db: --small-tables must be a whole number, got '$small_tables'" >&2
               exit 2 ;;
esac

psql_base=(psql -X -q -v ON_ERROR_STOP=1)
exists=$("${psql_base[@]}" -At -d postgres -v db="$db" 2>&1 \
  <<<"SELECT count(*) FROM pg_database WHERE datname = :'db'") || {
  echo "sample-db: cannot reach PostgreSQL: $exists" >&2
  exit 1
}
if [ "$exists" != 0 ]; then
  if [ "$replace" = 1 ]; then
    dropdb --force "$db"
  else
    echo "sample-db: database \"$db\" exists; use --replace to drop and rebuild it" >&2
    exit 1
  fi
fi
createdb "$db"

# Five SQL scripts: one that every session starts with, then the shared tables the data is made
# from, then two halves in parallel (one session per CPU of a 2-CPU machine), then what joins
# them. Each session seeds random() itself, so the data does not depend on their timing.
common=$(cat <<'SQL'
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;  -- one process, so random() runs in one fixed order
SET synchronous_commit = off;
\if :{?timing}
\timing on
\endif
-- Budgets in bytes: half for blobs, half for the mixed tables (rows + indexes).
-- An empty database takes about 7.5 MB (the catalog).
-- The small tables (--small-tables), created first, come off the top.
SELECT (((:size_mb - 7.5) * 1000000 - :small_bytes) * 0.50)::bigint AS blob_budget,
       (((:size_mb - 7.5) * 1000000 - :small_bytes) * 0.50)::bigint AS mixed_budget \gset
-- Per-row on-disk bytes of the mixed tables, measured with this script (rows + indexes).
SELECT greatest(2, (:mixed_budget * 0.10 / 390)::bigint) AS n_customers,
       greatest(4, (:mixed_budget * 0.40 / 195)::bigint) AS n_orders,
       greatest(4, (:mixed_budget * 0.50 / 300)::bigint) AS n_events \gset
SQL
)
setup=$(cat <<'SQL'
CREATE EXTENSION pgcrypto;

-- ---- a 16 MB corpus of log and JSON lines: the compressible blobs are slices of it
CREATE TABLE sample_words (i int PRIMARY KEY, w text NOT NULL);
INSERT INTO sample_words
SELECT i - 1, w FROM unnest(string_to_array(
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november ' ||
  'oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu invoice ' ||
  'payment refund shipment customer order account session login logout checkout cart ' ||
  'warehouse billing report export import sync retry timeout accepted rejected pending',
  ' ')) WITH ORDINALITY AS t(w, i);
SELECT count(*) AS n_words FROM sample_words \gset
SELECT setseed(:seed) AS seeded \gset
CREATE TABLE sample_corpus (c bytea);
ALTER TABLE sample_corpus ALTER COLUMN c SET STORAGE EXTERNAL;  -- lets substring() read slices
INSERT INTO sample_corpus
SELECT convert_to(string_agg(
  CASE WHEN g % 3 = 0 THEN
    format(E'{"ts":"%s","level":"%s","service":"%s","user":%s,"event":"%s","amount":%s,"tags":["%s","%s"]}\n',
      to_char(timestamp '2024-01-01' + g * interval '1.37 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      (ARRAY['INFO','INFO','INFO','WARN','DEBUG','ERROR'])[1 + (random() * 5)::int],
      x.wa[1 + (random() * (:n_words - 1))::int],
      (random() * 99999)::int,
      x.wa[1 + (random() * (:n_words - 1))::int],
      round((random() * 10000)::numeric, 2),
      x.wa[1 + (random() * (:n_words - 1))::int],
      x.wa[1 + (random() * (:n_words - 1))::int])
  ELSE
    format(E'%s %s [%s] user=%s action=%s_%s status=%s duration_ms=%s path=/api/v1/%s/%s\n',
      to_char(timestamp '2024-01-01' + g * interval '1.37 second', 'YYYY-MM-DD HH24:MI:SS.MS'),
      (ARRAY['INFO','INFO','INFO','WARN','DEBUG','ERROR'])[1 + (random() * 5)::int],
      x.wa[1 + (random() * (:n_words - 1))::int],
      (random() * 99999)::int,
      x.wa[1 + (random() * (:n_words - 1))::int],
      x.wa[1 + (random() * (:n_words - 1))::int],
      (ARRAY[200, 200, 200, 201, 204, 302, 400, 404, 500])[1 + (random() * 8)::int],
      (random() * 2500)::int,
      x.wa[1 + (random() * (:n_words - 1))::int],
      (random() * 999999)::int)
  END, '' ORDER BY g), 'UTF8')
FROM generate_series(1, 150000) g, (SELECT array_agg(w ORDER BY i) AS wa FROM sample_words) x;
SQL
)
lookups=$(cat <<'SQL'
SELECT count(*) AS n_words FROM sample_words \gset
SELECT length(c) AS corpus_len FROM sample_corpus \gset
SQL
)
part_files=$(cat <<'SQL'
SELECT setseed(:seed) AS seeded \gset
-- ---- blobs: sizes log-uniform between 2 KB and 4 MB (at most a sixteenth of the budget), until
-- the budget is used up. Ids 2k-1 (incompressible) and 2k (text) have the same size, so each
-- kind is half of the bytes.
CREATE TEMP TABLE blob_sizes AS
SELECT 2 * pair - k AS id, size, sum(size) OVER (ORDER BY pair) AS running
FROM (SELECT pair,
             least((2048 * power(2, random() * 11))::bigint,
                   greatest(2048, :blob_budget / 16), :corpus_len - 1)::int AS size
      FROM generate_series(1, 500000) pair) s, (VALUES (0), (1)) k(k);
DELETE FROM blob_sizes WHERE running > :blob_budget AND id > 2;

CREATE TABLE blobs (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  mime text NOT NULL,
  compressible boolean NOT NULL,
  created_at timestamptz NOT NULL,
  data bytea NOT NULL
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
COMMENT ON TABLE blobs IS 'files: odd ids incompressible, even ids text';
INSERT INTO blobs
SELECT b.id,
       format('file-%s.%s', b.id, CASE WHEN b.id % 2 = 1 THEN 'jpg' ELSE 'log' END),
       CASE WHEN b.id % 2 = 1 THEN 'image/jpeg' ELSE 'text/plain' END,
       b.id % 2 = 0,
       timestamptz '2023-01-01 00:00:00+00' + b.id * interval '17 minutes',
       CASE WHEN b.id % 2 = 1 THEN
         substring(encrypt(substring(c.c FROM 1 + ((b.id * 7919) % (:corpus_len - b.size))::int FOR b.size),
                           sha256(int8send(b.id)), 'aes') FROM 1 FOR b.size)
       ELSE
         substring(c.c FROM 1 + (random() * (:corpus_len - b.size))::int FOR b.size)
       END
FROM blob_sizes b, sample_corpus c;

-- ---- mixed tables, part 1 (keys and indexes are added after the load: faster)
CREATE TABLE events (
  id bigserial,
  customer_id bigint,
  kind smallint NOT NULL,
  at timestamptz NOT NULL,
  session uuid,
  ip inet,
  duration interval,
  payload jsonb,
  raw text
);
INSERT INTO events (customer_id, kind, at, session, ip, duration, payload, raw)
SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (random() * (:n_customers - 1))::bigint END,
       (random() * 40)::smallint,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '2.5 seconds',
       md5(g::text)::uuid,
       format('10.%s.%s.%s', g % 256, (g / 256) % 256, (g / 65536) % 256)::inet,
       (random() * 3600) * interval '1 second',
       jsonb_build_object('page', '/shop/' || w, 'ms', (random() * 900)::int,
                          'ok', random() < 0.95, 'ab', (ARRAY['a','b'])[1 + g % 2]),
       format('%s %s %s', w, md5((g * 31)::text), w)
FROM (SELECT g, x.wa[1 + (random() * (:n_words - 1))::int] AS w
      FROM generate_series(1, :n_events) g,
           (SELECT array_agg(w ORDER BY i) AS wa FROM sample_words) x) s;
ALTER TABLE events ADD PRIMARY KEY (id);  -- its foreign key comes last
CREATE INDEX events_at_idx ON events (at);
CREATE INDEX events_customer_idx ON events (customer_id, at);
SQL
)
part_business=$(cat <<'SQL'
SELECT setseed(:seed / 2) AS seeded \gset
-- ---- mixed tables, part 2 (keys, foreign keys and indexes are added after the load: faster)
CREATE SEQUENCE invoice_no_seq START 100000 INCREMENT 3;

CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  email text,
  country char(2),
  created_at timestamptz NOT NULL,
  birth_date date,
  balance numeric(14, 2),
  score double precision,
  active boolean NOT NULL DEFAULT true,
  tags text[],
  profile jsonb
);
INSERT INTO customers (name, email, country, created_at, birth_date, balance, score, active, tags, profile)
SELECT initcap(w1) || ' ' || initcap(w2) || ' ' || g,
       CASE WHEN g % 50 = 0 THEN NULL ELSE format('%s.%s%s@example.com', w1, w2, g) END,
       (ARRAY['DE','FR','US','GB','JP','BR','IN','IT','ES','NL'])[1 + g % 10],
       timestamptz '2015-01-01 00:00:00+00' + (random() * 3000) * interval '1 day',
       CASE WHEN g % 7 = 0 THEN NULL ELSE date '1950-01-01' + (random() * 20000)::int END,
       round((random() * 2000000 - 1000000)::numeric, 2),
       random() * 100,
       g % 13 <> 0,
       ARRAY[w1, w2],
       jsonb_build_object('plan', (ARRAY['free','pro','team','enterprise'])[1 + g % 4],
                          'newsletter', g % 3 = 0,
                          'visits', (random() * 500)::int,
                          'address', jsonb_build_object('city', initcap(w2) || 'ville',
                                                        'zip', lpad(((random() * 99999)::int)::text, 5, '0')))
FROM (SELECT g, x.wa[1 + (random() * (:n_words - 1))::int] AS w1,
                x.wa[1 + (random() * (:n_words - 1))::int] AS w2
      FROM generate_series(1, :n_customers) g,
           (SELECT array_agg(w ORDER BY i) AS wa FROM sample_words) x) s;
ALTER TABLE customers ADD PRIMARY KEY (id), ADD UNIQUE (email);

CREATE TABLE orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL,
  ordered_at timestamptz NOT NULL,
  status text NOT NULL,
  invoice_no bigint NOT NULL DEFAULT nextval('invoice_no_seq'),
  amount numeric(12, 2) NOT NULL,
  quantity integer,
  items integer[],
  discount real,
  note text
) PARTITION BY RANGE (ordered_at);
CREATE TABLE orders_2021 PARTITION OF orders FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE orders_2022 PARTITION OF orders FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE orders_2023 PARTITION OF orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_default PARTITION OF orders DEFAULT;
INSERT INTO orders (id, customer_id, ordered_at, status, amount, quantity, items, discount, note)
SELECT g,
       1 + (random() * (:n_customers - 1))::bigint,
       timestamptz '2020-10-01 00:00:00+00' + (random() * 1600) * interval '1 day',
       (ARRAY['new','paid','shipped','delivered','cancelled','refunded'])[1 + (random() * 5)::int],
       round((random() * 5000)::numeric, 2),
       1 + (random() * 20)::int,
       ARRAY[(random() * 1000)::int, (random() * 1000)::int, (random() * 1000)::int],
       CASE WHEN g % 4 = 0 THEN (random() * 0.3)::real END,
       CASE WHEN g % 5 = 0 THEN 'deliver to the back door, ring twice' END
FROM generate_series(1, :n_orders) g;
ALTER TABLE orders ADD PRIMARY KEY (id, ordered_at),
  ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE SCHEMA archive;
CREATE TABLE archive."Order Notes" (
  "Order Id" bigint PRIMARY KEY,
  "Note" text NOT NULL
);
INSERT INTO archive."Order Notes"
SELECT g, format(E'note %s: "quoted", tab\there, back\\slash, ünïcødé ✓', g)
FROM generate_series(1, greatest(10, :n_orders / 100)) g;

CREATE TABLE edge_cases (
  id integer PRIMARY KEY,
  t text,
  b bytea,
  n numeric,
  f double precision,
  r real,
  ts timestamptz,
  d date,
  arr integer[],
  tarr text[],
  j jsonb
);
INSERT INTO edge_cases VALUES
  (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (2, '', ''::bytea, 0, 0, -0, 'epoch', '0001-01-01', '{}', '{}', '{}'),
  (3, E'tab\tnew\nline\rcr back\\slash', '\x00ff00ff'::bytea, 'NaN', 'NaN', 'Infinity',
   'infinity', 'infinity', '{NULL,1}', '{NULL,"a,b","c\"d"}', '[]'),
  (4, 'ünïcødé ✓ 中文 😀', decode('00000000', 'hex'), '-123456789012345678901234567890.123456789',
   '-Infinity', 1e-38, '-infinity', '-infinity', '{{1,2},{3,4}}', '{"",""}',
   '{"a": [1, 2, {"b": null}], "c": "\u00e9"}'),
  (5, repeat('compressible text ', 60000), NULL, 1e100, 1.7976931348623157e308, 3.4e38,
   '1999-12-31 23:59:59.999999+00', '4713-01-01 BC', ARRAY[2147483647, -2147483648], NULL, 'null');

CREATE TABLE empty_table (id integer PRIMARY KEY, v text);
SQL
)
# --small-tables: one CREATE, INSERT and VACUUM per table, each its own transaction (\gexec), so
# that thousands of tables do not need thousands of locks in one transaction. The contents derive
# from the table and row numbers only (no random()).
small=$(cat <<'SQL'
SET client_min_messages = warning;
SET synchronous_commit = off;
SELECT greatest(4, length(:'small_tables')) AS width \gset
CREATE SCHEMA small;
COMMENT ON SCHEMA small IS 'many small tables (scripts/sample-db.sh --small-tables)';
SELECT format('CREATE TABLE small.%I (id integer PRIMARY KEY, code text NOT NULL, '
              'amount numeric(10, 2), at timestamptz NOT NULL, ok boolean NOT NULL, note text)',
              t),
       format('INSERT INTO small.%I SELECT g, %L || g, ((g * 7919 + %s) %% 100000) / 100.0, '
              'timestamptz ''2024-01-01 00:00:00+00'' + (g * %s) * interval ''1 minute'', '
              '(g + %s) %% 3 <> 0, CASE WHEN g %% 5 = 0 THEN NULL '
              'ELSE md5((%s * 1000 + g)::text) END FROM generate_series(1, %s) g',
              t, 'item-' || i || '-', i, i, i, i, 10 + (i * 7919) % 491),
       -- here, so that the measured size includes the free space and visibility maps
       format('VACUUM (FREEZE, ANALYZE) small.%I', t)
FROM (SELECT i, 't' || lpad(i::text, :width, '0') AS t
      FROM generate_series(1, :small_tables) i) s \gexec
SQL
)
finish=$(cat <<'SQL'
ALTER TABLE events ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE VIEW customer_totals AS
SELECT c.id, c.name, count(o.id) AS orders, coalesce(sum(o.amount), 0) AS total
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.name;
-- Large objects: documents an application keeps by OID (text of 0.3 to 20 KB), one with a
-- comment and one readable by everyone.
CREATE TABLE documents (id integer PRIMARY KEY, customer_id integer, content oid, title text);
INSERT INTO documents
SELECT g, g, lo_from_bytea(0, convert_to(repeat(format('document %s: page text. ', g), 10 + g % 800),
                                         'UTF8')), format('document %s', g)
FROM generate_series(1, 200) g;
SELECT format('COMMENT ON LARGE OBJECT %s IS %L', content, 'the first document') FROM documents
WHERE id = 1 \gexec
SELECT format('GRANT SELECT ON LARGE OBJECT %s TO PUBLIC', content) FROM documents
WHERE id = 2 \gexec
DROP TABLE sample_words, sample_corpus;
SQL
)
run_sql() {  # run_sql SCRIPT...: the common part, then the scripts, in one psql session
  printf '%s\n' "$common" "$@" |
    "${psql_base[@]}" -d "$db" -v size_mb="$size_mb" -v seed="$seed" \
      -v small_bytes="$small_bytes" ${SAMPLE_DB_TIMING:+-v timing=1}
}
db_bytes() { "${psql_base[@]}" -At -d "$db" -c 'SELECT pg_database_size(current_database())'; }

start=$(date +%s.%N)
small_bytes=0
if [ "$small_tables" -gt 0 ]; then
  before=$(db_bytes)
  "${psql_base[@]}" -d "$db" -v small_tables="$small_tables" <<<"$small"
  small_bytes=$(( $(db_bytes) - before ))
  if [ "$small_bytes" -gt $(( size_mb * 1000000 - 7500000 )) ]; then
    echo "sample-db: warning: the $small_tables small tables alone take" \
         "$((small_bytes / 1000000)) MB (about 0.1 MB each); the database will be larger than" \
         "$size_mb MB" >&2
  fi
fi
run_sql "$setup"
run_sql "$lookups" "$part_files" &
files_pid=$!
run_sql "$lookups" "$part_business" &
business_pid=$!
rc=0
wait "$files_pid" || rc=$?
wait "$business_pid" || rc=$?
[ "$rc" = 0 ] || { echo "sample-db: generating \"$db\" failed (see above)" >&2; exit 1; }
run_sql "$finish"

# Hint bits, visibility map and statistics, so that the first reader does not pay for them.
vacuumdb -q -j 2 --freeze --analyze -d "$db"
"${psql_base[@]}" -d "$db" -c CHECKPOINT
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
"${psql_base[@]}" -d "$db" -v db="$db" -At -F ' ' <<'SQL' | while read -r size rows tables; do
SELECT round(pg_database_size(:'db') / 1e6),
       (SELECT sum(n_live_tup) FROM pg_stat_user_tables),
       (SELECT count(*) FROM pg_stat_user_tables)
SQL
  echo "sample-db: \"$db\": $size MB (target $size_mb MB), $tables tables, $rows rows, ${elapsed} s"
done
