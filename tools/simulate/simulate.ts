/**
 * The simulator's two runs, as functions the CLI (main.ts) and `pnpm start --demo` both call:
 * a live fleet over MQTT, and a span of history posted over HTTP. Each takes its options as values
 * and returns a summary; nothing here reads the environment or the command line.
 */
import { type BackfillFile, openBackfillFile } from "./backfill-file.ts";
import { deviceIds, type LoginSource, prepareLogins } from "./devices.ts";
import { type FleetCounters, startFleet } from "./fleet.ts";
import { type HistoryProgress, type HistoryTarget, writeHistory } from "./history.ts";
import { type EdgeView, startProgress } from "./progress.ts";
import { DEFAULT_FAULTS, scaleFaults } from "./sensor.ts";

export interface FleetSpec {
  devices: number;
  prefix: string;
  first: number;
  seed: string;
  /** Fault rates relative to the defaults (0: none). */
  faults: number;
  /** Site time's offset from UTC, minutes (the daily cycle follows it). */
  siteOffsetMinutes: number;
  /** Where to write the readings silences held back, as a vendor backfill CSV. */
  csvFile?: string | undefined;
}

export interface LiveSpec extends FleetSpec {
  mqttUrl: string;
  logins: LoginSource;
  rate: number;
  qos: 0 | 1 | 2;
  connectRate: number;
  /** Logins waiting for their CONNACK at most (default 400). */
  maxPendingConnects?: number | undefined;
  invalidFraction: number;
  /** Stop after this long; undefined runs until `signal` aborts. */
  durationMs?: number | undefined;
  /** Where progress goes; undefined for none (the demo runs quietly). */
  progressOut?: NodeJS.WriteStream | undefined;
  edgeStatusUrl?: string | undefined;
}

export interface LiveSummary {
  devices: number;
  registered: number;
  seconds: number;
  sent: number;
  acked: number;
  errors: number;
  errorKinds: Record<string, number>;
  skipped: number;
  spikes: number;
  reconnects: number;
  /** Readings per second acknowledged, over the whole run. */
  ackedPerSecond: number;
  ackMs: { p50: number; p99: number; max: number };
  csv: { file: string; rows: number } | undefined;
}

const summarise = (
  counters: FleetCounters,
  seconds: number,
  registered: number,
  csv: BackfillFile | undefined,
) => ({
  devices: counters.devices,
  registered,
  seconds,
  sent: counters.sent,
  acked: counters.acked,
  errors: counters.errors,
  errorKinds: Object.fromEntries(counters.errorKinds),
  skipped: counters.skipped,
  spikes: counters.spikes,
  reconnects: counters.reconnects,
  ackedPerSecond: counters.acked / seconds,
  ackMs: {
    p50: counters.latency.percentile(0.5),
    p99: counters.latency.percentile(0.99),
    max: counters.latency.percentile(1),
  },
  csv: csv ? { file: csv.path, rows: csv.rows() } : undefined,
});

async function edgeStatus(url: string): Promise<EdgeView | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    return (await res.json()) as EdgeView;
  } catch {
    return undefined;
  }
}

/** Runs the live fleet until `durationMs` passes or `signal` aborts, then drains and summarises. */
export async function simulateLive(spec: LiveSpec, signal: AbortSignal): Promise<LiveSummary> {
  const ids = deviceIds(spec.devices, spec.prefix, spec.first);
  const { logins, registered } = await prepareLogins(ids, spec.logins);
  const csv = spec.csvFile ? await openBackfillFile(spec.csvFile) : undefined;
  const started = performance.now();
  const fleet = startFleet({
    url: spec.mqttUrl,
    logins,
    rate: spec.rate,
    qos: spec.qos,
    seed: spec.seed,
    faults: scaleFaults(DEFAULT_FAULTS, spec.faults),
    siteOffsetMinutes: spec.siteOffsetMinutes,
    connectRate: spec.connectRate,
    maxPendingConnects: spec.maxPendingConnects ?? 400,
    invalidFraction: spec.invalidFraction,
    // Live back-pressure on the CSV is not worth stalling the fleet for: a few KB a second at most.
    ...(csv ? { onSkipped: (row) => void csv.add(row) } : {}),
  });
  const edgeUrl = spec.edgeStatusUrl;
  const progress = spec.progressOut
    ? startProgress({
        counters: fleet.counters,
        out: spec.progressOut,
        ...(edgeUrl ? { edgeStatus: () => edgeStatus(edgeUrl) } : {}),
      })
    : undefined;

  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = spec.durationMs === undefined ? undefined : setTimeout(resolve, spec.durationMs);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const counters = await fleet.stop();
  progress?.stop();
  await csv?.close();
  return summarise(counters, seconds, registered, csv);
}

export interface HistorySpec extends FleetSpec {
  spanMs: number;
  intervalMs: number;
  /** The span ends here (default: now), so history and a live run that follows meet. */
  endAt?: number | undefined;
  target: HistoryTarget;
  concurrency?: number | undefined;
  onProgress?: ((progress: HistoryProgress) => void) | undefined;
}

export interface HistorySummary extends HistoryProgress {
  devices: number;
  seconds: number;
  readingsPerSecond: number;
  csv: { file: string; rows: number } | undefined;
}

export async function simulateHistory(spec: HistorySpec): Promise<HistorySummary> {
  const ids = deviceIds(spec.devices, spec.prefix, spec.first);
  const csv = spec.csvFile ? await openBackfillFile(spec.csvFile) : undefined;
  const to = spec.endAt ?? Date.now();
  try {
    const result = await writeHistory({
      ids,
      from: to - spec.spanMs,
      to,
      intervalMs: spec.intervalMs,
      seed: spec.seed,
      faults: scaleFaults(DEFAULT_FAULTS, spec.faults),
      siteOffsetMinutes: spec.siteOffsetMinutes,
      target: spec.target,
      ...(spec.concurrency ? { concurrency: spec.concurrency } : {}),
      ...(csv ? { onSkipped: (row) => csv.add(row) } : {}),
      ...(spec.onProgress ? { onProgress: spec.onProgress } : {}),
    });
    const seconds = result.elapsedMs / 1000;
    return {
      ...result,
      devices: ids.length,
      seconds,
      readingsPerSecond: result.posted / seconds,
      csv: csv ? { file: csv.path, rows: csv.rows() } : undefined,
    };
  } finally {
    await csv?.close();
  }
}
