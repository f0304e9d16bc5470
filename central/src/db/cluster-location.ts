/**
 * Where the embedded cluster lives: the configured data directory, unless we are root and the
 * `postgres` system user the server runs as cannot reach it — a checkout under /root (mode 0700), say.
 * Then the cluster is kept under a directory that user can reach, and the configured data directory
 * becomes a symbolic link to it: later starts follow the link to the same cluster, `ls -l` shows
 * where it is, and nothing about the checkout's permissions has to change.
 */
import { randomBytes } from "node:crypto";
import { readdir, readlink, rmdir, symlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import {
  assertReachable,
  makeOpenDirectory,
  type ServerUser,
  unreachableAncestor,
} from "./postgres-binaries.ts";

/**
 * The directory the server is to use for the cluster configured at `dataDir`; creates the link (not
 * the cluster) when the cluster has to live under `clustersRoot`.
 */
export async function clusterDirectory(
  dataDir: string,
  user: ServerUser | undefined,
  clustersRoot: string,
): Promise<string> {
  const linked = await readlink(dataDir).catch(() => undefined);
  // A link made by an earlier start (or by the operator): the cluster is where it points. The server
  // is given that path, as the postgres user may not be able to follow the link itself.
  if (linked !== undefined) return resolve(dirname(dataDir), linked);
  if (!user || (await unreachableAncestor(dataDir, user)) === undefined) return dataDir;

  const entries = await readdir(dataDir).catch(() => undefined);
  // An existing cluster is not moved behind the operator's back: say which directory to open up.
  if (entries !== undefined && entries.length > 0) await assertReachable(dataDir, user);

  await makeOpenDirectory(clustersRoot);
  // Named after the configured path, so a look in clustersRoot tells which checkout each belongs to.
  const origin = resolve(dataDir)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+/, "")
    .slice(-80);
  const target = join(clustersRoot, `${origin}-${randomBytes(4).toString("hex")}`);
  if (entries !== undefined) await rmdir(dataDir);
  await symlink(target, dataDir);
  return target;
}
