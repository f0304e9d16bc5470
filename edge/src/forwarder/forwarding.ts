/**
 * The forwarder as the edge runs it: built from the configuration (reading the CA and client
 * certificate files once, at start-up, with errors that name the variable), with its metrics on the
 * edge's registry. With no central configured, the edge only buffers, and status says so.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "@plantlink/shared";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { ReadingBuffer } from "../buffer/buffer.ts";
import type { Db } from "../buffer/database.ts";
import type { Quarantine } from "../buffer/quarantine.ts";
import { createCentralClient } from "./client.ts";
import type { ForwardConfig } from "./config.ts";
import { type Forwarder, startForwarder } from "./forwarder.ts";
import { createForwarderMetrics } from "./metrics.ts";
import { disabledStatus, type ForwarderStatus } from "./status.ts";

export interface ForwardingDeps {
  edgeId: string;
  buffer: ReadingBuffer;
  db: Db;
  quarantine: Quarantine;
  registry: Registry;
  logger: Logger;
  now: () => number;
}

export type Forwarding = Pick<Forwarder, "status" | "close">;

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read ${file} (${(error as Error).message})`]);
  }
}

export function startForwarding(config: ForwardConfig | undefined, deps: ForwardingDeps): Forwarding {
  let forwarder: Forwarder | undefined;
  const status = (): ForwarderStatus => forwarder?.status() ?? disabledStatus();
  const observer = createForwarderMetrics(deps.registry, status);
  if (!config) {
    deps.logger.warn("PLANTLINK_CENTRAL_URL is not set: readings are buffered here and forwarded nowhere");
    return { status, close: async () => undefined };
  }
  const client = createCentralClient({
    url: config.url,
    token: config.token,
    ca: config.caFile === undefined ? undefined : readPem("PLANTLINK_CENTRAL_CA", config.caFile),
    clientCert: config.clientCert && {
      cert: readPem("PLANTLINK_CLIENT_CERT", config.clientCert.certFile),
      key: readPem("PLANTLINK_CLIENT_KEY", config.clientCert.keyFile),
    },
    connections: config.inFlight,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  forwarder = startForwarder(
    {
      edgeId: deps.edgeId,
      centralUrl: config.url,
      maxReadings: config.batchReadings,
      maxBytes: config.batchBytes,
      maxInFlight: config.inFlight,
      backoffBaseMs: config.backoffBaseMs,
      backoffCapMs: config.backoffMaxMs,
      gzipLevel: config.gzipLevel,
      liveLagMs: config.liveLagMs,
      pollMs: 250,
      closeGraceMs: 5000,
    },
    {
      buffer: deps.buffer,
      db: deps.db,
      quarantine: deps.quarantine,
      client,
      log: deps.logger.child({ part: "forwarder" }),
      now: deps.now,
      random: Math.random,
      observer,
    },
  );
  deps.logger.info(
    { central: config.url, inFlight: config.inFlight, batch: config.batchReadings },
    "forwarding to central",
  );
  return forwarder;
}
