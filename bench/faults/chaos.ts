/**
 * The long chaos run of the sync issue (test/e2e/support/chaos.ts), bounded by --minutes: edge and
 * central SIGKILLed, the link cut, stalled, reset and losing answers, under QoS 1 load; then healed,
 * drained and checked reading by reading.
 */
import { join } from "node:path";
import { longChaosEvents, runChaos } from "../../test/e2e/support/chaos.ts";
import { startBenchDatabase } from "../support/postgres.ts";
import { type FaultResult, verdict } from "./rig.ts";

export async function chaosFault(workDir: string, minutes: number, rate: number): Promise<FaultResult> {
  const db = await startBenchDatabase(join(workDir, "chaos"), "chaos");
  try {
    const report = await runChaos({
      sql: db.sql,
      databaseUrl: db.url,
      workDir: join(workDir, "chaos", "run"),
      loadMs: minutes * 60_000,
      events: longChaosEvents(minutes),
      rate,
      log: (line) => console.error(`[chaos] ${line}`),
    });
    const { lost, duplicated } = verdict(report.published.acked, report.central);
    const counts = report.events.reduce<Record<string, number>>((acc, e) => {
      acc[e.event] = (acc[e.event] ?? 0) + 1;
      return acc;
    }, {});
    return {
      fault: `chaos, ${minutes} min at ${rate}/s`,
      acknowledged: report.published.acked.size,
      lost,
      duplicated,
      recovery: `backlog drained ${(report.drainMs / 1000).toFixed(1)} s after the last fault healed`,
      notes: Object.entries(counts)
        .map(([e, n]) => `${e} ×${n}`)
        .join(", "),
    };
  } finally {
    await db.close();
  }
}
