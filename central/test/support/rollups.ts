/**
 * The readings and what is kept from them, for tests and benches: emptying them all, and checking that
 * every rollup level equals aggregates computed from the raw rows (DESIGN.md section 5, guarantee 4).
 */
import { ROLLUP_LEVELS, ROLLUP_TABLES, type RollupTable } from "../../src/averages/rollup-levels.ts";
import type { Sql } from "../../src/db/connect.ts";

/** Empties the readings, every rollup level, the equipment summary, conflicts and `also`. */
export async function resetReadings(sql: Sql, ...also: string[]): Promise<void> {
  await sql.unsafe(
    `truncate ${["readings", ...ROLLUP_TABLES, "equipment", "conflicts", ...also].join(", ")}`,
  );
}

/**
 * A level's stored rows, and the same rows computed from the readings, as two queries over the rows
 * `where` selects (a condition on equipment_id, say).
 */
export function levelAndRaw(
  { table, width }: (typeof ROLLUP_LEVELS)[number],
  where = "true",
): [stored: string, raw: string] {
  return [
    `select equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi, first_ts, last_ts
     from ${table} where ${where}`,
    `select equipment_id, date_bin('${width}', ts, timestamptz '1970-01-01 00:00:00+00'), count(*),
       sum(value_centi), min(value_centi), max(value_centi), sum(value_centi::numeric * value_centi),
       min(ts), max(ts)
     from readings where ${where} group by 1, 2`,
  ];
}

/** Rows in one query's answer and not in the other's, both ways: none when the two agree exactly. */
export function differenceOf(one: string, other: string): string {
  return `((${one}) except (${other})) union all ((${other}) except (${one}))`;
}

/** What `rollupDifferences` answers when every level is exact. */
export const NO_DIFFERENCES = Object.fromEntries(ROLLUP_TABLES.map((table) => [table, 0]));

/** How many (sensor, bucket) rows differ between each rollup level and the raw rows. */
export async function rollupDifferences(sql: Sql): Promise<Record<RollupTable, number>> {
  const differences: Partial<Record<RollupTable, number>> = {};
  for (const level of ROLLUP_LEVELS) {
    const [row] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from (${differenceOf(...levelAndRaw(level))}) d`,
    );
    differences[level.table] = row?.n ?? -1;
  }
  return differences as Record<RollupTable, number>;
}
