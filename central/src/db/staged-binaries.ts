/**
 * The server binaries where the `postgres` system user can run them. As root, PostgreSQL runs as that
 * user (it refuses root); when the checkout, and so node_modules, sits under a directory closed to
 * others — a checkout in /root, mode 0700 — the user cannot execute the binaries where they were
 * installed. Their install tree (bin/, lib/, share/: the server finds its libraries and data files
 * relative to itself) is then staged once under a directory the user can reach: hard links on the same
 * file system (instant, no space), a copy otherwise.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
} from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import {
  makeOpenDirectory,
  type PostgresBinaries,
  type ServerUser,
  unreachableAncestor,
} from "./postgres-binaries.ts";

/**
 * `binaries` as they are when `user` can reach them (or we are not root), else their staged copy under
 * `stageRoot`. The stage is keyed by the source server binary's path, size and modification time, so a
 * reinstall or an upgrade stages anew and concurrent starts share one complete copy.
 */
export async function reachableBinaries(
  binaries: PostgresBinaries,
  user: ServerUser | undefined,
  stageRoot: string,
): Promise<PostgresBinaries> {
  if (!user || (await unreachableAncestor(binaries.postgres, user)) === undefined) return binaries;
  const home = dirname(dirname(binaries.postgres));
  const source = await realpath(binaries.postgres);
  const info = await stat(source);
  const key = createHash("sha256")
    .update(`${source}\0${info.size}\0${info.mtimeMs}`)
    .digest("hex")
    .slice(0, 16);
  await makeOpenDirectory(stageRoot);
  const staged = join(stageRoot, key);
  if (!(await isDirectory(staged))) {
    // Built aside and renamed into place whole: a crash mid-copy never leaves a stage that looks complete.
    const staging = `${staged}.staging-${randomBytes(4).toString("hex")}`;
    try {
      await copyTree(home, staging, new Map());
      await rename(staging, staged).catch(async (error: unknown) => {
        // Another start staged the same binaries first: theirs is complete, use it.
        if (!(await isDirectory(staged))) throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const inStage = (path: string) => join(staged, relative(home, path));
  return { postgres: inStage(binaries.postgres), initdb: inStage(binaries.initdb) };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Copies `from` to `to`, hard-linking each file when the file system allows and the file is readable by
 * others. Files linked to each other inside the tree (the package links its libraries' versioned names)
 * stay one file, so a copy across file systems is not twice the size. Static libraries (`.a`) are only
 * for building extensions and are left out.
 */
async function copyTree(from: string, to: string, copied: Map<string, string>): Promise<void> {
  await mkdir(to);
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(source, target, copied);
    } else if (entry.isSymbolicLink()) {
      await symlink(await readlink(source), target);
    } else if (entry.isFile() && !entry.name.endsWith(".a")) {
      const info = await lstat(source);
      const inode = `${info.dev}:${info.ino}`;
      const readableByOthers = (info.mode & 0o004) !== 0;
      const linked =
        readableByOthers &&
        (await link(source, target).then(
          () => true,
          () => false,
        ));
      if (linked) continue;
      const sibling = copied.get(inode);
      if (sibling !== undefined) {
        await link(sibling, target);
        continue;
      }
      await copyFile(source, target);
      // Readable (and, for programs and libraries, executable) by the postgres user.
      await chmod(target, (info.mode & 0o777) | 0o444 | ((info.mode & 0o100) !== 0 ? 0o111 : 0));
      copied.set(inode, target);
    }
  }
}
