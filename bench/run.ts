/**
 * `pnpm bench [name] [args…]`: runs bench/<name>/main.ts, or every benchmark in turn when no name is
 * given. Benchmarks print figures; they are never part of `pnpm test`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(here, entry.name, "main.ts")))
  .map((entry) => entry.name)
  .sort();

const [name, ...args] = process.argv.slice(2);
if (name === "--list" || name === "-l") {
  console.log(available.join("\n"));
  process.exit(0);
}
if (name !== undefined && !available.includes(name)) {
  console.error(`no benchmark "${name}"; available: ${available.join(", ")}`);
  process.exit(2);
}

for (const bench of name === undefined ? available : [name]) {
  console.log(`\n## ${bench}\n`);
  const run = spawnSync(process.execPath, ["--import", "tsx", join(here, bench, "main.ts"), ...args], {
    stdio: "inherit",
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
