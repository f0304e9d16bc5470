/**
 * PostgreSQL stopped and started again under load: devices publish to the edge (which forwards to
 * central) and HTTP clients post straight to central. While the database is down central must answer
 * errors, never 2xx; the edge keeps acknowledging from its buffer. Afterwards both paths recover by
 * themselves and every acknowledged reading is at central once. Samples throughput for the chart.
 */
import { join } from "node:path";
import { identityKey, startPublishers } from "../../test/e2e/support/publishers.ts";
import { type FaultResult, readCentral, sleep, startRig, verdict } from "./rig.ts";

export interface Timeline {
  points: { t: number; edgeAcked: number; directOk: number; centralRows: number }[];
  downAt: number;
  upAt: number;
}

export async function postgresFault(
  workDir: string,
  options: { downSeconds: number; rate: number },
): Promise<{ result: FaultResult; timeline: Timeline }> {
  const rig = await startRig(join(workDir, "postgres"), "pgfault");
  try {
    await Promise.all([rig.central.start(), rig.edge.start()]);
    const ingest = await rig.token("ingest");
    const publishers = startPublishers({
      mqttPort: rig.mqttPort,
      clients: 4,
      sensorsPerClient: 50,
      window: 20,
      rate: options.rate,
      prefix: "PGF",
    });
    const directAcked = new Map<string, number>();
    let directFailed = 0;
    let running = true;
    const started = Date.now();
    // Eight HTTP clients, one request at a time each, a new reading every time.
    const workers = Array.from({ length: 8 }, async (_, w) => {
      let k = 0;
      while (running) {
        const ms = started + k++ * 7 + w; // distinct instants per worker
        const body = {
          equipmentId: `PGD-${w}`,
          value: (k % 1000) / 100,
          timestamp: new Date(ms).toISOString(),
        };
        try {
          const response = await fetch(`${rig.centralUrl}/v1/readings`, {
            method: "POST",
            headers: { authorization: `Bearer ${ingest}`, "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(5000),
          });
          await response.arrayBuffer();
          if (response.status === 202 || response.status === 200)
            directAcked.set(identityKey(body.equipmentId, ms), k % 1000);
          else directFailed += 1;
        } catch {
          directFailed += 1;
          await sleep(50);
        }
      }
    });
    const points: Timeline["points"] = [];
    let lastRows = 0;
    const sampler = setInterval(() => {
      const t = (Date.now() - started) / 1000;
      const sample = {
        t,
        edgeAcked: publishers.acked.size,
        directOk: directAcked.size,
        centralRows: lastRows,
      };
      points.push(sample);
      rig.db.sql<{ n: string }[]>`select count(*)::text as n from readings`
        .then((rows) => {
          lastRows = Number(rows[0]?.n ?? lastRows);
        })
        .catch(() => undefined); // the database is down: the row count stays flat on the chart
    }, 500);

    await sleep(10_000);
    const downAt = (Date.now() - started) / 1000;
    await rig.db.stopServer();
    const okBeforeDown = directAcked.size;
    await sleep(options.downSeconds * 1000);
    const okWhileDown = directAcked.size - okBeforeDown;
    await rig.db.startServer();
    // A central that died with its database is a finding, not the end of the run: note it, start it
    // again (as systemd would) and go on counting.
    const centralDied = !rig.central.running();
    if (centralDied) await rig.central.start();
    const upAt = (Date.now() - started) / 1000;
    const upMs = Date.now();
    const okAtUp = directAcked.size;
    while (directAcked.size === okAtUp && Date.now() - upMs < 60_000) await sleep(50);
    const directRecoveryMs = Date.now() - upMs;
    await sleep(15_000);
    running = false;
    await Promise.all(workers);
    await publishers.stop(10_000);
    const drainMs = await rig.drained(120_000);
    clearInterval(sampler);
    const ledger = await readCentral(rig.db.sql);
    const acked = new Map([...publishers.acked, ...directAcked]);
    const { lost, duplicated } = verdict(acked, ledger);
    return {
      result: {
        fault: `PostgreSQL stopped ${options.downSeconds} s under load`,
        acknowledged: acked.size,
        lost,
        duplicated,
        recovery: `central answers 2xx again ${(directRecoveryMs / 1000).toFixed(1)} s after PostgreSQL is back; edge backlog drained ${(drainMs / 1000).toFixed(1)} s after the load stopped`,
        notes: `${centralDied ? "CENTRAL PROCESS EXITED while PostgreSQL was down (restarted by the bench); " : ""}${publishers.acked.size} via the edge, ${directAcked.size} direct; direct 2xx while down: ${okWhileDown}; direct failures (5xx, resets, timeouts): ${directFailed}`,
      },
      timeline: { points, downAt, upAt },
    };
  } finally {
    await rig.close();
  }
}
