/**
 * drizzle-kit generates the migrations in ./drizzle from the schema (`pnpm --filter @plantlink/central
 * exec drizzle-kit generate`); it never needs a database. Partitioning is not expressible here, so
 * `readings` is turned into a partitioned table by a hand-written (`--custom`) migration.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
