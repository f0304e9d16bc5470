/**
 * The kill -9 test as a soak: many more SIGKILLs than the suite's 20, same assertions.
 *
 *   node --import tsx bench/edge-ingest/soak.ts [kills=200]
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const kills = Number(process.argv[2] ?? 200);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = spawnSync("pnpm", ["vitest", "run", "--project", "edge", "test/buffer.kill9.test.ts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PLANTLINK_KILL9_ITERATIONS: String(kills) },
});
process.exit(run.status ?? 1);
