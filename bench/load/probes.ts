/**
 * Evidence for the bottleneck besides CPU: event-loop delay (central's prom-client histogram, which
 * resets on every scrape, and the edge's own figure in /v1/status), what PostgreSQL's sessions are
 * doing, sampled twice a second from pg_stat_activity during the run, and the target's accept queue.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { Sql } from "../../central/src/db/connect.ts";

const run = promisify(execFile);

async function text(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return response.text();
}

/** The event-loop delay of the scenario's target since the previous call, in ms (NaN: not measured). */
export async function scrapeLoopDelay(
  key: string,
  centralUrl: string,
  edgeUrl: string,
): Promise<{ p99: number; max: number }> {
  try {
    if (key.startsWith("central")) {
      const metrics = await text(`${centralUrl}/metrics`);
      const read = (name: string) =>
        Number(
          new RegExp(`^plantlink_central_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, "m").exec(
            metrics,
          )?.[1],
        ) * 1000;
      return { p99: read("p99"), max: read("max") };
    }
    if (key.startsWith("edge")) {
      const status = JSON.parse(await text(`${edgeUrl}/v1/status`)) as {
        eventLoopDelayMs: { p99: number; max: number } | null;
      };
      return {
        p99: status.eventLoopDelayMs?.p99 ?? Number.NaN,
        max: status.eventLoopDelayMs?.max ?? Number.NaN,
      };
    }
  } catch {
    // A target that cannot answer its metrics after the run says so with "–" in the table.
  }
  return { p99: Number.NaN, max: Number.NaN };
}

/**
 * Calls `sample` every `everyMs` until stopped; a sample that fails is skipped (a busy target may be
 * slow to answer under load, and a missed sample is not a failure of the run).
 */
function sampling(everyMs: number, sample: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sample().catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop() {
      running = false;
      return loop;
    },
  };
}

/** Samples pg_stat_activity until stopped; returns "active a / n sessions, waits: Lock ×k …". */
export function pgActivity(sql: Sql): { stop(): Promise<string> } {
  let samples = 0;
  let activeSum = 0;
  let maxSessions = 0;
  const waits = new Map<string, number>();
  const sampler = sampling(500, async () => {
    const rows = await sql<{ state: string | null; wait: string | null; n: number }[]>`
      select state, wait_event_type || ':' || wait_event as wait, count(*)::int as n
      from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
      group by 1, 2`;
    samples += 1;
    let sessions = 0;
    for (const row of rows) {
      sessions += row.n;
      if (row.state === "active") activeSum += row.n;
      if (row.state === "active" && row.wait) waits.set(row.wait, (waits.get(row.wait) ?? 0) + row.n);
    }
    maxSessions = Math.max(maxSessions, sessions);
  });
  return {
    async stop() {
      await sampler.stop();
      if (samples === 0) return "–";
      const top = [...waits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
      const waitText = top.map(([w, n]) => `${w} ${(n / samples).toFixed(1)}`).join(", ");
      return `${(activeSum / samples).toFixed(1)} active of ${maxSessions}${waitText ? `; waiting ${waitText}` : ""}`;
    },
  };
}

/** The kernel's count of connections dropped because an accept queue was full (all listeners). */
function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  const header = lines.find((l) => l.startsWith("TcpExt:"))?.split(/\s+/) ?? [];
  const values = lines.filter((l) => l.startsWith("TcpExt:"))[1]?.split(/\s+/) ?? [];
  return Number(values[header.indexOf("ListenOverflows")] ?? Number.NaN);
}

/**
 * The target's accept queue during the run: the most connections it held at once (sampled four times a
 * second with `ss`; they are established, and their first request waits, until the server accepts them)
 * and how many handshakes the kernel dropped because some queue was full. A server whose event loop is
 * busy accepts late: libuv accepts one connection each time the loop polls the listening socket.
 */
export function acceptQueue(port: number): { stop(): Promise<{ maxWaiting: number; overflows: number }> } {
  const overflowsBefore = listenOverflows();
  let maxWaiting = 0;
  // Without ss the column reads 0; the overflow count does not need it.
  const sampler = sampling(250, async () => {
    const { stdout } = await run("ss", ["-Hltn", `sport = :${port}`]);
    for (const line of stdout.trim().split("\n")) {
      const waiting = Number(line.trim().split(/\s+/)[1]);
      if (Number.isFinite(waiting)) maxWaiting = Math.max(maxWaiting, waiting);
    }
  });
  return {
    async stop() {
      await sampler.stop();
      return { maxWaiting, overflows: listenOverflows() - overflowsBefore };
    },
  };
}
