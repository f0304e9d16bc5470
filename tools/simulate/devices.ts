/**
 * The simulated fleet's identities and how each logs in. Real devices have their own credentials, so
 * simulated ones do too: each is registered in the edge's device registry (the same table
 * `pnpm edge device add` writes; the edge reads it on every CONNECT, so no restart is needed) and its
 * password is kept in a credentials file, so a second run reuses the same devices.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generatePassword, hashPassword, loadEdgeConfig, openStore } from "@plantlink/edge";
import { z } from "zod";

export interface DeviceLogin {
  id: string;
  /** Undefined for anonymous devices (only when the edge allows anonymous access). */
  password: string | undefined;
}

/** `EQ-10001`, `EQ-10002`, …: the equipment-id shape the reading model documents. */
export function deviceIds(count: number, prefix: string, first: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${first + i}`);
}

const credentialsSchema = z.record(z.string(), z.string());

async function readCredentials(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const parsed = credentialsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: expected a JSON object of device id → password`);
  return parsed.data;
}

async function writeCredentials(file: string, credentials: Record<string, string>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // Write then rename: an interrupted run never leaves a half-written file that loses passwords.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 1)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** Runs `work` over `items` with at most `limit` at once (scrypt runs on libuv's thread pool). */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export type LoginSource =
  | { kind: "anonymous" }
  /** Passwords from a file the operator provides (devices registered by hand on a remote edge). */
  | { kind: "file"; credentialsFile: string }
  /** Register in the edge's registry on this machine, keeping passwords in `credentialsFile`. */
  | { kind: "register"; edgeDataDir: string; credentialsFile: string };

export interface Logins {
  logins: DeviceLogin[];
  /** How many devices this call registered (new, or missing from the registry). */
  registered: number;
}

export async function prepareLogins(ids: readonly string[], source: LoginSource): Promise<Logins> {
  if (source.kind === "anonymous")
    return { logins: ids.map((id) => ({ id, password: undefined })), registered: 0 };
  const credentials = await readCredentials(source.credentialsFile);
  if (source.kind === "file") {
    const missing = ids.filter((id) => credentials[id] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `${source.credentialsFile} has no password for ${missing.length} device(s), e.g. ${missing[0]}; ` +
          "register them on the edge (pnpm edge device add ID) and add them to the file",
      );
    }
    return { logins: ids.map((id) => ({ id, password: credentials[id] })), registered: 0 };
  }

  const store = openStore(loadEdgeConfig({ PLANTLINK_EDGE_DATA_DIR: source.edgeDataDir }));
  let registered = 0;
  try {
    // A device is (re)registered when the registry lacks it, is disabled, or we lack its password:
    // the file and the registry then agree again, whichever of the two was lost.
    const toRegister = ids.filter(
      (id) => credentials[id] === undefined || !store.registry.device(id)?.enabled,
    );
    const hashes = new Map<string, string>();
    await eachLimited(toRegister, 8, async (id) => {
      const password = generatePassword();
      credentials[id] = password;
      hashes.set(id, await hashPassword(password, "generated"));
    });
    const now = Date.now();
    // One transaction for the lot: 2,000 single-row commits would cost 2,000 fsyncs.
    store.db.transaction(() => {
      for (const [id, hash] of hashes) store.registry.addDevice(id, hash, now, { replace: true });
    })();
    registered = hashes.size;
    if (registered > 0) await writeCredentials(source.credentialsFile, credentials);
  } finally {
    store.close();
  }
  return { logins: ids.map((id) => ({ id, password: credentials[id] })), registered };
}
