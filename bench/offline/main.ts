/**
 * `pnpm bench offline [--readings 1000000] [--live-rate 2000]`: offline first at full size. The edge
 * (a child process) starts with a backlog of N readings received hours ago and central down; MQTT
 * devices keep publishing; central starts; the backlog drains with no action. Prints the drain as the
 * edge's status showed it, and checks every reading arrived once, oldest first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { countMissing } from "../../test/e2e/support/ledger.ts";
import { runOffline } from "../../test/e2e/support/offline.ts";
import { startBenchDatabase } from "../support/postgres.ts";

const { values } = parseArgs({
  options: {
    readings: { type: "string", default: "1000000" },
    "live-rate": { type: "string", default: "2000" },
  },
});
const workDir = await mkdtemp(join(tmpdir(), "plantlink-bench-offline-"));
const db = await startBenchDatabase(workDir, "offline");
let failed = false;
try {
  const report = await runOffline({
    sql: db.sql,
    databaseUrl: db.url,
    workDir: join(workDir, "run"),
    backlog: Number(values.readings),
    sensors: 2000,
    liveRate: Number(values["live-rate"]),
    outageMs: 5000,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    "\n| s after central returned | unsynced at the edge | oldest unsynced received | drain rate/s | live lane |",
  );
  console.log("| ---: | ---: | --- | ---: | --- |");
  const step = Math.max(1, Math.floor(report.samples.length / 15));
  for (const [i, s] of report.samples.entries()) {
    if (i % step !== 0 && i !== report.samples.length - 1) continue;
    console.log(
      `| ${(s.at / 1000).toFixed(1)} | ${s.buffered.toLocaleString("en-US")} | ${s.oldestUnsyncedAt ?? "—"} | ${s.drainRate.toLocaleString("en-US")} | ${s.liveLane ? "open" : "—"} |`,
    );
  }
  const oldest = report.samples
    .map((s) => s.oldestUnsyncedAt)
    .filter((t): t is string => t !== null)
    .map(Date.parse);
  const checks: [string, boolean][] = [
    [
      "the edge kept accepting while central was down",
      report.outageStatus.buffered >= Number(values.readings),
    ],
    [
      "oldest first: the oldest unsynced reading only got younger",
      oldest.every((t, i) => i === 0 || t >= (oldest[i - 1] ?? 0)),
    ],
    ["live readings reached central mid-drain", report.liveDuringDrain.atCentralMidDrain > 0],
    ["every backlog reading at central", countMissing(report.backlogKeys, report.central.readings) === 0],
    [
      "every acknowledged live reading at central",
      countMissing(report.published.acked, report.central.readings) === 0,
    ],
    ["no reading stored twice", report.central.rows === report.central.readings.size],
  ];
  const rate = Number(values.readings) / (report.drainMs / 1000);
  console.log(
    `\nbacklog of ${Number(values.readings).toLocaleString("en-US")} drained in ${(report.drainMs / 1000).toFixed(1)} s (${Math.round(rate).toLocaleString("en-US")} readings/s) with live devices publishing`,
  );
  console.log(
    `mid-drain (${report.liveDuringDrain.backlogLeftThen.toLocaleString("en-US")} backlog left): ${report.liveDuringDrain.atCentralMidDrain} live readings already at central\n`,
  );
  for (const [name, ok] of checks) {
    console.log(`${ok ? "PASS" : "FAIL"}  ${name}`);
    if (!ok) failed = true;
  }
} finally {
  await db.close();
  if (!failed) await rm(workDir, { recursive: true, force: true });
  else console.log(`logs kept in ${workDir}`);
}
if (failed) process.exit(1);
