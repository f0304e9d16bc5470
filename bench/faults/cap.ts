/**
 * The edge's buffer filling up: a small cap, central not running (the edge cannot drain), devices
 * publishing. At the cap the edge must refuse (HTTP 503 + Retry-After, MQTT unacknowledged), keep its
 * file intact (PRAGMA integrity_check), and take readings again once central is up and the synced
 * readings can be pruned — with nothing acknowledged lost.
 */
import { join } from "node:path";
import { openDatabase } from "../../edge/src/buffer/database.ts";
import { edgeStatus } from "../../test/e2e/support/processes.ts";
import { startPublishers } from "../../test/e2e/support/publishers.ts";
import { type FaultResult, readCentral, sleep, startRig, verdict } from "./rig.ts";

interface Status {
  refusing: string | null;
  bufferBytes: number;
  bufferMaxBytes: number;
  buffered: number;
}

function integrity(file: string): string {
  const db = openDatabase(file, { synchronous: "NORMAL", readonly: true });
  try {
    return String(db.pragma("integrity_check", { simple: true }));
  } finally {
    db.close();
  }
}

export async function capFault(
  workDir: string,
  options: { capBytes: string; rate: number },
): Promise<FaultResult> {
  const rig = await startRig(join(workDir, "cap"), "capfault", {
    PLANTLINK_BUFFER_MAX_BYTES: options.capBytes,
  });
  const bufferFile = join(workDir, "cap", "edge", "buffer.sqlite");
  try {
    await rig.edge.start(); // central stays down: nothing can be synced, so nothing can be pruned
    const publishers = startPublishers({
      mqttPort: rig.mqttPort,
      clients: 4,
      sensorsPerClient: 50,
      window: 20,
      rate: options.rate,
      prefix: "CAP",
    });
    const started = Date.now();
    let status: Status | undefined;
    while (Date.now() - started < 300_000) {
      status = await edgeStatus<Status>(rig.httpPort);
      if (status?.refusing) break;
      await sleep(200);
    }
    if (!status?.refusing) throw new Error(`the edge never refused: ${JSON.stringify(status)}`);
    const fullAfterMs = Date.now() - started;
    const ackedAtCap = publishers.acked.size;
    const probe = await fetch(`http://127.0.0.1:${rig.httpPort}/v1/readings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ equipmentId: "CAP-probe", value: 1, timestamp: new Date().toISOString() }),
    });
    await probe.arrayBuffer();
    await sleep(5000);
    const ackedWhileFull = publishers.acked.size - ackedAtCap;
    const checkFull = integrity(bufferFile);

    // Space returns: central comes up, the backlog drains, synced readings are pruned near the cap.
    const centralUp = Date.now();
    await rig.central.start();
    let recoveredMs = Number.NaN;
    while (Date.now() - centralUp < 180_000) {
      status = await edgeStatus<Status>(rig.httpPort);
      if (status && !status.refusing) {
        recoveredMs = Date.now() - centralUp;
        break;
      }
      await sleep(200);
    }
    const ackedAtRecovery = publishers.acked.size;
    await sleep(5000);
    const ackedAfter = publishers.acked.size - ackedAtRecovery;
    await publishers.stop(10_000);
    await rig.drained(120_000);
    await rig.edge.stop();
    const checkEnd = integrity(bufferFile);
    const { lost, duplicated } = verdict(publishers.acked, await readCentral(rig.db.sql));
    return {
      fault: `edge buffer cap ${options.capBytes} reached, central down`,
      acknowledged: publishers.acked.size,
      lost,
      duplicated,
      recovery: `accepting again ${(recoveredMs / 1000).toFixed(1)} s after central came up`,
      notes:
        `refused after ${(fullAfterMs / 1000).toFixed(1)} s at ${status?.bufferBytes ?? "?"} B; HTTP at the cap: ${probe.status} ` +
        `Retry-After ${probe.headers.get("retry-after") ?? "none"}; MQTT acks in 5 s at the cap: ${ackedWhileFull}; ` +
        `integrity_check at the cap "${checkFull}", after "${checkEnd}"; acks in 5 s after recovery: ${ackedAfter}`,
    };
  } finally {
    await rig.close();
  }
}
