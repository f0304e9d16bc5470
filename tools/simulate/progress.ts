/**
 * Live progress for a person watching: on a terminal, one line rewritten every second; into a file or
 * a pipe, a line every ten seconds (a log, not an animation).
 */
import type { FleetCounters } from "./fleet.ts";

export interface EdgeView {
  buffered: number;
  oldestUnsyncedAgeMs: number | null;
  quarantined: number;
}

export interface ProgressOptions {
  counters: FleetCounters;
  out: NodeJS.WriteStream;
  /** Polled once a line for the edge's backlog; undefined when not reachable from here. */
  edgeStatus?: () => Promise<EdgeView | undefined>;
  intervalMs?: number;
}

const n = (value: number) => Math.round(value).toLocaleString("en-US");

export function formatLine(
  counters: FleetCounters,
  perSecond: { sent: number; acked: number; errors: number },
  edge: EdgeView | undefined,
): string {
  const inFlight = counters.sent - counters.acked;
  const latency = counters.recentLatency;
  const parts = [
    `devices ${n(counters.connected)}/${n(counters.devices)}`,
    `sent ${n(perSecond.sent)}/s`,
    `acked ${n(perSecond.acked)}/s`,
    `in flight ${n(inFlight)}`,
    `errors ${n(counters.errors)}${perSecond.errors > 0 ? ` (+${n(perSecond.errors)}/s)` : ""}`,
    latency.count() > 0
      ? `ack p50 ${latency.percentile(0.5).toFixed(1)} ms p99 ${latency.percentile(0.99).toFixed(1)} ms`
      : "",
    `total ${n(counters.acked)} acked, ${n(counters.skipped)} held back by silences`,
    edge
      ? `edge backlog ${n(edge.buffered)}${edge.oldestUnsyncedAgeMs ? ` (oldest ${(edge.oldestUnsyncedAgeMs / 1000).toFixed(1)} s)` : ""}`
      : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

export function startProgress(options: ProgressOptions): { stop(): void } {
  const tty = options.out.isTTY === true;
  const intervalMs = options.intervalMs ?? (tty ? 1000 : 10_000);
  const { counters } = options;
  let last = { at: performance.now(), sent: counters.sent, acked: counters.acked, errors: counters.errors };
  let edge: EdgeView | undefined;
  let polling = false;

  const timer = setInterval(() => {
    const at = performance.now();
    const seconds = (at - last.at) / 1000;
    const perSecond = {
      sent: (counters.sent - last.sent) / seconds,
      acked: (counters.acked - last.acked) / seconds,
      errors: (counters.errors - last.errors) / seconds,
    };
    last = { at, sent: counters.sent, acked: counters.acked, errors: counters.errors };
    const line = formatLine(counters, perSecond, edge);
    counters.recentLatency.reset();
    options.out.write(tty ? `\r\x1b[2K${line}` : `${new Date().toISOString()} ${line}\n`);
    if (options.edgeStatus && !polling) {
      polling = true;
      options
        .edgeStatus()
        .then((view) => {
          edge = view;
        })
        .finally(() => {
          polling = false;
        });
    }
  }, intervalMs);

  return {
    stop() {
      clearInterval(timer);
      if (tty) options.out.write("\n");
    },
  };
}
