/**
 * 10,000 connections need more than 10,000 file descriptors on each side. A process cannot raise its
 * own hard limit from Node, so a bench that needs more re-executes itself under `bash -c "ulimit -n N"`;
 * every child it spawns (central, the edge, the bare handler) inherits the raised limit.
 */
import { spawnSync } from "node:child_process";

function limit(flag: "-Sn" | "-Hn"): number {
  const out = spawnSync("bash", ["-c", `ulimit ${flag}`], { encoding: "utf8" }).stdout.trim();
  return out === "unlimited" ? Number.POSITIVE_INFINITY : Number(out);
}

/**
 * Returns the open-files limit this process runs under: at least `wanted`, or the hard limit when a
 * container forbids raising it (no CAP_SYS_RESOURCE, even as root). Below that, runs this script again
 * under the raised limit and exits with its status.
 */
export function ensureOpenFiles(wanted: number): number {
  const target = Math.min(wanted, limit("-Hn"));
  const soft = limit("-Sn");
  if (soft >= target || process.env.PLANTLINK_BENCH_ULIMIT_RAISED) return soft;
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const run = spawnSync("bash", ["-c", `ulimit -n ${target} && exec ${quoted}`], {
    stdio: "inherit",
    env: { ...process.env, PLANTLINK_BENCH_ULIMIT_RAISED: "1" },
  });
  if (run.status !== 0 && run.stderr === null && run.status === null)
    console.error("could not raise the open-files limit");
  process.exit(run.status ?? 1);
}
