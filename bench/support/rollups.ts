/**
 * What the ingest benchmarks check after a run: every rollup level holds exactly the stored rows, by
 * totals (the tests' row-by-row comparison, central/test/support/rollups.ts, is too slow for 10 M rows).
 */
import { ROLLUP_TABLES } from "../../central/src/averages/rollup-levels.ts";
import type { Sql } from "../../central/src/db/connect.ts";

/** Every level's counts and exact sums equal the raw rows'; also returns how many rows are stored. */
export async function rollupsMatchRawRows(sql: Sql): Promise<{ ok: boolean; rows: number }> {
  const [raw] = await sql<{ n: string; total: string }[]>`
    select count(*)::text as n, coalesce(sum(value_centi), 0)::text as total from readings`;
  let ok = true;
  for (const table of ROLLUP_TABLES) {
    const [level] = await sql<{ n: string; total: string }[]>`
      select coalesce(sum(count), 0)::text as n, coalesce(sum(sum_centi), 0)::text as total from ${sql(table)}`;
    ok &&= level?.n === raw?.n && level?.total === raw?.total;
  }
  return { ok, rows: Number(raw?.n) };
}
