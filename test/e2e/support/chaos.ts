/**
 * The chaos run, shared by the suite's short test and `pnpm bench chaos --minutes N`: one central and
 * one edge as child processes, a fault proxy between them, QoS 1 publishers recording what the edge
 * acknowledged; during the run the edge and central are SIGKILLed and the link is cut, stalled, reset
 * and loses answers. Then everything is healed, left to drain, and the ledgers are read back.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createTokenStore } from "../../../central/src/auth/tokens.ts";
import type { Sql } from "../../../central/src/db/connect.ts";
import { freePort } from "../../../central/src/db/free-port.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { type CentralLedger, type EdgeLedger, readCentral, readEdgeBuffer } from "./ledger.ts";
import { centralChild, edgeChild, edgeStatus } from "./processes.ts";
import { type Publishers, startPublishers } from "./publishers.ts";

export type ChaosEvent = "kill-edge" | "kill-central" | "cut" | "stall" | "reset" | "drop-responses";

/** Every kind of fault once, with each process killed twice: the long runs repeat it. */
const CYCLE: readonly ChaosEvent[] = [
  "kill-edge",
  "cut",
  "kill-central",
  "drop-responses",
  "stall",
  "kill-edge",
  "reset",
  "kill-central",
];

/**
 * The long runs' faults (`pnpm bench chaos`, `pnpm bench faults`): the cycle repeated, one fault about
 * every 8 s of `minutes` on an idle machine; restarts take longer under load, and the run waits for them.
 */
export function longChaosEvents(minutes: number): ChaosEvent[] {
  const count = Math.max(CYCLE.length, Math.round((minutes * 60) / 8));
  return Array.from({ length: count }, (_, i) => CYCLE[i % CYCLE.length] as ChaosEvent);
}

export interface ChaosOptions {
  sql: Sql;
  databaseUrl: string;
  workDir: string;
  /** How long publishers run while faults are injected. */
  loadMs: number;
  /** The faults, in order, spread evenly over the load. */
  events: ChaosEvent[];
  rate: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  published: Publishers;
  central: CentralLedger;
  edge: EdgeLedger;
  events: { at: number; event: ChaosEvent }[];
  edgeStarts: number;
  centralStarts: number;
  proxy: ReturnType<FaultProxy["counts"]>;
  drainMs: number;
  finalStatus: unknown;
}

interface StatusShape {
  buffered: number;
  sync?: { state?: string; inFlight?: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.workDir, { recursive: true });
  const edgeId = "site-chaos";
  const { token } = await createTokenStore(options.sql).create({ role: "edge", name: "chaos edge", edgeId });
  const [centralPort, mqttPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const proxy = await startFaultProxy({ host: "127.0.0.1", port: centralPort });
  const central = centralChild({
    databaseUrl: options.databaseUrl,
    port: centralPort,
    dataDir: join(options.workDir, "central"),
    logFile: join(options.workDir, "central.log"),
  });
  const edgeDataDir = join(options.workDir, "edge");
  const edge = edgeChild({
    edgeId,
    dataDir: edgeDataDir,
    mqttPort,
    httpPort,
    centralUrl: proxy.url(),
    centralToken: token,
    logFile: join(options.workDir, "edge.log"),
    env: {
      // Small batches and short timeouts: more batches in flight when the faults hit, faster recovery.
      PLANTLINK_FORWARD_BATCH_READINGS: "500",
      PLANTLINK_FORWARD_IN_FLIGHT: "4",
      PLANTLINK_FORWARD_CONNECT_TIMEOUT_MS: "1000",
      PLANTLINK_FORWARD_REQUEST_TIMEOUT_MS: "1500",
      PLANTLINK_FORWARD_BACKOFF_BASE_MS: "50",
      PLANTLINK_FORWARD_BACKOFF_MAX_MS: "1000",
      PLANTLINK_FORWARD_LIVE_LAG_MS: "2000",
    },
  });

  const inject = async (event: ChaosEvent) => {
    switch (event) {
      case "kill-edge":
        await edge.kill9();
        await sleep(200);
        await edge.start();
        return;
      case "kill-central":
        await central.kill9();
        await sleep(1000);
        await central.start();
        return;
      case "cut":
        return proxy.cut(1500);
      case "stall":
        return proxy.stall(2500);
      case "reset":
        return proxy.reset();
      case "drop-responses":
        return proxy.dropResponses(3);
    }
  };

  const events: ChaosReport["events"] = [];
  let publishers: Publishers | undefined;
  try {
    await Promise.all([central.start(), edge.start()]);
    const started = Date.now();
    log(`central :${centralPort} (via proxy :${proxy.port}), edge mqtt :${mqttPort} http :${httpPort}`);
    publishers = startPublishers({
      mqttPort,
      clients: 4,
      sensorsPerClient: 50,
      window: 20,
      rate: options.rate,
    });

    // Events go one after another with a pause between them, not on a clock: a restart that takes
    // long on a loaded machine must not make the next faults pile up at one instant.
    const gapMs = options.loadMs / (options.events.length + 1);
    for (let i = 0; i < options.events.length || Date.now() - started < options.loadMs - gapMs; i++) {
      await sleep(gapMs);
      const event = options.events[i % options.events.length];
      if (!event) break;
      events.push({ at: Date.now() - started, event });
      log(
        `${((Date.now() - started) / 1000).toFixed(1)} s: ${event} (acked so far ${publishers.acked.size})`,
      );
      await inject(event);
    }
    await sleep(Math.max(0, started + options.loadMs - Date.now()));
    await publishers.stop(10_000);
    log(`load done: ${publishers.acked.size} acknowledged of ${publishers.attempted.size} published`);

    proxy.heal();
    const drainStarted = Date.now();
    let status: StatusShape | undefined;
    for (;;) {
      status = await edgeStatus<StatusShape>(httpPort);
      if (status && status.buffered === 0 && (status.sync?.inFlight ?? 0) === 0) break;
      if (Date.now() - drainStarted > 120_000) throw new Error(`no drain: ${JSON.stringify(status)}`);
      await sleep(100);
    }
    const drainMs = Date.now() - drainStarted;
    log(`drained in ${drainMs} ms`);
    await edge.stop();
    await central.stop();
    return {
      published: publishers,
      central: await readCentral(options.sql),
      edge: readEdgeBuffer(join(edgeDataDir, "buffer.sqlite")),
      events,
      edgeStarts: edge.starts(),
      centralStarts: central.starts(),
      proxy: proxy.counts(),
      drainMs,
      finalStatus: status,
    };
  } finally {
    await publishers?.stop(0).catch(() => undefined);
    await edge.kill9();
    await central.kill9();
    await proxy.close();
  }
}
