/**
 * The benchmark's CSV files: a plant's export, every sensor once a minute, in time order, 2,000
 * sensors, values with two decimals. Written once per size before anything is timed.
 */
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";

export const SENSORS = 2_000;

export async function writeCsv(path: string, rows: number, startMs: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let chunk = "equipmentId,timestamp,value\n";
  let minute = -1;
  let stamp = "";
  for (let i = 0; i < rows; i++) {
    const m = Math.floor(i / SENSORS);
    if (m !== minute) {
      minute = m;
      stamp = new Date(startMs + m * 60_000).toISOString();
    }
    chunk += `EQ-${i % SENSORS},${stamp},${((i * 7919) % 1_000_000) / 100}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      chunk = "";
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(chunk, () => resolve());
  });
  return (await stat(path)).size;
}
