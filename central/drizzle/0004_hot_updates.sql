-- Custom migration: drizzle-kit cannot declare storage parameters. Every ingest transaction updates
-- the rollup and equipment rows of the sensors it saw, the same rows again and again. With half of
-- each page left free, most of those updates are HOT (the new row version stays on its page, and no
-- index entry is added): about half of them were, against under 1 % with full pages, and ingest
-- ran up to 1.9× as fast (docs/performance.md, "Central ingest").
ALTER TABLE "rollup_hour" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "rollup_day" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "equipment" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "edges" SET (fillfactor = 50);
