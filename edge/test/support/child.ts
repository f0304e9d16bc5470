/**
 * The edge as a child process (`node --import tsx edge/src/cli.ts serve`), as it runs in a plant:
 * so a test can SIGKILL it at a random moment, or SIGTERM it, and then read the buffer file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { BUFFER_FILE_NAME } from "../../src/buffer/database.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cli = join(repoRoot, "edge", "src", "cli.ts");

export interface EdgeProcess {
  child: ChildProcess;
  ports: { mqtt: number; http: number };
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every JSON log line the process wrote. */
  logs: Record<string, unknown>[];
}

export function spawnEdge(env: Record<string, string>, timeoutMs = 30_000): Promise<EdgeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, "serve"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: env.LOG_LEVEL === "silent" ? "info" : (env.LOG_LEVEL ?? "info"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`edge did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    let pending = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === "edge listening") {
          clearTimeout(timer);
          resolve({ child, ports: { mqtt: Number(entry.mqtt), http: Number(entry.http) }, exited, logs });
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`edge exited before listening (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
}

/** Every reading in a buffer file as "id|ts|centi", read while no edge runs on it. */
export function readBufferFile(dataDir: string): Set<string> {
  const db = new Database(join(dataDir, BUFFER_FILE_NAME));
  try {
    const rows = db.prepare("SELECT equipment_id, ts, centi FROM readings").raw().all() as [
      string,
      number,
      number,
    ][];
    return new Set(rows.map(([id, ts, centi]) => `${id}|${ts}|${centi}`));
  } finally {
    db.close();
  }
}

/** Runs `pnpm edge <args>` (as `node --import tsx edge/src/cli.ts`) to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
