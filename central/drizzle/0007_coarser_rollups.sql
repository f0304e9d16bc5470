CREATE TABLE "rollup_6h" (
	"equipment_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum_centi" numeric NOT NULL,
	"min_centi" bigint NOT NULL,
	"max_centi" bigint NOT NULL,
	"sum_sq_centi" numeric NOT NULL,
	"first_ts" timestamp with time zone NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_6h_pkey" PRIMARY KEY("equipment_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "rollup_week" (
	"equipment_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum_centi" numeric NOT NULL,
	"min_centi" bigint NOT NULL,
	"max_centi" bigint NOT NULL,
	"sum_sq_centi" numeric NOT NULL,
	"first_ts" timestamp with time zone NOT NULL,
	"last_ts" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_week_pkey" PRIMARY KEY("equipment_id","bucket")
);
--> statement-breakpoint
-- Edited after generation: the same storage and bucket index as the other levels
-- (0004_hot_updates.sql, 0006_window_indexes.sql), and both levels filled from the finer ones already
-- stored (nothing to do on a fresh database), so this migration also runs on a database with data.
ALTER TABLE "rollup_6h" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "rollup_week" SET (fillfactor = 50);--> statement-breakpoint
INSERT INTO "rollup_6h" (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts)
SELECT equipment_id, date_bin('6 hours', bucket, timestamptz '1970-01-01 00:00:00+00'), sum(count), sum(sum_centi),
  min(min_centi), max(max_centi), sum(sum_sq_centi), min(first_ts), max(last_ts)
FROM "rollup_hour" GROUP BY 1, 2 ORDER BY 2, 1;--> statement-breakpoint
INSERT INTO "rollup_week" (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts)
SELECT equipment_id, date_bin('7 days', bucket, timestamptz '1970-01-01 00:00:00+00'), sum(count), sum(sum_centi),
  min(min_centi), max(max_centi), sum(sum_sq_centi), min(first_ts), max(last_ts)
FROM "rollup_day" GROUP BY 1, 2 ORDER BY 2, 1;--> statement-breakpoint
CREATE INDEX "rollup_6h_bucket_idx" ON "rollup_6h" ("bucket");--> statement-breakpoint
CREATE INDEX "rollup_week_bucket_idx" ON "rollup_week" ("bucket");
