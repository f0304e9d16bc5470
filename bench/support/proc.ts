/**
 * What the processes under test cost, from /proc: CPU over a measurement window (a process with its
 * children, so PostgreSQL counts its backends) and resident memory. The evidence for "where is the
 * bottleneck" — one core is 100 %, and this machine has two.
 */
import { readFileSync } from "node:fs";
import { ownCpuSeconds, treeCpuSeconds } from "../sync-drain/cpu.ts";

export type Watched = Record<string, number | (() => number | undefined) | undefined>;

/** Starts counting CPU for each named pid; `stop()` gives each one's CPU % of one core since. */
export function cpuWindow(watched: Watched): { stop(): Record<string, number> } {
  const pidOf = (p: Watched[string]) => (typeof p === "function" ? p() : p);
  const at = performance.now();
  const start = Object.fromEntries(
    Object.entries(watched).map(([name, p]) => {
      const pid = pidOf(p);
      return [name, name === "generator" ? ownCpuSeconds() : pid ? treeCpuSeconds(pid) : Number.NaN];
    }),
  );
  return {
    stop() {
      const seconds = (performance.now() - at) / 1000;
      return Object.fromEntries(
        Object.entries(watched).map(([name, p]) => {
          const pid = pidOf(p);
          const now = name === "generator" ? ownCpuSeconds() : pid ? treeCpuSeconds(pid) : Number.NaN;
          return [name, ((now - (start[name] ?? Number.NaN)) / seconds) * 100];
        }),
      );
    },
  };
}

/** Resident set size of one process in bytes (VmRSS), NaN when it is gone. */
export function rssBytes(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The machine's load while a bench ran, for the report: load averages and core count. */
export function machineLoad(): string {
  const [one, five] = readFileSync("/proc/loadavg", "utf8").split(" ");
  return `load average ${one} (1 min), ${five} (5 min)`;
}
