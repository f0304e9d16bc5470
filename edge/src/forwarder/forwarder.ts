/**
 * The forwarder: moves buffered readings to central, exactly once in effect.
 *
 * - A reading is marked synced only after central answered 2xx for its batch (in the same SQLite
 *   transaction that quarantines the readings central rejected, with central's reason). A crash at any
 *   point before that mark means the batch is sent again; central dedupes by batch id and by reading
 *   identity, so a resend changes nothing there.
 * - Network failures, timeouts, 5xx and 429 are retried with capped exponential backoff and full
 *   jitter; after a failure one batch probes until one succeeds, then full concurrency resumes.
 * - 413 halves the batch (and the batch size from then on); 401/403 stop the forwarder until it is
 *   restarted with a new configuration — retrying a revoked token only fills central's logs.
 */
import type { IngestAnswer } from "@plantlink/shared";
import type { Logger } from "pino";
import type { ReadingBuffer } from "../buffer/buffer.ts";
import type { Db } from "../buffer/database.ts";
import type { Quarantine } from "../buffer/quarantine.ts";
import { acknowledgeBatch, answerProblem } from "./acknowledge.ts";
import { type Batch, type BatchLimits, batchLabel, encodeBatch, splitBatch } from "./batch.ts";
import type { CentralClient, SendOutcome } from "./client.ts";
import { createLanes } from "./lanes.ts";
import { createRateMeter } from "./rate.ts";
import { createRetryGate } from "./retry.ts";
import { emptyTotals, type ForwarderObserver, type ForwarderState, type ForwarderStatus } from "./status.ts";

export interface ForwarderSettings {
  edgeId: string;
  centralUrl: string;
  maxReadings: number;
  maxBytes: number;
  maxInFlight: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  gzipLevel: number;
  /** A backlog whose oldest reading is older than this gets a live lane beside it. */
  liveLagMs: number;
  /**
   * How often an idle forwarder looks for new readings. Polling rather than a nudge per group commit
   * on purpose: at a site's rate a nudge would fire every few ms and send hundreds of tiny batches.
   */
  pollMs: number;
  /** How long close() waits for batches in flight before cutting them off. */
  closeGraceMs: number;
}

export interface ForwarderDeps {
  buffer: ReadingBuffer;
  db: Db;
  quarantine: Quarantine;
  client: CentralClient;
  log: Logger;
  now: () => number;
  random: () => number;
  observer?: ForwarderObserver | undefined;
}

export interface Forwarder {
  status(): ForwarderStatus;
  /** Stops sending, waits for batches in flight (or cuts them off after the grace), closes the client. */
  close(): Promise<void>;
}

export function startForwarder(settings: ForwarderSettings, deps: ForwarderDeps): Forwarder {
  const { buffer, db, quarantine, client, log, now } = deps;
  const gate = createRetryGate({
    baseMs: settings.backoffBaseMs,
    capMs: settings.backoffCapMs,
    random: deps.random,
    now,
  });
  const lanes = createLanes({ buffer, blockSize: settings.maxReadings, liveWindow: settings.maxReadings });
  const rate = createRateMeter({ windowMs: 10_000, now });
  const limits: BatchLimits = { maxReadings: settings.maxReadings, maxBytes: settings.maxBytes };
  const inFlight = new Map<Batch, Promise<void>>();
  const totals = emptyTotals();
  let lastSyncAt = buffer.stats().lastSyncAt;
  let lastError: ForwarderStatus["lastError"];
  let stopped: ForwarderStatus["stopped"];
  let closed = false;
  const stampOf = new WeakMap<Batch, number>();
  let timer: NodeJS.Timeout | undefined;
  let pumping = false;

  const schedule = (ms: number) => {
    if (closed || stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, ms);
  };

  const pick = (): Batch | undefined => {
    lanes.considerLive(limits.maxReadings * settings.maxInFlight, settings.liveLagMs, now());
    const liveBusy = [...inFlight.keys()].some((b) => b.lane === "live");
    if (lanes.state().live && !liveBusy) {
      const live = lanes.next("live", limits);
      if (live) return live;
    }
    return lanes.next("backlog", limits);
  };

  function pump() {
    if (closed || stopped || pumping) return;
    const wait = gate.waitMs();
    if (wait > 0) return schedule(wait);
    pumping = true;
    try {
      // One batch more than connections: it is read and compressed while the others are out, then
      // waits in the pool's queue, so a connection that frees up never waits for the edge to encode.
      const ahead = gate.probing() ? 0 : 1;
      while (inFlight.size < gate.allowance(settings.maxInFlight) + ahead) {
        const batch = pick();
        if (!batch) break;
        start(batch);
      }
    } catch (error) {
      // Reading the buffer failed (disk, lock): nothing was handed out, so nothing is lost; try later.
      fail({ code: "buffer_read", detail: `reading the buffer failed: ${String(error)}` }, undefined);
    } finally {
      pumping = false;
    }
    if (inFlight.size === 0 && !timer) schedule(settings.pollMs);
  }

  /**
   * Batches are encoded concurrently (gzip runs on the thread pool), and the one picked later can
   * finish first; each waits for the one picked before it to be handed to the client, so they leave
   * in the order they were picked: oldest first.
   */
  let handedOver: Promise<void> = Promise.resolve();

  function start(batch: Batch) {
    stampOf.set(batch, gate.stamp());
    const turn = handedOver;
    let handOver!: () => void;
    handedOver = new Promise<void>((resolve) => {
      handOver = resolve;
    });
    const work = send(batch, turn, handOver).finally(() => {
      inFlight.delete(batch);
      deps.observer?.inFlight(inFlight.size);
      pump();
    });
    inFlight.set(batch, work);
    deps.observer?.inFlight(inFlight.size);
  }

  async function send(batch: Batch, turn: Promise<void>, handOver: () => void): Promise<void> {
    const started = now();
    let outcome: SendOutcome;
    try {
      const oldest = buffer.oldestUnsynced();
      const body = await encodeBatch(
        batch,
        {
          edgeId: settings.edgeId,
          backlog: buffer.countUnsynced(),
          oldestUnsyncedMs: oldest ? Math.max(0, started - oldest.receivedAt) : 0,
        },
        settings.gzipLevel,
      );
      totals.bytesSent += body.byteLength;
      deps.observer?.bytesSent(body.byteLength);
      await turn;
      const answer = client.send(body); // queued on the pool now, in pick order
      handOver();
      outcome = await answer;
    } catch (error) {
      outcome = { kind: "retry", code: "internal", detail: String(error), retryAfterMs: undefined };
    } finally {
      handOver();
    }
    if (closed && outcome.kind === "retry" && outcome.code === "aborted") return;
    handle(batch, outcome, (now() - started) / 1000);
  }

  function handle(batch: Batch, outcome: SendOutcome, seconds: number) {
    switch (outcome.kind) {
      case "ok":
        return succeed(batch, outcome.answer, seconds);
      case "too_large": {
        const halves = splitBatch(batch);
        if (!halves) {
          lanes.requeue(batch);
          return refuse(
            batch,
            "http_413",
            `central refuses even a single reading as too large: ${outcome.detail}`,
          );
        }
        totals.splits += 1;
        deps.observer?.outcome("split");
        // Later batches start at the size that got through, instead of being refused first every time.
        limits.maxReadings = Math.max(1, Math.min(limits.maxReadings, halves[0].readings.length));
        limits.maxBytes = Math.max(1024, Math.min(limits.maxBytes, halves[0].itemBytes));
        log.warn({
          msg: "central refused a batch as too large; split it",
          batchId: batchLabel(batch),
          ...limits,
        });
        lanes.requeue(...halves);
        return;
      }
      case "auth": {
        lanes.requeue(batch);
        if (stopped) return;
        stopped = {
          code: outcome.status === 401 ? "unauthorized" : "forbidden",
          detail: outcome.detail,
          at: now(),
        };
        const message =
          `central answered ${outcome.status} (${outcome.detail}); forwarding is stopped until the edge is ` +
          "restarted with a valid edge token in PLANTLINK_CENTRAL_TOKEN — readings keep buffering meanwhile";
        lastError = { code: stopped.code, message, at: stopped.at };
        log.error({
          msg: "forwarder stopped: central refused the edge token",
          status: outcome.status,
          detail: outcome.detail,
        });
        recordError(message);
        deps.observer?.outcome("auth");
        if (timer) clearTimeout(timer);
        timer = undefined;
        return;
      }
      case "refused":
        lanes.requeue(batch);
        return refuse(
          batch,
          `http_${outcome.status}`,
          `central refused batch ${batchLabel(batch)} (${outcome.status}): ${outcome.detail}`,
        );
      case "retry":
        lanes.requeue(batch);
        return fail({ code: outcome.code, detail: outcome.detail }, batch, outcome.retryAfterMs);
    }
  }

  function succeed(batch: Batch, answer: IngestAnswer, seconds: number) {
    const problem = answerProblem(batch, answer);
    if (problem) {
      lanes.requeue(batch);
      return refuse(batch, "answer_mismatch", `${problem}; not marking it synced`);
    }
    const at = now();
    let quarantined: number;
    try {
      quarantined = acknowledgeBatch({ db, buffer, quarantine }, batch, answer, settings.centralUrl, at);
    } catch (error) {
      // Not marked: the batch goes again and central answers it from its record. Nothing is lost.
      lanes.requeue(batch);
      return fail({ code: "buffer_write", detail: `marking a batch synced failed: ${String(error)}` }, batch);
    }
    gate.succeeded();
    lastSyncAt = at;
    totals.batches += 1;
    totals.readings += batch.readings.length;
    totals.inserted += answer.inserted;
    totals.duplicates += answer.duplicates;
    totals.conflicts += answer.conflicts;
    totals.rejected += answer.rejected;
    rate.add(batch.readings.length);
    deps.observer?.synced(batch, answer, seconds);
    if (quarantined > 0) {
      log.warn({
        msg: "central rejected readings; quarantined",
        batchId: batchLabel(batch),
        count: quarantined,
      });
    }
    log.debug({
      msg: "batch synced",
      batchId: batchLabel(batch),
      lane: batch.lane,
      count: batch.readings.length,
      seconds,
    });
  }

  function recordError(message: string) {
    try {
      buffer.recordSyncError(message, now());
    } catch {
      // Status still shows it from memory; the file is only for `pnpm edge status` of a stopped edge.
    }
  }

  function fail(error: { code: string; detail: string }, batch: Batch | undefined, retryAfterMs?: number) {
    totals.failures += 1;
    deps.observer?.outcome(error.code);
    const newOutage = gate.failed(batch && stampOf.get(batch), retryAfterMs);
    const at = now();
    const changed = lastError?.code !== error.code;
    lastError = { code: error.code, message: error.detail, at };
    if (newOutage) recordError(error.detail);
    // One line per change of cause, not per attempt: an outage of hours must not flood the log.
    if (changed)
      log.warn({ msg: "sending to central failed; retrying", code: error.code, detail: error.detail });
    if (batch) batch.attempts += 1;
  }

  /** A failure that resending the same bytes soon will not fix: slow retries, and a person told. */
  function refuse(batch: Batch, code: string, message: string) {
    totals.failures += 1;
    batch.attempts += 1;
    deps.observer?.outcome(code);
    gate.refused();
    lastError = { code, message, at: now() };
    recordError(message);
    log.error({
      msg: "central's answer needs a person; retrying slowly",
      code,
      detail: message,
      batchId: batchLabel(batch),
    });
  }

  const state = (): ForwarderState => {
    if (closed) return "closed";
    if (stopped) return "stopped";
    if (gate.probing()) return "retrying";
    return inFlight.size > 0 ? "sending" : "idle";
  };

  schedule(0);

  let closing: Promise<void> | undefined;
  return {
    status: () => ({
      state: state(),
      centralUrl: settings.centralUrl,
      lastSyncAt,
      lastError,
      stopped,
      retry: gate.probing() ? { attempts: gate.attempts(), nextAttemptAt: gate.nextAttemptAt() } : undefined,
      inFlight: inFlight.size,
      maxInFlight: settings.maxInFlight,
      drainRate: rate.perSecond(),
      lanes: lanes.state(),
      limits: { ...limits },
      totals: { ...totals },
      wire: client.wireBytes(),
    }),
    close() {
      closing ??= (async () => {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        const pending = [...inFlight.values()];
        let grace: NodeJS.Timeout | undefined;
        const cut = new Promise<void>((resolve) => {
          grace = setTimeout(resolve, settings.closeGraceMs);
        });
        await Promise.race([Promise.allSettled(pending), cut]);
        clearTimeout(grace);
        // Batches still out are abandoned unmarked: the next start sends them again.
        if (inFlight.size > 0) await client.destroy();
        await Promise.allSettled([...inFlight.values()]);
        await client.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}
