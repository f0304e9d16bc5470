/**
 * Which PostgreSQL central talks to: DATABASE_URL's, or the embedded one in the data directory —
 * started here, or, when a running central already owns it, borrowed (so `pnpm central token create`
 * works beside a running `pnpm central serve` instead of shutting its database down).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { CentralConfig } from "./config.ts";
import { startEmbeddedPostgres } from "./db/embedded-postgres.ts";
import { freePort } from "./db/free-port.ts";
import { isAlive, recordedPostmaster } from "./db/postmaster.ts";

export interface Database {
  url: string;
  /** `external`: DATABASE_URL; `embedded`: started by us; `borrowed`: another central's embedded server. */
  kind: "external" | "embedded" | "borrowed";
  /** Stops the server when we started it; otherwise does nothing. */
  stop(): Promise<void>;
}

/** Where the embedded server's cluster lives inside the central data directory. */
export const embeddedDataDir = (config: CentralConfig) => join(config.dataDir, "postgres");

// Written by db/embedded-postgres.ts beside the cluster when it is initialised.
const PASSWORD_FILE = "plantlink-password";

export class DatabaseInUseError extends Error {
  readonly code = "database_in_use";
}

/** The embedded server another live process runs on `dataDir`, with the port it listens on. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pid = await recordedPostmaster(dataDir);
  if (pid === undefined || !(await isAlive(pid))) return undefined;
  // An orphan (its parent died; reparented to init) is not in use: starting our own clears it.
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  if (/^PPid:\s*1$/m.test(status)) return undefined;
  // postmaster.pid: pid, data directory, start time, port, ...
  const lines = (await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
  const port = Number.parseInt(lines[3] ?? "", 10);
  return Number.isInteger(port) ? { pid, port } : undefined;
}

export async function openDatabase(
  config: CentralConfig,
  log: Logger,
  options: { share: boolean },
): Promise<Database> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, kind: "external", stop: async () => {} };
  }
  const dataDir = embeddedDataDir(config);
  const running = await runningServer(dataDir);
  if (running) {
    if (!options.share) {
      throw new DatabaseInUseError(
        `the embedded PostgreSQL in ${dataDir} is already running (pid ${running.pid}), started by another ` +
          "central; stop that one first, or give this one its own PLANTLINK_CENTRAL_DATA_DIR",
      );
    }
    const password = (await readFile(join(dataDir, PASSWORD_FILE), "utf8")).trim();
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/postgres`,
      kind: "borrowed",
      stop: async () => {},
    };
  }
  const port = config.embeddedPgPort === 0 ? await freePort() : config.embeddedPgPort;
  log.info({ msg: "starting the embedded PostgreSQL", dataDir, port });
  const pg = await startEmbeddedPostgres({
    dataDir,
    port,
    onLog: (line) => log.debug({ msg: "postgres", line }),
  });
  return { url: pg.url, kind: "embedded", stop: () => pg.stop() };
}
