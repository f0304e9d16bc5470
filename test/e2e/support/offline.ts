/**
 * Offline first, shared by the suite's short test and `pnpm bench offline`: with central down, a
 * backlog builds in the edge's buffer (filled through the buffer API for speed, as readings received
 * hours ago) while live MQTT devices keep publishing; then central comes up and the edge, untouched,
 * drains — oldest first, with live readings reaching central during the catch-up.
 */
import { join } from "node:path";
import type { Reading } from "@plantlink/shared";
import { createTokenStore } from "../../../central/src/auth/tokens.ts";
import type { Sql } from "../../../central/src/db/connect.ts";
import { freePort } from "../../../central/src/db/free-port.ts";
import { createReadingBuffer } from "../../../edge/src/buffer/buffer.ts";
import { openDatabase } from "../../../edge/src/buffer/database.ts";
import { createQuarantine } from "../../../edge/src/buffer/quarantine.ts";
import { type CentralLedger, readCentral } from "./ledger.ts";
import { centralChild, edgeChild, edgeStatus } from "./processes.ts";
import { identityKey, type Publishers, startPublishers } from "./publishers.ts";

export interface OfflineOptions {
  sql: Sql;
  databaseUrl: string;
  workDir: string;
  backlog: number;
  sensors: number;
  /** Live readings per second from MQTT devices, during the outage and the drain. */
  liveRate: number;
  /** How long central stays down after the edge started (live readings accumulate meanwhile). */
  outageMs: number;
  /**
   * Readings per forwarded batch. The short test uses small batches so that its backlog takes many
   * rounds, as a backlog of hours does at the default size; otherwise it is gone in two round trips.
   */
  batchReadings?: number;
  log?: (line: string) => void;
}

export interface DrainSample {
  at: number;
  buffered: number;
  oldestUnsyncedAt: string | null;
  drainRate: number;
  state: string;
  liveLane: boolean;
}

export interface OfflineReport {
  samples: DrainSample[];
  /** Status while central was down. */
  outageStatus: { buffered: number; lastErrorCode: string | undefined };
  /** Live readings acked after central came back, and how many of them central held mid-drain. */
  liveDuringDrain: { acked: number; atCentralMidDrain: number; backlogLeftThen: number };
  published: Publishers;
  backlogKeys: Map<string, number>;
  central: CentralLedger;
  drainMs: number;
}

interface Status {
  buffered: number;
  oldestUnsyncedAt: string | null;
  sync: { state: string; drainRatePerSecond: number; liveLane: unknown; lastError: { code: string } | null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BASE_TS = Date.UTC(2024, 0, 1);

export async function runOffline(options: OfflineOptions): Promise<OfflineReport> {
  const log = options.log ?? (() => undefined);
  const edgeId = "site-offline";
  const { token } = await createTokenStore(options.sql).create({
    role: "edge",
    name: "offline edge",
    edgeId,
  });
  const [centralPort, mqttPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = join(options.workDir, "edge");

  // The backlog, as if received hours ago while the link was down.
  const backlogKeys = new Map<string, number>();
  const fillDb = openDatabase(join(dataDir, "buffer.sqlite"), { synchronous: "NORMAL" });
  const fill = createReadingBuffer(fillDb, createQuarantine(fillDb));
  const receivedAt = Date.now() - 6 * 3_600_000;
  for (let i = 0; i < options.backlog; i += 20_000) {
    const chunk: Reading[] = [];
    for (let j = i; j < Math.min(options.backlog, i + 20_000); j++) {
      const reading = {
        equipmentId: `OLD-${j % options.sensors}`,
        ts: BASE_TS + Math.floor(j / options.sensors) * 1000,
        centi: j % 100_000,
      };
      chunk.push(reading);
      backlogKeys.set(identityKey(reading.equipmentId, reading.ts), reading.centi);
    }
    fill.commit(chunk, [], receivedAt + Math.floor(i / 1000));
  }
  fillDb.close();
  log(`backlog of ${options.backlog} readings in the buffer`);

  const central = centralChild({
    databaseUrl: options.databaseUrl,
    port: centralPort,
    dataDir: join(options.workDir, "central"),
    logFile: join(options.workDir, "central.log"),
  });
  const edge = edgeChild({
    edgeId,
    dataDir,
    mqttPort,
    httpPort,
    centralUrl: `http://127.0.0.1:${centralPort}`,
    centralToken: token,
    logFile: join(options.workDir, "edge.log"),
    env: {
      PLANTLINK_FORWARD_BACKOFF_MAX_MS: "2000",
      PLANTLINK_FORWARD_LIVE_LAG_MS: "5000",
      ...(options.batchReadings ? { PLANTLINK_FORWARD_BATCH_READINGS: String(options.batchReadings) } : {}),
    },
  });
  let publishers: Publishers | undefined;
  try {
    await edge.start();
    publishers = startPublishers({
      mqttPort,
      clients: 2,
      sensorsPerClient: 20,
      window: 20,
      rate: options.liveRate,
      prefix: "LIVE",
    });
    await sleep(options.outageMs);
    const outage = await edgeStatus<Status>(httpPort);
    log(
      `central down: buffered ${outage?.buffered}, forwarder ${outage?.sync.state} (${outage?.sync.lastError?.code})`,
    );

    await central.start();
    const cameBack = Date.now();
    const ackedBefore = new Set(publishers.acked.keys());
    const samples: DrainSample[] = [];
    let midDrain: OfflineReport["liveDuringDrain"] | undefined;
    for (;;) {
      const status = await edgeStatus<Status>(httpPort);
      if (status) {
        samples.push({
          at: Date.now() - cameBack,
          buffered: status.buffered,
          oldestUnsyncedAt: status.oldestUnsyncedAt,
          drainRate: status.sync.drainRatePerSecond,
          state: status.sync.state,
          liveLane: status.sync.liveLane !== null,
        });
        // While the backlog is still draining: are the readings devices sent since central came back
        // at central already? The last such look before the backlog is done is the one kept.
        if (
          status.buffered > options.backlog * 0.05 &&
          Date.parse(status.oldestUnsyncedAt ?? "") < cameBack
        ) {
          const live = [...publishers.acked.keys()].filter((k) => !ackedBefore.has(k));
          const rows = await options.sql<{ n: number }[]>`
            select count(*)::int as n from readings
            where equipment_id like 'LIVE-%' and ts >= ${new Date(cameBack)}`;
          midDrain = {
            acked: live.length,
            atCentralMidDrain: rows[0]?.n ?? 0,
            backlogLeftThen: status.buffered,
          };
        }
        // Drained: what is left (if anything) arrived after central came back — live, not backlog.
        const oldest =
          status.oldestUnsyncedAt === null ? Number.POSITIVE_INFINITY : Date.parse(status.oldestUnsyncedAt);
        if (oldest >= cameBack && samples.length > 2) break;
      }
      if (Date.now() - cameBack > 600_000) throw new Error("the backlog did not drain within 10 minutes");
      await sleep(250);
    }
    const drainMs = Date.now() - cameBack;
    if (midDrain) {
      log(
        `mid-drain (${midDrain.backlogLeftThen} left): ${midDrain.atCentralMidDrain} live readings already at central`,
      );
    }
    await publishers.stop(5000);
    // Let the last live readings through before reading central.
    for (let i = 0; i < 100; i++) {
      const status = await edgeStatus<Status>(httpPort);
      if (status?.buffered === 0) break;
      await sleep(100);
    }
    await edge.stop();
    await central.stop();
    return {
      samples,
      outageStatus: { buffered: outage?.buffered ?? 0, lastErrorCode: outage?.sync.lastError?.code },
      liveDuringDrain: midDrain ?? { acked: 0, atCentralMidDrain: 0, backlogLeftThen: 0 },
      published: publishers,
      backlogKeys,
      central: await readCentral(options.sql),
      drainMs,
    };
  } finally {
    await publishers?.stop(0).catch(() => undefined);
    await edge.kill9();
    await central.kill9();
  }
}
