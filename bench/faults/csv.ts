/**
 * Central SIGKILLed in the middle of a CSV backfill upload, started again, and the same file uploaded
 * again, as a vendor would after a failed upload. The first upload never got a report, so nothing of
 * it was acknowledged; what matters is that after the retry every row is stored exactly once.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { type FaultResult, sleep, startRig } from "./rig.ts";

async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("equipmentId,timestamp,value\n");
  const base = Date.UTC(2024, 5, 1);
  for (let i = 0; i < rows; i++) {
    const line = `CSV-${i % 500},${new Date(base + Math.floor(i / 500) * 60_000).toISOString()},${(i % 10_000) / 100}\n`;
    if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  out.end();
  await finished(out);
}

function upload(url: string, token: string, file: string) {
  return fetch(`${url}/v1/backfill`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: "half",
  } as RequestInit);
}

export async function csvFault(workDir: string, options: { rows: number }): Promise<FaultResult> {
  const rig = await startRig(join(workDir, "csv"), "csvfault");
  try {
    await rig.central.start();
    const token = await rig.token("vendor");
    const file = join(workDir, "csv", "backfill.csv");
    await writeCsv(file, options.rows);
    const count = async () =>
      Number((await rig.db.sql<{ n: string }[]>`select count(*)::text as n from readings`)[0]?.n);

    const first = upload(rig.centralUrl, token, file).then(
      (r) => `answered ${r.status}`,
      (e: Error) => `failed: ${e.cause instanceof Error ? e.cause.message : e.message}`,
    );
    // Kill once rows are landing: mid-upload, not before it started.
    const t0 = Date.now();
    while ((await count()) === 0 && Date.now() - t0 < 60_000) await sleep(100);
    await rig.central.kill9();
    const firstOutcome = await first;
    const storedAtKill = await count();
    const restartAt = Date.now();
    await rig.central.start();
    const restartMs = Date.now() - restartAt;
    const retry = await upload(rig.centralUrl, token, file);
    const report = (await retry.json()) as {
      rows: number;
      inserted: number;
      duplicates: number;
      rejected: number;
    };
    const recoveryMs = Date.now() - restartAt;
    const [row] = await rig.db.sql<{ n: string; distinct: string }[]>`
      select count(*)::text as n, count(distinct (equipment_id, ts))::text as distinct from readings`;
    const stored = Number(row?.n);
    return {
      fault: `central SIGKILLed during a ${options.rows.toLocaleString("en-US")}-row CSV upload`,
      acknowledged: report.rows ?? 0,
      lost: options.rows - Number(row?.distinct),
      duplicated: stored - Number(row?.distinct),
      recovery: `central back in ${(restartMs / 1000).toFixed(1)} s; re-upload complete ${(recoveryMs / 1000).toFixed(1)} s after the kill`,
      notes:
        `first upload ${firstOutcome} with ${storedAtKill} rows stored at the kill; re-upload ${retry.status}: ` +
        `inserted ${report.inserted}, duplicates ${report.duplicates}, rejected ${report.rejected}`,
    };
  } finally {
    await rig.close();
  }
}
