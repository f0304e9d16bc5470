/**
 * The whole system on one machine: central on its embedded PostgreSQL, serving HTTPS with a private
 * CA, and one edge agent forwarding to it over that HTTPS — the same parts and the same path a plant
 * deployment uses, wired in one process. Each part is configured through its own config schema (the
 * env map below), so what `pnpm start` runs is exactly what `pnpm central serve` and `pnpm edge serve`
 * would run with those variables.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type CentralService,
  loadConfig as loadCentralConfig,
  type Role,
  runCentral,
  type TokenStore,
} from "@plantlink/central";
import { type Edge, generatePassword, hashPassword, loadEdgeConfig, startEdge } from "@plantlink/edge";
import { Teardown } from "@plantlink/shared";
import type { Logger } from "pino";
import { readCredentials, type StartCredentials, writeCredentials } from "./credentials.ts";
import { ensureTls, type TlsFiles } from "./tls.ts";

export interface SystemOptions {
  /** Everything the system writes lives under here (default ./data). */
  dataDir: string;
  /** The environment the parts' config schemas read; ports and the like come from here. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** The file `log` writes to; central's worker processes append their logs to it too. */
  logFile?: string;
}

export interface System {
  dataDir: string;
  central: CentralService;
  edge: Edge;
  tls: TlsFiles;
  credentials: StartCredentials;
  /** True when this start created the data (tokens, certificates, database). */
  firstStart: boolean;
  close(): Promise<void>;
}

/** The device `pnpm start` registers for the printed mosquitto_pub and curl examples. */
export const DEMO_DEVICE = "DEMO-1";
const DEFAULT_EDGE_ID = "plant-1";

/** A token still valid in central, or a new one with that role (central keeps only hashes). */
async function token(
  tokens: TokenStore,
  existing: string | undefined,
  role: Role,
  name: string,
  edgeId?: string,
): Promise<string> {
  if (existing) {
    const principal = await tokens.authenticate(existing);
    if (principal?.role === role && (edgeId === undefined || principal.edgeId === edgeId)) return existing;
  }
  return (await tokens.create({ role, name, edgeId })).token;
}

export async function startSystem(options: SystemOptions): Promise<System> {
  const { env, log } = options;
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const remembered = await readCredentials(dataDir);
  const tls = await ensureTls(join(dataDir, "tls"));

  const centralConfig = loadCentralConfig({
    ...env,
    PLANTLINK_CENTRAL_DATA_DIR: env.PLANTLINK_CENTRAL_DATA_DIR ?? join(dataDir, "central"),
    PLANTLINK_TLS_CERT: tls.serverCert,
    PLANTLINK_TLS_KEY: tls.serverKey,
  });
  const undo = new Teardown((error) => log.error({ err: error }, "shutdown step failed"));

  try {
    const central = await runCentral(centralConfig, {
      log: log.child({ service: "central" }),
      ...(options.logFile ? { workerLogFile: options.logFile } : {}),
    });
    undo.add(() => central.close());
    // central.url shows 127.0.0.1 for a wildcard listener; the certificate names both it and localhost.
    const centralUrl = central.url;

    const edgeId = env.PLANTLINK_EDGE_ID ?? remembered?.edgeId ?? DEFAULT_EDGE_ID;
    const tokens = central.tokens;
    const issued = {
      admin: central.firstAdminToken ?? remembered?.tokens.admin,
      viewer: await token(tokens, remembered?.tokens.viewer, "viewer", "pnpm start: dashboard"),
      ingest: await token(tokens, remembered?.tokens.ingest, "ingest", "pnpm start: simulator history"),
      vendor: await token(tokens, remembered?.tokens.vendor, "vendor", "pnpm start: demo backfill"),
      edge: await token(tokens, remembered?.tokens.edge, "edge", `pnpm start: edge ${edgeId}`, edgeId),
    };

    const edgeConfig = loadEdgeConfig({
      ...env,
      PLANTLINK_EDGE_ID: edgeId,
      PLANTLINK_EDGE_DATA_DIR: env.PLANTLINK_EDGE_DATA_DIR ?? join(dataDir, "edge"),
      PLANTLINK_CENTRAL_URL: centralUrl,
      PLANTLINK_CENTRAL_TOKEN: issued.edge,
      PLANTLINK_CENTRAL_CA: tls.caCert,
    });
    const edge = await startEdge(edgeConfig, { logger: log.child({ service: "edge" }) });
    undo.add(() => edge.close());

    // The demo device: reuse its password while the registry still has it, else register it anew.
    const registry = edge.parts.registry;
    let device = remembered?.device;
    if (!device || device.id !== DEMO_DEVICE || !registry.device(DEMO_DEVICE)?.enabled) {
      device = { id: DEMO_DEVICE, password: generatePassword() };
      registry.addDevice(device.id, await hashPassword(device.password, "generated"), Date.now(), {
        replace: true,
      });
    }

    const host =
      edgeConfig.listenHost && edgeConfig.listenHost !== "0.0.0.0" ? edgeConfig.listenHost : "127.0.0.1";
    const credentials: StartCredentials = {
      version: 1,
      edgeId,
      tokens: issued,
      device,
      ...(remembered?.demoHistoryUntil ? { demoHistoryUntil: remembered.demoHistoryUntil } : {}),
      addresses: {
        centralUrl,
        caFile: tls.caCert,
        mqttUrl: `mqtt://${host}:${edge.ports.mqtt}`,
        edgeHttpUrl: `http://${host}:${edge.ports.http}`,
        edgeDataDir: edgeConfig.dataDir,
      },
    };
    await writeCredentials(dataDir, credentials);

    let closing: Promise<void> | undefined;
    return {
      dataDir,
      central,
      edge,
      tls,
      credentials,
      firstStart: remembered === undefined,
      close: () => {
        closing ??= undo.run();
        return closing;
      },
    };
  } catch (error) {
    await undo.run();
    throw error;
  }
}
