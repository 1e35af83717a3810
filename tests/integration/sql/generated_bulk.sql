-- The bulk part of the generated database (loaded after generated_db.sql where a test wants
-- volume): multi-MiB bytea values and many small rows, so that data files hold many members.

-- A 64 KiB random chunk repeated, each copy followed by its number: incompressible within
-- gzip's 32 KiB window, and quick to generate.
INSERT INTO app.blobs
SELECT i, mb || ' MiB',
       (SELECT string_agg(chunk.b || int4send(k), '' ORDER BY k) FROM generate_series(1, mb * 16) AS k)
FROM (VALUES (4, 2), (5, 5), (6, 8)) AS v(i, mb),
     (SELECT string_agg(sha256(int4send(k)), '' ORDER BY k) AS b
      FROM generate_series(1, 2048) AS k) AS chunk;

-- Many small rows: several compressed members per data file.
INSERT INTO app.many SELECT g, g % 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' || g END
FROM generate_series(2001, 200000) AS g;

