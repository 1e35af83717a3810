-- The generated source database of the round-trip tests: every built-in type with its edge
-- values, awkward identifiers, and each kind of object that a logical backup must carry over
-- (partitions, inheritance, unlogged, generated and identity columns, sequences in every state,
-- views and materialized views, constraints, indexes, a trigger, comments, grants, RLS).
-- Loaded with psql -v ON_ERROR_STOP=1 into an empty database, optionally followed by
-- generated_bulk.sql (tens of MiB more). Needs PostgreSQL 14+.

SET client_min_messages = warning;

-- Roles are cluster-wide: created once per server.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbb_it_reader') THEN
    CREATE ROLE dbb_it_reader;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbb it "writer"') THEN
    CREATE ROLE "dbb it ""writer""";
  END IF;
END
$$;

CREATE SCHEMA app;
CREATE SCHEMA "Odd Schema";
CREATE SCHEMA "we.ird ""sch""";
COMMENT ON SCHEMA app IS 'application tables';

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'ünïcode ☺');
CREATE DOMAIN app.posint AS integer CHECK (VALUE > 0);
CREATE TYPE app.pair AS (a integer, b text);

-- Every built-in type, one column each.
CREATE TABLE app.types (
  id integer PRIMARY KEY,
  b boolean,
  i2 smallint,
  i4 integer,
  i8 bigint,
  n numeric,
  n2 numeric(12, 4),
  f4 real,
  f8 double precision,
  m money,
  ch "char",
  c char(5),
  vc varchar(20),
  t text,
  tc text COLLATE "C",
  by bytea,
  d date,
  tm time,
  tmtz timetz,
  ts timestamp,
  tstz timestamptz,
  iv interval,
  u uuid,
  ip inet,
  cn cidr,
  mac macaddr,
  mac8 macaddr8,
  bt bit(8),
  vb varbit(16),
  j json,
  jb jsonb,
  ia integer[],
  ta text[],
  md integer[][],
  ba bytea[],
  r int4range,
  nr numrange,
  tsr tstzrange,
  dr daterange,
  mr int4multirange,
  o oid,
  lsn pg_lsn,
  pt point,
  bx box,
  ci circle,
  pth path,
  tsv tsvector,
  tsq tsquery,
  mood app.mood,
  pr app.pair,
  pi app.posint
);
COMMENT ON TABLE app.types IS 'one column per built-in type';
COMMENT ON COLUMN app.types.by IS 'bytea, "quoted" comment with ''apostrophes''';

-- Row 1: every column NULL.
INSERT INTO app.types (id) VALUES (1);
-- Row 2: the largest, smallest and special values.
INSERT INTO app.types VALUES (
  2, true, 32767, 2147483647, 9223372036854775807,
  'NaN', 99999999.9999, 'Infinity', '-Infinity',
  '92233720368547758.07', 'z', 'abc', 'x', '', '', '\x',
  'infinity', '24:00:00', '00:00:00+14', 'infinity', '-infinity', '178000000 years',
  '00000000-0000-0000-0000-000000000000', '::1', '::/0', '08:00:2b:01:02:03',
  '08:00:2b:01:02:03:04:05', B'11111111', B'', '{}', '{}',
  '{}', '{}', '{{1,2},{3,4}}', '{}',
  'empty', '(,)', '[2020-01-01 00:00:00+00,infinity)', '[-infinity,infinity)', '{}',
  4294967295, 'FFFFFFFF/FFFFFFFF', '(0,0)', '((0,0),(0,0))', '<(0,0),0>', '[(0,0)]',
  '', 'a & b', 'ünïcode ☺', ROW(NULL, NULL), 2147483647);
-- Row 3: the other extremes, and strings that COPY text format must escape.
INSERT INTO app.types VALUES (
  3, false, -32768, -2147483648, -9223372036854775808,
  'Infinity', -99999999.9999, 'NaN', 'NaN',
  '-92233720368547758.08', E'\\', E'a\tb', E'\\N', E'\\N', 'NULL',
  '\x00ff5c0a0d09',
  '-infinity', '00:00:00', '23:59:59.999999-14', '-infinity', 'infinity', '-178000000 years',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255/32', '10.0.0.0/8',
  'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff', B'00000000', B'1010101010101010',
  '{"a": "\u00e9\ud83d\ude00", "b": [1, 2.50, null],   "a": "dup key kept by json"}',
  '{"nested": {"deep": [true, false, null, 1e300, -0.0, "\\\"quoted\\\""]}}',
  '{NULL,1,NULL}', '{"a,b","c\"d",NULL,"NULL","",\\\\}', '[0:1][5:6]={{1,NULL},{3,4}}',
  '{NULL,"\\\\x00",""}',
  '(,5]', '[1.5,)', '(,)', '[4713-01-01 BC,5874897-12-30]', '{[1,3),[5,7),[9,)}',
  0, '0/0', '(-1.5e300,NaN)', '((1,1),(-1,-1))', '<(1,2),3.5>', '((0,0),(1,1),(2,0))',
  'a:1A fat:2B cat', '!(a | b) <-> c', 'sad', ROW(-1, E'line\nbreak'), 1);
-- Row 4: unicode and control characters.
INSERT INTO app.types (id, t, tc, vc, c, ta, j, jb) VALUES (
  4,
  E'emoji 😀👍🏽 flags 🇫🇷 zwj 👩‍👩‍👧 combining e\u0301 n\u0303 CJK 漢字 RTL עברית العربية',
  E'tab\there\nnewline\rcr\\backslash \x01\x1f end',
  'ñandú', 'é', ARRAY[E'e\u0301', '😀', E'\\', '"', ' spaced '],
  '"just a string"', '"😀"');
-- Rows 100..5099: ordinary varied values, for volume.
INSERT INTO app.types
SELECT g, g % 2 = 0, (g % 32767)::smallint, g * 7, g::bigint * 1000003,
  (g * 1.1)::numeric / 7, round(g / 3.0, 4), g / 7.0, sqrt(g::float8), g * 0.01,
  chr(65 + g % 26)::"char", lpad((g % 1000)::text, 5), 'v' || g, repeat('text ' || g, g % 20),
  md5(g::text), decode(md5(g::text), 'hex'),
  date '2000-01-01' + g, time '00:00' + g * interval '17 seconds',
  (time '00:00' + g * interval '13 seconds')::timetz,
  timestamp '1999-12-31 23:59:59.123456' + g * interval '1 hour 1.5 seconds',
  timestamptz '1970-01-01 00:00:00+00' + g * interval '1 day 37 minutes',
  make_interval(0, g % 12, 0, g % 30, g % 24, g % 60, g / 1000.0),
  md5(g::text)::uuid, ('10.' || g % 256 || '.' || g / 256 % 256 || '.1')::inet,
  ('10.' || g % 256 || '.0.0/16')::cidr,
  ('08:00:2b:' || lpad(to_hex(g % 256), 2, '0') || ':00:01')::macaddr, NULL,
  (g % 256)::bit(8), (g % 65536)::bit(16)::varbit,
  json_build_object('g', g, 's', 'x' || g), jsonb_build_object('g', g, 'arr', ARRAY[g, g + 1]),
  ARRAY[g, NULL, g + 1], ARRAY['a' || g, NULL], ARRAY[[g, g], [g + 1, g + 1]],
  ARRAY[decode(md5(g::text), 'hex'), NULL],
  int4range(g, g + 10), numrange(g / 3.0, g / 2.0, '[]'),
  tstzrange(timestamptz '2020-01-01 00:00+00' + g * interval '1 minute', NULL),
  daterange(date '2020-01-01', date '2020-01-01' + g), int4multirange(int4range(g, g + 2)),
  g::oid, ('0/' || to_hex(g))::pg_lsn, point(g, -g), box(point(g, g), point(0, 0)),
  circle(point(g, 0), g), path(polygon(box(point(0, 0), point(g, g)))),
  to_tsvector('simple', 'word' || g || ' other'), to_tsquery('simple', 'word' || g),
  (ARRAY['sad', 'ok', 'happy']::app.mood[])[1 + g % 3], ROW(g, 'p' || g)::app.pair, g
FROM generate_series(100, 5099) AS g;

-- User-defined types inside arrays, composites and ranges: their binary form carries type OIDs,
-- which differ in the restored database.
CREATE TYPE app.nested AS (m app.mood, ps app.posint[], p app.pair);
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE app.usertypes (
  id integer PRIMARY KEY,
  moods app.mood[],
  pairs app.pair[],
  nest app.nested,
  nests app.nested[],
  ps app.posint[],
  fr app.floatrange,
  frs app.floatrange[],
  fmr app.floatmultirange
);
INSERT INTO app.usertypes VALUES
  (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (2, '{sad,NULL,happy}', ARRAY[ROW(1, 'a')::app.pair, NULL, ROW(NULL, E'q"\\')::app.pair],
   ROW('ok', '{1,2}', ROW(3, 'x'))::app.nested,
   ARRAY[ROW('sad', NULL, NULL)::app.nested, ROW(NULL, '{5}', ROW(6, NULL))::app.nested],
   '{{1,2},{3,4}}', '[1.5,2.5)', '{"[1,2)","(,0]",empty}', '{[1,2),[3,4)}');
INSERT INTO app.usertypes
SELECT g, ARRAY[(ARRAY['sad', 'ok', 'happy']::app.mood[])[1 + g % 3]], ARRAY[ROW(g, 'p')::app.pair],
       ROW('happy', ARRAY[g], ROW(g, 'n'))::app.nested, NULL, ARRAY[g, g + 1],
       app.floatrange(g, g + 0.5), NULL, NULL
FROM generate_series(3, 300) AS g;

-- A type without binary send/receive: its table must be copied in text format. The strings
-- exercise COPY text escaping (backslashes, tabs, newlines, \N and a lone period line).
CREATE TYPE app.textonly;
CREATE FUNCTION app.textonly_in(cstring) RETURNS app.textonly
  LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION app.textonly_out(app.textonly) RETURNS cstring
  LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE TYPE app.textonly (INPUT = app.textonly_in, OUTPUT = app.textonly_out,
  INTERNALLENGTH = VARIABLE, STORAGE = extended);
CREATE TABLE app.textformat (id integer, v app.textonly, arr app.textonly[], t text);
INSERT INTO app.textformat VALUES
  (1, 'plain', '{a,b}', 'plain'),
  (2, E'back\\slash\ttab\nnewline\rcr', ARRAY[E'x\ty'::app.textonly, NULL], E'\\N'),
  (3, '\N', '{}', E'\\.'),
  (4, NULL, NULL, E'.\n\\.\nend'),
  (5, 'émoji 😀', '{"with space","with,comma"}', '');
INSERT INTO app.textformat SELECT g, ('v' || g)::app.textonly, NULL, 't' || g
FROM generate_series(6, 500) AS g;

-- Names that collide when joined with a dot: "a.b"."c" and "a"."b.c".
CREATE SCHEMA "a.b";
CREATE SCHEMA a;
CREATE TABLE "a.b".c (v text);
CREATE TABLE a."b.c" (v text);
INSERT INTO "a.b".c VALUES ('schema a.b, table c');
INSERT INTO a."b.c" VALUES ('schema a, table b.c'), ('second');

-- Large and empty bytea values (2, 5 and 8 MiB of incompressible bytes).
CREATE TABLE app.blobs (id integer PRIMARY KEY, label text, data bytea);
INSERT INTO app.blobs VALUES (1, 'empty', '\x'), (2, 'null', NULL), (3, 'tiny', '\x00');
-- (generated_bulk.sql adds 2, 5 and 8 MiB values, and rows to app.many.)
CREATE TABLE app.many (id bigint PRIMARY KEY, k integer NOT NULL, note text);
INSERT INTO app.many SELECT g, g % 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' || g END
FROM generate_series(1, 2000) AS g;
-- Awkward identifiers.
CREATE TABLE "Odd Schema"."Mixed Case" (
  "Id" integer PRIMARY KEY,
  "Some Column" text,
  "quote""col" text,
  "dot.col" integer,
  "select" text,
  "ünïcödé" text
);
INSERT INTO "Odd Schema"."Mixed Case"
SELECT g, 'row ' || g, 'q"' || g, g * 2, 'kw', 'ü' || g FROM generate_series(1, 100) AS g;
CREATE TABLE "we.ird ""sch"""."ta ble.""x""" (a integer, "b c" text, "'single'" text);
INSERT INTO "we.ird ""sch"""."ta ble.""x""" VALUES (1, 'x', 'y'), (2, NULL, E'\'');
CREATE TABLE public."UPPER" ("ID" integer, id integer);
INSERT INTO public."UPPER" VALUES (1, 2), (3, 4);

-- A zero-column table with rows.
CREATE TABLE app.nocols ();
INSERT INTO app.nocols DEFAULT VALUES;
INSERT INTO app.nocols DEFAULT VALUES;
INSERT INTO app.nocols DEFAULT VALUES;

-- Range partitioning with a default partition and a leaf whose physical column order differs
-- from its parent's; a hash-partitioned table; a sub-partitioned list partition.
CREATE TABLE app.events (id integer NOT NULL, created date NOT NULL, note text)
  PARTITION BY RANGE (created);
CREATE TABLE app.events_2023 PARTITION OF app.events
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE app.events_2024 (note text, created date NOT NULL, id integer NOT NULL);
ALTER TABLE app.events ATTACH PARTITION app.events_2024
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
INSERT INTO app.events
SELECT g, date '2022-10-01' + (g % 900), 'event ' || g FROM generate_series(1, 3000) AS g;
CREATE INDEX events_created_idx ON app.events (created);

CREATE TABLE app.hashed (id integer, v text) PARTITION BY HASH (id);
CREATE TABLE app.hashed_0 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE app.hashed_1 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE app.hashed_2 PARTITION OF app.hashed FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO app.hashed SELECT g, 'h' || g FROM generate_series(1, 1000) AS g;

CREATE TABLE app.regions (region text NOT NULL, city text NOT NULL, pop integer)
  PARTITION BY LIST (region);
CREATE TABLE app.regions_eu PARTITION OF app.regions FOR VALUES IN ('eu')
  PARTITION BY LIST (city);
CREATE TABLE app.regions_eu_paris PARTITION OF app.regions_eu FOR VALUES IN ('paris');
CREATE TABLE app.regions_eu_other PARTITION OF app.regions_eu DEFAULT;
CREATE TABLE app.regions_us PARTITION OF app.regions FOR VALUES IN ('us');
INSERT INTO app.regions VALUES ('eu', 'paris', 2), ('eu', 'rome', 3), ('us', 'nyc', 8);

-- Inheritance: rows in the parent and in the child.
CREATE TABLE app.vehicles (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.cars (doors integer DEFAULT 4) INHERITS (app.vehicles);
INSERT INTO app.vehicles VALUES (1, 'bike'), (2, 'boat');
INSERT INTO app.cars VALUES (3, 'sedan', 4), (4, 'coupe', 2), (5, 'van', NULL);

-- Unlogged.
CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v jsonb);
INSERT INTO app.cache SELECT 'k' || g, jsonb_build_object('g', g) FROM generate_series(1, 50) AS g;

-- Identity (ALWAYS and BY DEFAULT) and stored generated columns, with values set past the
-- sequences so that only the sequence states make later inserts right.
CREATE TABLE app.ident (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id2 bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5),
  price numeric(10, 2) NOT NULL,
  qty integer NOT NULL,
  total numeric GENERATED ALWAYS AS (price * qty) STORED
);
INSERT INTO app.ident (price, qty) SELECT g * 1.25, g FROM generate_series(1, 20) AS g;
INSERT INTO app.ident (id, id2, price, qty) OVERRIDING SYSTEM VALUE VALUES (1000, 7, 1, 1);

-- A serial column and sequences in every state.
CREATE TABLE app.serials (id serial PRIMARY KEY, big bigserial, v text);
INSERT INTO app.serials (v) SELECT 's' || g FROM generate_series(1, 10) AS g;
CREATE SEQUENCE app.seq_called;
CREATE SEQUENCE app.seq_not_called;
CREATE SEQUENCE app.seq_fresh;
CREATE SEQUENCE app.seq_desc INCREMENT BY -3 MINVALUE -1000 MAXVALUE 10 START WITH 10 CYCLE;
CREATE SEQUENCE "Odd Schema"."Seq ""Q"".x" AS smallint;
DO $$
BEGIN
  PERFORM setval('app.seq_called', 42, true);
  PERFORM setval('app.seq_not_called', 7, false);
  PERFORM nextval('app.seq_desc');
  PERFORM nextval('app.seq_desc');
  PERFORM setval('"Odd Schema"."Seq ""Q"".x"', 32767, true);
END
$$;

-- Constraints: foreign keys (including a self reference and a deferrable one), check, unique,
-- exclusion; indexes: unique, partial, expression, multi-column, gin, brin.
CREATE TABLE app.customers (
  id integer PRIMARY KEY,
  email text NOT NULL,
  name text,
  score integer CHECK (score >= 0),
  CONSTRAINT customers_email_key UNIQUE (email)
);
INSERT INTO app.customers
SELECT g, 'c' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'Name ' || g END, g % 100
FROM generate_series(1, 500) AS g;
CREATE INDEX customers_lower_name_idx ON app.customers (lower(name));
CREATE INDEX customers_high_score_idx ON app.customers (score) WHERE score > 90;
CREATE UNIQUE INDEX customers_name_score_idx ON app.customers (name, score) WHERE name IS NOT NULL;

CREATE TABLE app.orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE,
  amount numeric(12, 2),
  tags jsonb,
  touched integer NOT NULL DEFAULT 0
);
INSERT INTO app.orders
SELECT g, 1 + g % 500, g * 3.33, jsonb_build_object('tag', 't' || g % 5), 0
FROM generate_series(1, 2000) AS g;
CREATE INDEX orders_customer_idx ON app.orders (customer_id, amount DESC);
CREATE INDEX orders_tags_idx ON app.orders USING gin (tags);
CREATE INDEX orders_id_brin ON app.orders USING brin (id);

CREATE TABLE app.tree (
  id integer PRIMARY KEY,
  parent_id integer REFERENCES app.tree (id) DEFERRABLE INITIALLY DEFERRED,
  label text
);
-- Children before parents in physical order.
INSERT INTO app.tree SELECT g, CASE WHEN g > 1 THEN g / 2 END, 'node ' || g
FROM generate_series(200, 1, -1) AS g;

CREATE TABLE app.bookings (id integer, during tstzrange, EXCLUDE USING gist (during WITH &&));
INSERT INTO app.bookings VALUES
  (1, '[2024-01-01 10:00+00,2024-01-01 11:00+00)'), (2, '[2024-01-01 11:00+00,2024-01-01 12:00+00)');

-- A trigger that would change the data if a restore fired it while loading.
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched := NEW.touched + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON app.orders
  FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON TRIGGER orders_touch ON app.orders IS 'counts writes';

-- Views and materialized views: one populated, one WITH NO DATA, one reading another.
CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE amount > 1000;
CREATE MATERIALIZED VIEW app.mv_totals AS
  SELECT customer_id, count(*) AS n, sum(amount) AS total FROM app.orders GROUP BY customer_id;
CREATE UNIQUE INDEX mv_totals_customer_idx ON app.mv_totals (customer_id);
CREATE MATERIALIZED VIEW app.mv_nodata AS SELECT id, email FROM app.customers WITH NO DATA;
CREATE MATERIALIZED VIEW app.mv_top AS
  SELECT customer_id, total FROM app.mv_totals ORDER BY total DESC LIMIT 10;
CREATE MATERIALIZED VIEW "Odd Schema"."Mat View" AS SELECT "Id", "Some Column" FROM "Odd Schema"."Mixed Case";

-- An empty table, and a table with a dropped column (rows before and after the drop).
CREATE TABLE app.empty (a integer, b text);
CREATE TABLE app.dropped (a integer, b text, c integer, d text);
INSERT INTO app.dropped SELECT g, 'b' || g, g * 10, 'd' || g FROM generate_series(1, 100) AS g;
ALTER TABLE app.dropped DROP COLUMN b;
INSERT INTO app.dropped SELECT g, g * 10, 'd' || g FROM generate_series(101, 150) AS g;
ALTER TABLE app.dropped ADD COLUMN e text DEFAULT 'added';

-- Row-level security (the backup reads as superuser, which bypasses it).
CREATE TABLE app.secured (id integer, owner_name text);
INSERT INTO app.secured VALUES (1, 'alice'), (2, 'bob');
ALTER TABLE app.secured ENABLE ROW LEVEL SECURITY;
CREATE POLICY secured_own ON app.secured USING (owner_name = current_user);

-- Grants, column privileges, default privileges and an owner other than the superuser.
GRANT USAGE ON SCHEMA app TO dbb_it_reader;
GRANT SELECT ON app.types, app.orders, app.big_orders TO dbb_it_reader;
GRANT SELECT (id, email), UPDATE (name) ON app.customers TO dbb_it_reader;
GRANT USAGE ON SEQUENCE app.seq_called TO dbb_it_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO dbb_it_reader;
CREATE TABLE app.owned (id integer);
INSERT INTO app.owned VALUES (1);
ALTER TABLE app.owned OWNER TO "dbb it ""writer""";
GRANT ALL ON app.owned TO dbb_it_reader WITH GRANT OPTION;

