/**
 * The oracle of the exactness tests: PostgreSQL's own aggregates over the raw readings of a window,
 * `from < ts ≤ to`, converted to the API's numbers the same way (average as round(avg(value), 4)).
 */
import type { Sql } from "../../src/db/connect.ts";

export interface RawFigures {
  equipmentId: string;
  count: number;
  average: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
}

export async function rawFigures(sql: Sql, from: number, to: number): Promise<RawFigures[]> {
  const rows = await sql<
    {
      equipment_id: string;
      count: string;
      average: string;
      sum: string;
      min: string;
      max: string;
      first: Date;
      last: Date;
    }[]
  >`
    select equipment_id, count(*) as count, round(avg(value_centi) / 100, 4)::text as average,
      (sum(value_centi) / 100)::text as sum, min(value_centi) as min, max(value_centi) as max,
      min(ts) as first, max(ts) as last
    from readings
    where ts > ${new Date(from)} and ts <= ${new Date(to)}
    group by equipment_id
    order by equipment_id`;
  return rows.map((row) => ({
    equipmentId: row.equipment_id,
    count: Number(row.count),
    average: Number(row.average),
    sum: Number(row.sum),
    min: Number(row.min) / 100,
    max: Number(row.max) / 100,
    first: row.first.getTime(),
    last: row.last.getTime(),
  }));
}

/** The API answer's sensors in the oracle's shape, so the two compare with one equality. */
export function answerFigures(
  sensors: readonly (Omit<RawFigures, "first" | "last"> & { first: string; last: string })[],
): RawFigures[] {
  return sensors.map(({ equipmentId, count, average, sum, min, max, first, last }) => ({
    equipmentId,
    count,
    average,
    sum,
    min,
    max,
    first: Date.parse(first),
    last: Date.parse(last),
  }));
}
