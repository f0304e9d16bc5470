-- Custom migration (drizzle-kit generate --custom): indexes drizzle-kit cannot declare (INCLUDE), and
-- the storage setting of the new rollup level. They serve the window queries of central/src/averages/,
-- which read every sensor's whole buckets of a time range, and raw readings only at the window's edges:
-- without them each such range would be a sequential scan, or an index scan per sensor.
--
-- Rollups: a plain index on bucket, not a covering one. Ingest updates the same rollup rows again and
-- again, and those updates are HOT only while no indexed column changes (0004_hot_updates.sql); the
-- aggregates change on every update, so an index including them would end HOT updates for every
-- ingest. Live rollup rows are created in time order, so one bucket's rows share a few heap pages
-- and the heap visits cost little (measured: the same CPU as an index-only scan; docs/performance.md).
CREATE INDEX "rollup_10min_bucket_idx" ON "rollup_10min" ("bucket");
--> statement-breakpoint
CREATE INDEX "rollup_hour_bucket_idx" ON "rollup_hour" ("bucket");
--> statement-breakpoint
CREATE INDEX "rollup_day_bucket_idx" ON "rollup_day" ("bucket");
--> statement-breakpoint
ALTER TABLE "rollup_10min" SET (fillfactor = 50);
--> statement-breakpoint
-- Readings are never updated, so a covering index costs nothing but its size: the window's edges
-- (at most ten minutes at each end) are read by an index-only scan. Created on the partitioned table,
-- it is created on every partition, and ATTACH PARTITION (plantlink_ensure_readings_partition) builds
-- it on each new month.
CREATE INDEX "readings_ts_idx" ON "readings" ("ts") INCLUDE ("equipment_id", "value_centi");
