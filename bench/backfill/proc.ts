/**
 * What the benchmark reads about processes from /proc: resident memory, and CPU time (user + system)
 * of a process and of its whole tree (PostgreSQL's postmaster and its backends). CPU time per row does
 * not depend on how busy the shared machine is the way wall-clock rows/s does.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Resident set size in bytes, or 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function stat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by `pid` alone. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.cpuSeconds ?? 0;
}

/**
 * CPU seconds used so far by `root` and every live descendant, keyed by pid so a caller can subtract
 * snapshots process by process (a backend that exits between two snapshots takes its time with it).
 */
export function treeCpu(root: number): Map<number, number> {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (!s) continue;
    parents.set(pid, s.ppid);
    cpu.set(pid, s.cpuSeconds);
  }
  const tree = new Map<number, number>();
  for (const [pid, seconds] of cpu) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) {
      if (at === root) {
        tree.set(pid, seconds);
        break;
      }
    }
  }
  return tree;
}

/** CPU seconds the tree used between two snapshots (processes born in between count from zero). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak. */
export function rssSampler(pid: number, everyMs = 50): { peak(): number; stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, everyMs);
  return {
    peak: () => Math.max(peak, rssBytes(pid)),
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
