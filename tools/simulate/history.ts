/**
 * A month (or any span) of past readings, written fast: each device's series is cut into large
 * batches, gzip-compressed and posted to `POST /v1/readings` — central's direct ingest with an ingest
 * token, or an edge's HTTP receiver with a gateway token — with several requests in flight.
 *
 * Batches are device by device (a few days of one sensor each), not instant by instant: central keeps
 * hourly and daily rollups in step with every insert, and a batch that touches few sensors touches few
 * rollup rows. Timestamps sit on the interval grid, so running the same history twice stores nothing
 * new (central answers duplicates).
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { promisify } from "node:util";
import { constants, gzip } from "node:zlib";
import type { BackfillRow } from "./backfill-file.ts";
import { createSensor, type FaultRates, formatTimestamp } from "./sensor.ts";

const gzipAsync = promisify(gzip);

export interface HistoryTarget {
  /** Base URL: `https://127.0.0.1:8080` (central) or `http://127.0.0.1:8081` (an edge). */
  url: string;
  token: string;
  /** PEM of a private CA to trust (central behind the `pnpm start` CA, for instance). */
  ca?: string | undefined;
}

export interface HistoryOptions {
  ids: readonly string[];
  /** The span, ms since the epoch: readings at every interval step with from ≤ t < to. */
  from: number;
  to: number;
  intervalMs: number;
  seed: string;
  faults: FaultRates;
  siteOffsetMinutes: number;
  target: HistoryTarget;
  batchSize?: number;
  concurrency?: number;
  /** Readings held back by silences (never posted): the backfill file's rows. */
  onSkipped?: (row: BackfillRow) => Promise<void> | undefined;
  onProgress?: (progress: HistoryProgress) => void;
}

export interface HistoryProgress {
  /** Readings the span holds (posted plus held back). */
  total: number;
  posted: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  /** Readings central set aside as not measurements (the -9999 error value the sensors send). */
  setAside: number;
  skipped: number;
  requests: number;
  elapsedMs: number;
}

export class HistoryError extends Error {
  readonly code = "history_failed";
}

interface Answer {
  inserted?: number;
  duplicates?: number;
  conflicts?: number;
  setAside?: number;
  accepted?: number;
}

/** Posts one gzip body; retries network errors and 5xx/429/503 a few times with backoff. */
async function post(target: HistoryTarget, agent: HttpAgent, body: Buffer): Promise<Answer> {
  const url = new URL("/v1/readings", target.url);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  for (let attempt = 1; ; attempt++) {
    const outcome = await new Promise<{ status: number; text: string } | Error>((resolve) => {
      const req = send(
        url,
        {
          method: "POST",
          agent,
          headers: {
            authorization: `Bearer ${target.token}`,
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", resolve);
        },
      );
      req.on("error", resolve);
      req.end(body);
    });
    const retryable = outcome instanceof Error || outcome.status >= 500 || outcome.status === 429;
    if (!retryable) {
      if (outcome.status < 200 || outcome.status >= 300) {
        throw new HistoryError(`${url.href} answered ${outcome.status}: ${outcome.text.slice(0, 500)}`);
      }
      return JSON.parse(outcome.text) as Answer;
    }
    if (attempt >= 5) {
      const why =
        outcome instanceof Error ? outcome.message : `${outcome.status} ${outcome.text.slice(0, 200)}`;
      throw new HistoryError(`${url.href}: gave up after ${attempt} attempts: ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
}

export async function writeHistory(options: HistoryOptions): Promise<HistoryProgress> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5000;
  const concurrency = options.concurrency ?? 3;
  const first = Math.ceil(options.from / options.intervalMs) * options.intervalMs;
  const steps = Math.max(0, Math.ceil((options.to - first) / options.intervalMs));
  const progress: HistoryProgress = {
    total: steps * options.ids.length,
    posted: 0,
    inserted: 0,
    duplicates: 0,
    conflicts: 0,
    setAside: 0,
    skipped: 0,
    requests: 0,
    elapsedMs: 0,
  };
  const secure = options.target.url.startsWith("https:");
  const agent = secure
    ? new HttpsAgent({
        keepAlive: true,
        maxSockets: concurrency,
        ...(options.target.ca ? { ca: options.target.ca } : {}),
      })
    : new HttpAgent({ keepAlive: true, maxSockets: concurrency });

  // Batches are produced lazily, one device's series after another, so memory stays at
  // `concurrency` batches whatever the span.
  async function* batches(): AsyncGenerator<string[]> {
    for (const id of options.ids) {
      const sensor = createSensor(id, {
        seed: options.seed,
        faults: options.faults,
        siteOffsetMinutes: options.siteOffsetMinutes,
        intervalMs: options.intervalMs,
      });
      const offset = sensor.profile.localTimestamps ? options.siteOffsetMinutes : undefined;
      let batch: string[] = [];
      for (let k = 0; k < steps; k++) {
        const t = first + k * options.intervalMs;
        const sample = sensor.sample(t);
        const timestamp = formatTimestamp(t, offset);
        if (!sample.sent) {
          progress.skipped += 1;
          await options.onSkipped?.({ equipmentId: id, timestamp, value: sample.value });
          continue;
        }
        batch.push(`{"equipmentId":"${id}","value":${sample.value},"timestamp":"${timestamp}"}`);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }
  }

  const source = batches();
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined) {
      const next = await source.next();
      if (next.done) return;
      const readings = next.value;
      // Level 1: a quarter of the CPU of the default level for ~85 % of its compression.
      const body = await gzipAsync(`[${readings.join(",")}]`, { level: constants.Z_BEST_SPEED });
      try {
        const answer = await post(options.target, agent, body);
        progress.posted += readings.length;
        progress.inserted += answer.inserted ?? answer.accepted ?? 0;
        progress.duplicates += answer.duplicates ?? 0;
        progress.conflicts += answer.conflicts ?? 0;
        progress.setAside += answer.setAside ?? 0;
        progress.requests += 1;
        progress.elapsedMs = performance.now() - started;
        options.onProgress?.(progress);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  // An async generator runs one next() at a time, so workers share it safely.
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  if (failure !== undefined) throw failure;
  progress.elapsedMs = performance.now() - started;
  return progress;
}
