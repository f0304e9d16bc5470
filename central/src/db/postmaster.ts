/**
 * Processes by pid: is a PostgreSQL server still alive on a data directory, and ending it. Used to
 * recover from our own crash — when the process that started the server was SIGKILLed, the server may
 * still run (or still be shutting down) and hold the data directory and the port.
 */
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** True while `pid` names a process that has not exited (zombies count as exited: nobody may reap them). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // Field 3, after the parenthesised command name, is the state; Z = exited, not yet reaped.
  const state = stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z";
}

/** Waits until `pid` exits; false when it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * Ends `pid` the way PostgreSQL wants: SIGINT is a fast shutdown (aborts sessions, writes a checkpoint,
 * removes postmaster.pid); SIGQUIT is an immediate shutdown (crash recovery at next start) for a server
 * that does not finish in time; SIGKILL only as the very last resort.
 */
export async function shutDown(pid: number, timeoutMs = 30_000): Promise<void> {
  for (const [signal, wait] of [
    ["SIGINT", timeoutMs],
    ["SIGQUIT", 10_000],
    ["SIGKILL", 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    if (await waitForExit(pid, wait)) return;
  }
  throw new Error(`PostgreSQL server ${pid} did not exit after SIGINT, SIGQUIT and SIGKILL`);
}

/** The pid recorded in `<dataDir>/postmaster.pid`, if the file exists. */
export async function recordedPostmaster(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  const pid = Number.parseInt(text?.split("\n")[0] ?? "", 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Makes the data directory startable after a crash of whoever ran the server before:
 * - postmaster.pid names no live process: nothing to do, PostgreSQL replaces a stale lock file itself;
 * - it names a live PostgreSQL on this data directory (an orphan of a killed parent, or one still
 *   shutting down after its parent died): shut it down, so we start the one server we own;
 * - it names some other process (the pid was reused): the file is stale; remove it, since PostgreSQL
 *   would refuse to start while that unrelated pid lives.
 */
export async function clearStalePostmaster(dataDir: string): Promise<void> {
  const pid = await recordedPostmaster(dataDir);
  if (pid === undefined || !(await isAlive(pid))) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  // Without /proc (not Linux) we cannot tell; leave it to PostgreSQL, whose error names the pid.
  if (cmdline === undefined) return;
  const args = cmdline.split("\0");
  const dataDirArg = args[args.indexOf("-D") + 1];
  if (args.indexOf("-D") >= 0 && dataDirArg !== undefined && resolve(dataDirArg) === resolve(dataDir)) {
    await shutDown(pid);
  } else {
    await rm(join(dataDir, "postmaster.pid"), { force: true });
  }
}
