/** What the ingest benchmarks check after a run: every rollup level holds exactly the stored rows. */
import { ROLLUP_TABLES } from "../../central/src/averages/rollup-levels.ts";
import type { Sql } from "../../central/src/db/connect.ts";

/** Empties the readings, every rollup level, the equipment summary, conflicts and `also`. */
export async function emptyReadings(sql: Sql, ...also: string[]): Promise<void> {
  await sql.unsafe(
    `truncate ${["readings", ...ROLLUP_TABLES, "equipment", "conflicts", ...also].join(", ")}`,
  );
}

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
