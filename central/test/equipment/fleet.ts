/** Readings for the equipment tests: a sensor's regular series, written through the real ingest path. */
import type { Reading } from "@plantlink/shared";
import type { Sql } from "../../src/db/connect.ts";
import { ingest } from "../../src/ingest/ingest.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** One reading every `everyMs` in [from, to), value from `value(i)` in hundredths. */
export function regular(
  equipmentId: string,
  from: number,
  to: number,
  everyMs: number,
  value: (i: number) => number,
): Reading[] {
  const out: Reading[] = [];
  for (let ts = from, i = 0; ts < to; ts += everyMs, i++) out.push({ equipmentId, ts, centi: value(i) });
  return out;
}

export async function store(sql: Sql, readings: readonly Reading[], source = "test"): Promise<void> {
  for (let i = 0; i < readings.length; i += 5000) await ingest(sql, readings.slice(i, i + 5000), source);
}
