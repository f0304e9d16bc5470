/** Checks that the rollups equal aggregates computed from the raw rows (DESIGN.md section 5, guarantee 4). */
import type { Sql } from "../../src/db/connect.ts";

const raw = (unit: "hour" | "day") => `
  select equipment_id, date_trunc('${unit}', ts, 'UTC') as bucket, count(*)::bigint as count,
    sum(value_centi)::numeric as sum_centi, min(value_centi) as min_centi, max(value_centi) as max_centi,
    sum(value_centi::numeric * value_centi) as sum_sq_centi
  from readings group by 1, 2`;
const stored = (unit: "hour" | "day") => `
  select equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi from rollup_${unit}`;

/** How many (sensor, bucket) rows differ between each rollup table and the raw rows: 0 and 0 when exact. */
export async function rollupDifferences(sql: Sql): Promise<{ hour: number; day: number }> {
  const count = async (unit: "hour" | "day") => {
    const [row] = await sql.unsafe<{ n: number }[]>(`
      select count(*)::int as n from (
        ((${stored(unit)}) except (${raw(unit)})) union all ((${raw(unit)}) except (${stored(unit)}))
      ) d`);
    return row?.n ?? -1;
  };
  return { hour: await count("hour"), day: await count("day") };
}
