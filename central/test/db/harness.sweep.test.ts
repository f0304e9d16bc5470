/**
 * After a run was SIGKILLed nothing of it could clean up; the next run's start deletes what it left,
 * and only that: directories whose owning process is gone.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { sweepAbandonedRuns } from "../support/test-server.ts";

const root = await mkdtemp(join(tmpdir(), "plantlink-sweep-"));
afterAll(() => rm(root, { recursive: true, force: true }));

async function runDir(name: string, owner: number | undefined, ageMs = 0): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "data"), { recursive: true });
  if (owner !== undefined) await writeFile(join(dir, "owner"), String(owner));
  const then = new Date(Date.now() - ageMs);
  await utimes(dir, then, then);
  return dir;
}

it("deletes the directories of runs whose process is gone, and leaves live or starting runs alone", async () => {
  const gone = spawnSync(process.execPath, ["-e", ""]).pid; // a pid that has exited
  const killed = await runDir("run-killed", gone);
  const live = await runDir("run-live", process.pid);
  const starting = await runDir("run-starting", undefined); // mkdtemp done, owner file not yet written
  const stale = await runDir("run-stale", undefined, 10 * 60_000);
  const unrelated = await runDir("not-a-run", gone);

  await sweepAbandonedRuns(root);

  expect(existsSync(killed)).toBe(false);
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(live)).toBe(true);
  expect(existsSync(starting)).toBe(true);
  expect(existsSync(unrelated)).toBe(true);
});
