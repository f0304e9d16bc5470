CREATE TABLE "equipment_limits" (
	"equipment_id" text PRIMARY KEY NOT NULL,
	"warning_low_centi" bigint,
	"warning_high_centi" bigint,
	"critical_low_centi" bigint,
	"critical_high_centi" bigint,
	"target_centi" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "equipment_limits_audit" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "equipment_limits_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"equipment_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"by_token_id" bigint NOT NULL,
	"by_name" text NOT NULL,
	"before" jsonb NOT NULL,
	"after" jsonb NOT NULL,
	CONSTRAINT "equipment_limits_audit_pkey" PRIMARY KEY("equipment_id","id")
);
--> statement-breakpoint
CREATE TABLE "rollup_10min" (
	"equipment_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum_centi" numeric NOT NULL,
	"min_centi" bigint NOT NULL,
	"max_centi" bigint NOT NULL,
	"sum_sq_centi" numeric NOT NULL,
	"first_ts" timestamp with time zone NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_10min_pkey" PRIMARY KEY("equipment_id","bucket")
);
--> statement-breakpoint
-- Edited after generation: the new NOT NULL columns are added nullable, filled from the readings
-- already stored (nothing to do on a fresh database), and only then made NOT NULL, so this migration
-- also runs on a database that has data. The same goes for the new 10-minute level.
ALTER TABLE "equipment" ADD COLUMN "reading_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "rollup_day" ADD COLUMN "first_ts" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rollup_day" ADD COLUMN "last_ts" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rollup_hour" ADD COLUMN "first_ts" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rollup_hour" ADD COLUMN "last_ts" timestamp with time zone;--> statement-breakpoint
INSERT INTO "rollup_10min" (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts)
SELECT equipment_id, date_bin('10 minutes', ts, timestamptz '1970-01-01 00:00:00+00'), count(*), sum(value_centi),
  min(value_centi), max(value_centi), sum(value_centi::numeric * value_centi), min(ts), max(ts)
FROM "readings" GROUP BY 1, 2;--> statement-breakpoint
UPDATE "rollup_hour" r SET first_ts = t.first_ts, last_ts = t.last_ts
FROM (SELECT equipment_id, date_trunc('hour', bucket, 'UTC') AS bucket, min(first_ts) AS first_ts, max(last_ts) AS last_ts
      FROM "rollup_10min" GROUP BY 1, 2) t
WHERE r.equipment_id = t.equipment_id AND r.bucket = t.bucket;--> statement-breakpoint
UPDATE "rollup_day" r SET first_ts = t.first_ts, last_ts = t.last_ts
FROM (SELECT equipment_id, date_trunc('day', bucket, 'UTC') AS bucket, min(first_ts) AS first_ts, max(last_ts) AS last_ts
      FROM "rollup_hour" GROUP BY 1, 2) t
WHERE r.equipment_id = t.equipment_id AND r.bucket = t.bucket;--> statement-breakpoint
UPDATE "equipment" e SET reading_count = t.count
FROM (SELECT equipment_id, sum(count) AS count FROM "rollup_day" GROUP BY 1) t
WHERE e.equipment_id = t.equipment_id;--> statement-breakpoint
ALTER TABLE "rollup_day" ALTER COLUMN "first_ts" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "rollup_day" ALTER COLUMN "last_ts" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "rollup_hour" ALTER COLUMN "first_ts" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "rollup_hour" ALTER COLUMN "last_ts" SET NOT NULL;
