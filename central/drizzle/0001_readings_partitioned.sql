-- Custom migration (drizzle-kit generate --custom): drizzle-kit cannot declare partitioning, so the
-- plain "readings" table made by 0000 is recreated, with the same columns and key, partitioned by
-- month of ts. Retention is then DROP of a month, never a DELETE. A DEFAULT partition takes any
-- reading whose month has no partition yet (old backfills, a missed maintenance run), so an insert
-- never fails for a missing partition; creating that month's partition later moves its rows out.
-- Partition bounds are UTC months whatever the session's TimeZone.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM "readings") THEN
    RAISE EXCEPTION 'readings is not empty; this migration only runs right after 0000_init';
  END IF;
END $$;
--> statement-breakpoint
DROP TABLE "readings";
--> statement-breakpoint
CREATE TABLE "readings" (
	"equipment_id" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"value_centi" bigint NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "readings_pkey" PRIMARY KEY("equipment_id","ts")
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
CREATE TABLE "readings_default" PARTITION OF "readings" DEFAULT;
--> statement-breakpoint
-- Creates the partition of the UTC month containing month_of, if missing; true when it created one.
-- The partition is built standalone and then attached, which locks the parent only in SHARE UPDATE
-- EXCLUSIVE mode, so ingest keeps running (CREATE TABLE ... PARTITION OF would block it).
CREATE FUNCTION plantlink_ensure_readings_partition(month_of timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  lower_utc timestamp := date_trunc('month', month_of AT TIME ZONE 'UTC');
  lower_bound timestamptz := lower_utc AT TIME ZONE 'UTC';
  upper_bound timestamptz := (lower_utc + interval '1 month') AT TIME ZONE 'UTC';
  partition_name text := 'readings_' || to_char(lower_utc, '"y"YYYY"m"MM');
BEGIN
  -- Two processes running maintenance at once must not both create the same partition.
  PERFORM pg_advisory_xact_lock(hashtext('plantlink_readings_partitions'));
  IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE readings INCLUDING DEFAULTS)', partition_name);
  -- The check lets ATTACH skip scanning the new table (and a later DETACH/ATTACH too).
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (ts >= %L AND ts < %L)',
    partition_name, partition_name || '_range', lower_bound, upper_bound);
  IF EXISTS (SELECT 1 FROM readings_default WHERE ts >= lower_bound AND ts < upper_bound) THEN
    -- Writers into the default partition wait while its rows for this month move out; otherwise a
    -- row arriving in between would make the ATTACH below fail.
    LOCK TABLE readings_default IN EXCLUSIVE MODE;
    EXECUTE format(
      'WITH moved AS (DELETE FROM readings_default WHERE ts >= $1 AND ts < $2 RETURNING *) '
      'INSERT INTO %I SELECT * FROM moved', partition_name)
    USING lower_bound, upper_bound;
  END IF;
  EXECUTE format('ALTER TABLE readings ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
    partition_name, lower_bound, upper_bound);
  RETURN true;
END $$;
--> statement-breakpoint
-- Ensures the partitions of `months` consecutive UTC months starting with the one containing from_ts;
-- returns how many it created. Run at migration and by the service's maintenance, ahead of time.
CREATE FUNCTION plantlink_ensure_readings_partitions(from_ts timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  created integer := 0;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    IF plantlink_ensure_readings_partition(
      ((from_ts AT TIME ZONE 'UTC') + make_interval(months => i)) AT TIME ZONE 'UTC'
    ) THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END $$;
--> statement-breakpoint
-- Retention: drops every monthly partition that ends at or before cutoff; returns their names.
CREATE FUNCTION plantlink_drop_readings_partitions_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  part record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('plantlink_readings_partitions'));
  FOR part IN
    SELECT c.relname
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'readings'::regclass
      AND c.relname ~ '^readings_y[0-9]{4}m[0-9]{2}$'
      AND (make_timestamp(substr(c.relname, 11, 4)::int, substr(c.relname, 16, 2)::int, 1, 0, 0, 0)
            + interval '1 month') AT TIME ZONE 'UTC' <= cutoff
    ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', part.relname);
    RETURN NEXT part.relname;
  END LOOP;
END $$;
--> statement-breakpoint
SELECT plantlink_ensure_readings_partitions(now() - interval '1 month', 4);
