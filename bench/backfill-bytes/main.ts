/**
 * `pnpm bench backfill-bytes [--blank 2000000] [--wide 200000]`: the CPU central spends on CSV bytes
 * that store nothing — empty lines, and rows with the wrong number of fields — through the backfill
 * pipeline (byte scanner, record reader, validation, batches), in this process, without a database:
 * such rows never reach one, and the upload's own bookkeeping is kept in memory here.
 *
 * Beside each figure, the CPU of String.split over the same text (the least any CSV reading costs)
 * and the ratio; the ratio, not the absolute time, is what to compare across machines.
 */
import { parseArgs } from "node:util";
import { backfill } from "../../central/src/backfill/backfill.ts";
import type { UploadStore } from "../../central/src/backfill/uploads.ts";
import type { Sql } from "../../central/src/db/connect.ts";

const { values } = parseArgs({
  options: { blank: { type: "string", default: "2000000" }, wide: { type: "string", default: "200000" } },
});

const HEADER = "equipmentId,timestamp,value\n";

/** The upload's bookkeeping in memory: rows that store nothing need no more. */
const uploads: UploadStore = {
  start: async () => ({ startedAt: new Date().toISOString() }),
  count: async () => undefined,
  advance: async () => undefined,
  finish: async () => ({ finishedAt: new Date().toISOString() }),
  get: async () => undefined,
  list: async () => [],
};
const noDatabase = new Proxy({} as Sql, {
  get() {
    throw new Error("a row reached the database; this benchmark's rows must store nothing");
  },
});

async function* chunks(line: string, count: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from(HEADER);
  const perChunk = Math.max(1, Math.floor(65_536 / line.length));
  const full = Buffer.from(line.repeat(perChunk));
  for (let left = count; left > 0; left -= perChunk) {
    yield left >= perChunk ? full : Buffer.from(line.repeat(left));
  }
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

async function measure(what: string, line: string, count: number): Promise<void> {
  const before = process.cpuUsage();
  const report = await backfill({ sql: noDatabase, uploads, validation: {} }, chunks(line, count), {
    uploadId: `bench_${what}`,
    fileName: `${what}.csv`,
    tokenId: null,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
  const seconds = cpuSeconds(before);
  const text = HEADER + line.repeat(count);
  const splitBefore = process.cpuUsage();
  let fields = 0;
  for (const row of text.split("\n")) fields += row.split(",").length;
  const split = cpuSeconds(splitBefore);
  if (fields === 0) throw new Error("the split found no fields"); // and cannot be optimised away
  const n = count.toLocaleString("en-US");
  console.log(
    `${n} ${what}: ${seconds.toFixed(2)} s CPU (${((seconds * 1e6) / count).toFixed(2)} µs a line, ` +
      `${Math.round(count / seconds).toLocaleString("en-US")} lines/s); String.split ${split.toFixed(2)} s, ` +
      `ratio ${(seconds / split).toFixed(1)}; report: ${report.rows} rows, ${report.rejected} rejected`,
  );
}

await measure("empty lines", "\n", Number(values.blank));
await measure("rows of the wrong width", "EQ-1,2024-01-01T00:00:00Z,1,extra\n", Number(values.wide));
