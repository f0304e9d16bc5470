/**
 * Runs a small vitest project (fixtures/harness-child) in a child process and checks from outside that
 * the harness leaves no PostgreSQL process and no directory behind: after a run (one with a failing
 * test), and when the run is interrupted by SIGINT or SIGTERM. (After a SIGKILL nothing can clean up:
 * the server stops by itself — embedded-postgres.test.ts — and the next run deletes the directory —
 * harness.sweep.test.ts.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive } from "../../src/db/postmaster.ts";

const vitestEntry = join(
  dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
  "vitest.mjs",
);
const childConfig = fileURLToPath(new URL("./fixtures/harness-child/vitest.config.ts", import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), "plantlink-lifecycle-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

interface Record {
  server: { pid: number; dataDir: string };
  runDir: string;
}

function runChild(mode: "fail" | "hang"): {
  child: ChildProcess;
  record: string;
  exit: Promise<number | null>;
} {
  const record = join(scratch, `${mode}-${Math.random().toString(36).slice(2)}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, PROBE_MODE: mode, PROBE_RECORD: record };
  delete env.TEST_DATABASE_URL; // the point is the embedded server's life cycle
  const child = spawn(process.execPath, [vitestEntry, "run", "--config", childConfig], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      if (code !== 1 && mode === "fail") console.error(output);
      resolve(code);
    }),
  );
  return { child, record, exit };
}

async function readRecord(path: string, exited: Promise<unknown>): Promise<Record> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text) return JSON.parse(text) as Record;
    if (done) throw new Error("the child run ended without reporting its server");
    await sleep(50);
  }
}

async function expectNothingLeft(record: Record): Promise<void> {
  expect(await isAlive(record.server.pid)).toBe(false);
  expect(existsSync(record.runDir)).toBe(false);
}

describe.concurrent("test harness life cycle", { timeout: 90_000 }, () => {
  // The normal teardown; every passing run of this suite goes through it too.
  it("leaves no server process and no directory after a run, even one whose test fails", async () => {
    const run = runChild("fail");
    expect(await run.exit).toBe(1);
    const record = await readRecord(run.record, run.exit);
    expect(record.server.dataDir.startsWith(record.runDir)).toBe(true);
    await expectNothingLeft(record);
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "leaves nothing when the run is interrupted by %s",
    async (signal) => {
      const run = runChild("hang");
      const record = await readRecord(run.record, run.exit);
      expect(await isAlive(record.server.pid)).toBe(true);
      run.child.kill(signal);
      expect(await run.exit).not.toBe(0);
      await expectNothingLeft(record);
    },
  );
});
