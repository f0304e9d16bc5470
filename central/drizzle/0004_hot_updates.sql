-- Custom migration: drizzle-kit cannot declare storage parameters. Every ingest transaction updates
-- the rollup and equipment rows of the sensors it saw, the same rows again and again. With half of
-- each page left free, most of those updates are HOT (the new row version stays on its page, and no
-- index entry is added), which measured about twice as fast as full pages
-- (bench/central-ingest, docs/performance.md).
ALTER TABLE "rollup_hour" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "rollup_day" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "equipment" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "edges" SET (fillfactor = 50);
