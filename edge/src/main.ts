/**
 * Builds an edge agent from its configuration and wires the parts, in the order a reading travels:
 * broker/ and http/ → buffer/ (group commit → SQLite) ; status/. Returns `{ close() }`.
 * Nothing here is global, so a test can run two edges in one process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, createReadingValidator, LoginThrottle } from "@plantlink/shared";
import { Hono } from "hono";
import type { Logger } from "pino";
import { createBrokerAuth } from "./broker/auth.ts";
import { type MqttBroker, startBroker } from "./broker/broker.ts";
import { createPublishGate } from "./broker/ingest.ts";
import { createPacketRefusals } from "./broker/packet-refusals.ts";
import { createReadingBuffer, type ReadingBuffer } from "./buffer/buffer.ts";
import { type Capacity, createCapacity } from "./buffer/capacity.ts";
import { VerifiedPasswords } from "./buffer/credentials.ts";
import { BUFFER_FILE_NAME, type Db, openDatabase } from "./buffer/database.ts";
import { createGroupCommit, type GroupCommit } from "./buffer/group-commit.ts";
import { createPruner, type Pruner } from "./buffer/pruner.ts";
import { createQuarantine, type Quarantine } from "./buffer/quarantine.ts";
import { createRegistry, type Registry } from "./buffer/registry.ts";
import type { EdgeConfig } from "./config.ts";
import { type Forwarding, startForwarding } from "./forwarder/forwarding.ts";
import { describeSync } from "./forwarder/status.ts";
import { createGatewayLookups } from "./http/gateway-lookups.ts";
import { problem } from "./http/problem.ts";
import { createReceiver } from "./http/receiver.ts";
import { type HttpListener, listenHttp } from "./http/server.ts";
import { createMetrics, type EdgeMetrics } from "./status/metrics.ts";
import { createStatusRoutes } from "./status/routes.ts";
import { describeStatus, type EdgeStatus } from "./status/status.ts";

/** The parts a later component (the forwarder) and tests work with. */
export interface EdgeParts {
  db: Db;
  buffer: ReadingBuffer;
  quarantine: Quarantine;
  registry: Registry;
  groupCommit: GroupCommit;
  capacity: Capacity;
  pruner: Pruner;
  metrics: EdgeMetrics;
}

export interface Edge {
  edgeId: string;
  ports: { mqtt: number; mqttTls: number | undefined; mqttWs: number | undefined; http: number };
  parts: EdgeParts;
  status(): EdgeStatus;
  close(): Promise<void>;
}

export interface EdgeDeps {
  logger: Logger;
  now?: () => number;
  /** Tests: a fake free-disk figure for the reserve. */
  freeDiskBytes?: (dir: string) => Promise<number>;
  /** Benchmark only: false measures the broker without the durability hook. */
  durable?: boolean;
}

function readTlsFiles(config: EdgeConfig): { cert: Buffer; key: Buffer } | undefined {
  if (!config.tls) return undefined;
  const read = (variable: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError([`${variable}: cannot read ${path} (${(error as Error).message})`]);
    }
  };
  return {
    cert: read("PLANTLINK_EDGE_TLS_CERT", config.tls.certPath),
    key: read("PLANTLINK_EDGE_TLS_KEY", config.tls.keyPath),
  };
}

export async function startEdge(config: EdgeConfig, deps: EdgeDeps): Promise<Edge> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const tls = readTlsFiles(config);

  const db = openDatabase(join(config.dataDir, BUFFER_FILE_NAME), { synchronous: config.buffer.synchronous });
  const quarantine = createQuarantine(db);
  const buffer = createReadingBuffer(db, quarantine);
  const registry = createRegistry(db);

  let pruner: Pruner | undefined;
  const capacity = createCapacity({
    dir: config.dataDir,
    maxBytes: config.buffer.maxBytes,
    diskReserveBytes: config.buffer.diskReserveBytes,
    usedBytes: buffer.usedBytes,
    ...(deps.freeDiskBytes ? { freeDiskBytes: deps.freeDiskBytes } : {}),
    onChange(refusing, figures) {
      if (refusing) {
        logger.error({ reason: refusing, ...figures }, "the edge is refusing new readings");
        pruner?.nudge();
      } else {
        logger.warn({ ...figures }, "the edge accepts readings again");
      }
    },
  });

  let broker: MqttBroker | undefined;
  const metrics = createMetrics({
    buffer: () => {
      const stats = buffer.stats();
      return {
        rows: stats.rows,
        unsynced: stats.unsynced,
        oldestUnsyncedAgeMs: stats.oldestUnsynced ? Math.max(0, now() - stats.oldestUnsynced.receivedAt) : 0,
        quarantined: quarantine.count(),
      };
    },
    capacity: capacity.figures,
    connectedDevices: () => broker?.connected() ?? 0,
  });

  const groupCommit = createGroupCommit({
    buffer,
    maxReadings: config.commit.maxReadings,
    maxDelayMs: config.commit.maxDelayMs,
    now,
    admission: () => capacity.refusal(),
    onCommitted(batch) {
      if (batch.readingsBySource.mqtt > 0)
        metrics.accepted.inc({ source: "mqtt" }, batch.readingsBySource.mqtt);
      if (batch.readingsBySource.http > 0)
        metrics.accepted.inc({ source: "http" }, batch.readingsBySource.http);
      metrics.commitBatchSize.observe(batch.readings + batch.quarantined);
      metrics.commitDuration.observe(batch.durationMs / 1000);
      capacity.measure();
    },
    onFailed(error, requests) {
      logger.error({ err: error, requests }, "group commit failed; nothing in it was acknowledged");
      capacity.measure();
    },
  });

  pruner = createPruner({
    buffer,
    capacity,
    retentionMs: config.buffer.retentionMs,
    now,
    onPruned(rows, pressure) {
      metrics.pruned.inc(rows);
      logger.info({ rows, pressure }, "pruned synced readings");
    },
  });

  const verified = new VerifiedPasswords();
  // One per edge, for MQTT and HTTP alike: an address guessing on one is blocked on both.
  const throttle = new LoginThrottle({ now });
  const validator = createReadingValidator({ now, maxFutureSkewMs: config.maxFutureSkewMs });
  const auth = createBrokerAuth({
    registry,
    verified,
    allowAnonymous: config.mqtt.allowAnonymous,
    allowSubscribe: config.mqtt.allowSubscribe,
    refusal: () => capacity.refusal(),
    throttle,
    logger,
  });
  const rules = { validator, maxPayloadBytes: config.mqtt.maxPayloadBytes };

  let closing = false;
  let forwarding: Forwarding | undefined;
  const status = () =>
    describeStatus({
      edgeId: config.edgeId,
      running: true,
      startedAt,
      now: now(),
      stats: buffer.stats(),
      quarantined: quarantine.count(),
      capacity: capacity.figures(),
      connectedDevices: broker?.connected(),
      eventLoopDelayMs: metrics.eventLoopDelayMs(),
      sync: forwarding && describeSync(forwarding.status()),
    });

  // Moves when another process (the CLI) commits to the file; this process's own commits do not.
  const statement = db.prepare("PRAGMA data_version").pluck();
  const fileVersion = () => statement.get() as number;
  const app = new Hono();
  app.route(
    "/",
    createReceiver({
      registry,
      gateways: createGatewayLookups(registry, fileVersion),
      verified,
      groupCommit,
      validator,
      metrics,
      maxBodyBytes: config.http.maxBodyBytes,
      allowAnonymous: config.mqtt.allowAnonymous,
      throttle,
    }),
  );
  app.route(
    "/",
    createStatusRoutes({
      metrics,
      status,
      notReady: () => (closing ? "shutting down" : capacity.refusal()?.message),
    }),
  );
  app.notFound((c) => problem(c, 404, "Not Found", `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    logger.error({ err: error, path: c.req.path }, "HTTP handler failed");
    return problem(c, 500, "Internal Server Error", "the edge failed to handle the request; see its log");
  });

  let http: HttpListener | undefined;
  try {
    broker = await startBroker({
      auth,
      authorizePublish: (qos2Received) =>
        createPublishGate({
          auth,
          groupCommit,
          rules,
          metrics,
          logger,
          qos2Received,
          durable: deps.durable ?? true,
        }),
      host: config.listenHost,
      port: config.mqtt.port,
      tlsPort: config.mqtt.tlsPort,
      wsPort: config.mqtt.wsPort,
      tls,
      maxPayloadBytes: config.mqtt.maxPayloadBytes,
      onPacketRefused: createPacketRefusals({ auth, groupCommit, metrics, logger }),
      logger,
    });
    http = await listenHttp({ app, port: config.http.port, host: config.listenHost, tls });
  } catch (error) {
    await broker?.close();
    pruner.close();
    capacity.close();
    metrics.close();
    db.close();
    throw error;
  }

  // A device disabled from the CLI (another process) loses its connection within seconds.
  let dataVersion = fileVersion();
  const sweep = setInterval(() => {
    const version = fileVersion();
    if (version === dataVersion || !broker) return;
    dataVersion = version;
    auth.sweepDisabled([...broker.clients()]);
  }, 5000);
  sweep.unref();

  // Started last: nothing above can fail after it, so no start-up path leaves it running.
  forwarding = startForwarding(config.forward, {
    edgeId: config.edgeId,
    buffer,
    db,
    quarantine,
    registry: metrics.registry,
    logger,
    now,
  });

  if (config.forward?.plainHttp === "allowed") {
    logger.warn(
      { url: config.forward.url },
      "forwarding to central over plain HTTP (PLANTLINK_ALLOW_INSECURE_CENTRAL=true): the edge's token and readings cross the network unencrypted",
    );
  } else if (config.forward?.plainHttp === "loopback") {
    logger.warn(
      { url: config.forward.url },
      "forwarding to central over plain HTTP on this machine: fine behind a local TLS tunnel or proxy, nowhere else",
    );
  }
  if (config.mqtt.allowAnonymous) {
    logger.warn(
      "ANONYMOUS ACCESS IS ON (PLANTLINK_ALLOW_ANONYMOUS=true): any client on the network may publish readings without credentials",
    );
  }
  const ports = {
    mqtt: broker.ports.tcp,
    mqttTls: broker.ports.tls,
    mqttWs: broker.ports.ws,
    http: http.port,
  };
  logger.info({ edgeId: config.edgeId, dataDir: config.dataDir, ...ports }, "edge listening");

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      broker?.stopAccepting();
      // Commit what is queued and release its acknowledgements; refuse everything after.
      groupCommit.close();
      // Batches in flight finish (and are marked synced) or are abandoned unmarked before the file closes.
      await forwarding?.close();
      await http?.close();
      // Let the released PUBACKs reach the sockets before the broker closes them.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await broker?.close();
      clearInterval(sweep);
      pruner?.close();
      capacity.close();
      metrics.close();
      db.close();
      logger.info({ edgeId: config.edgeId }, "edge stopped");
    })();
    return closed;
  };

  return {
    edgeId: config.edgeId,
    ports,
    parts: { db, buffer, quarantine, registry, groupCommit, capacity, pruner, metrics },
    status,
    close,
  };
}
