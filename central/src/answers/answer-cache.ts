/**
 * One computation per answer, shared by every caller: the serialised JSON of a read answer (averages,
 * the equipment list, series), its ETag and, once a caller asks for it, its gzip copy, kept per key
 * (the query and its `at`), and reused only while the database proves it still exact.
 *
 * Exact, with any number of processes and servers (DESIGN.md section 6): nothing is trusted because
 * of time or of messages between processes. Every transaction that stores readings writes one
 * `ingest_marks` row in the same transaction (ingest/ingest-marks.ts): its transaction id and the span
 * of timestamps it touched. An entry remembers the PostgreSQL snapshot taken before its answer was
 * computed. It is still exact when no mark invisible to that snapshot overlaps the answer's span: then
 * every reading the answer depends on is the same as when it was computed. One indexed statement asks
 * that, and returns the current snapshot, which the entry then adopts.
 *
 * Linearizable per request: a request uses an entry only when its snapshot was taken after the request
 * arrived (by the computation or by a check sent after the arrival), so a reading acknowledged before
 * the request was sent is always in its answer. Concurrent requests share one computation and one
 * check per key: under load the database sees about one cheap statement per key and round trip.
 */
import type { Sql } from "../db/connect.ts";
import { type SerializedAnswer, serializeAnswer } from "../http/conditional.ts";

/** The readings an answer depends on: timestamps in `[from, to]` (epoch ms), or every reading. */
export type AnswerSpan = { from: number; to: number } | "everything";

export interface AnswerSpec {
  /** Names the answer: every parameter that changes it, `at` included. */
  key: string;
  span: AnswerSpan;
  /** The answer's JSON value, computed afresh. */
  compute(): Promise<unknown>;
}

export type LookupOutcome = "hit" | "miss" | "stale";

export interface AnswerCacheOptions {
  /** Bytes of answers kept, least recently used dropped first (default 64 MiB). */
  maxBytes?: number;
  /** Wall clock, epoch ms. */
  now?: () => number;
  /** Called once per request: served from the cache, computed (none cached) or recomputed (changed). */
  onLookup?: (outcome: LookupOutcome) => void;
  /** Called when a cached answer's gzip copy is made, with its size: at most once per answer. */
  onGzipped?: (bytes: number) => void;
  /** A failed pruning round; the next one tries again. */
  onPruneError?: (error: unknown) => void;
}

/**
 * An entry whose snapshot is older than this is computed again rather than checked: the pruner deletes
 * marks only once every live snapshot can see them, and that needs a bound on a snapshot's age.
 */
export const MAX_SNAPSHOT_AGE_MS = 5 * 60_000;
/** Marks are deleted once older than a snapshot taken this long ago (twice the above, for clock skew). */
export const PRUNE_LAG_MS = 2 * MAX_SNAPSHOT_AGE_MS;
const PRUNE_EVERY_MS = 60_000;

interface Check {
  changed: boolean;
  snapshot: string;
  /** The tick at which the check's statement was issued. */
  asOf: number;
  takenAt: number;
}

interface Entry {
  answer: SerializedAnswer;
  /**
   * Bytes counted against maxBytes: the JSON, plus its gzip copy once that is made (when a client
   * first asks for gzip), so the count is what is held rather than a guess made at store time.
   */
  bytes: number;
  span: AnswerSpan;
  /** The snapshot every reading of the answer is visible in (pg_snapshot as text). */
  snapshot: string;
  /** The tick at which the statement that took `snapshot` was issued. */
  asOf: number;
  /** Wall-clock time of the same, epoch ms. */
  takenAt: number;
  /** The check in flight, and the one queued behind it for requests that arrived after it was sent. */
  checking?: Promise<Check> | undefined;
  queued?: Promise<Check> | undefined;
}

interface Flight {
  asOf: number;
  promise: Promise<Entry>;
}

const noop = () => undefined;

export class AnswerCache {
  readonly #sql: Sql;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #onLookup: (outcome: LookupOutcome) => void;
  readonly #onGzipped: (bytes: number) => void;
  readonly #onPruneError: (error: unknown) => void;
  /** In least-recently-used order (a Map iterates in insertion order; a use re-inserts). */
  readonly #entries = new Map<string, Entry>();
  readonly #computing = new Map<string, Flight>();
  #bytes = 0;
  /**
   * Orders request arrivals and statements issued in this process: a statement issued at a later tick
   * than a request's arrival takes its snapshot after the request arrived.
   */
  #tick = 0;
  /** The oldest-running transaction id seen by past pruning rounds, with when it was read. */
  #horizons: { at: number; xmin: string }[] = [];
  #pruner: NodeJS.Timeout | undefined;

  constructor(sql: Sql, options: AnswerCacheOptions = {}) {
    this.#sql = sql;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
    this.#onLookup = options.onLookup ?? noop;
    this.#onGzipped = options.onGzipped ?? noop;
    this.#onPruneError = options.onPruneError ?? noop;
  }

  /** Starts deleting marks no cached snapshot needs, once a minute. */
  start(): void {
    this.#pruner ??= setInterval(() => {
      this.prune().catch(this.#onPruneError);
    }, PRUNE_EVERY_MS);
    this.#pruner.unref();
  }

  close(): void {
    clearInterval(this.#pruner);
    this.#pruner = undefined;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The answer for `spec`: cached when still exact, else computed once for every waiting caller. */
  async answer(spec: AnswerSpec): Promise<SerializedAnswer> {
    const arrived = ++this.#tick;
    let outcome: LookupOutcome = "hit";
    for (;;) {
      const flight = this.#computing.get(spec.key);
      if (flight) {
        const entry = await flight.promise;
        if (flight.asOf > arrived) return this.#served(entry, outcome);
      }
      const entry = this.#entries.get(spec.key);
      if (entry === undefined || this.#now() - entry.takenAt > MAX_SNAPSHOT_AGE_MS) {
        if (entry) this.#drop(spec.key, entry);
        if (outcome === "hit") outcome = "miss";
        if (!this.#computing.has(spec.key)) this.#compute(spec, undefined);
        continue;
      }
      // Most recently used from now on.
      this.#entries.delete(spec.key);
      this.#entries.set(spec.key, entry);
      if (entry.asOf > arrived) return this.#served(entry, outcome);
      const check = await this.#check(entry);
      if (!check.changed) continue;
      outcome = "stale";
      if (this.#entries.get(spec.key) === entry) this.#drop(spec.key, entry);
      if (!this.#computing.has(spec.key)) this.#compute(spec, check);
    }
  }

  /** Entries held, for tests and metrics. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of the entries held (their JSON and the gzip copies made so far), for tests and metrics. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Deletes the marks every snapshot a live entry can hold already sees: those of transactions older
   * than the oldest running one of a snapshot taken PRUNE_LAG_MS ago. Entries are at most
   * MAX_SNAPSHOT_AGE_MS old, so theirs were all taken later, and transaction ids only grow.
   */
  async prune(): Promise<number> {
    const at = this.#now();
    const [row] = await this.#sql<{ xmin: string }[]>`
      select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`;
    if (row) this.#horizons.push({ at, xmin: row.xmin });
    let horizon: { at: number; xmin: string } | undefined;
    while (this.#horizons[0] && this.#horizons[0].at <= at - PRUNE_LAG_MS) horizon = this.#horizons.shift();
    if (horizon === undefined) return 0;
    const deleted = await this.#sql`delete from ingest_marks where xid < ${horizon.xmin}::xid8`;
    return deleted.count;
  }

  #served(entry: Entry, outcome: LookupOutcome): SerializedAnswer {
    this.#onLookup(outcome);
    return entry.answer;
  }

  /** Computes `spec` for every caller waiting on its key, from `check`'s snapshot or a new one. */
  #compute(spec: AnswerSpec, check: Check | undefined): void {
    const asOf = check?.asOf ?? ++this.#tick;
    const promise = (async (): Promise<Entry> => {
      let snapshot: string;
      let takenAt: number;
      if (check) {
        ({ snapshot, takenAt } = check);
      } else {
        takenAt = this.#now();
        const [row] = await this.#sql<{ snapshot: string }[]>`select pg_current_snapshot()::text as snapshot`;
        snapshot = row!.snapshot;
      }
      // The gzip copy can be asked for only once the entry is served, so `entry` is set by then.
      const answer = serializeAnswer(await spec.compute(), (bytes) => this.#grow(spec.key, entry, bytes));
      const entry: Entry = {
        answer,
        bytes: answer.body.byteLength,
        span: spec.span,
        snapshot,
        asOf,
        takenAt,
      };
      this.#store(spec.key, entry);
      return entry;
    })();
    const flight = { asOf, promise };
    this.#computing.set(spec.key, flight);
    const done = () => {
      if (this.#computing.get(spec.key) === flight) this.#computing.delete(spec.key);
    };
    promise.then(done, done);
  }

  /** The entry's check: the one in flight is for earlier arrivals, so later ones queue for the next. */
  #check(entry: Entry): Promise<Check> {
    if (entry.checking === undefined) {
      const running = this.#runCheck(entry);
      entry.checking = running;
      const done = () => {
        if (entry.checking === running) entry.checking = undefined;
      };
      running.then(done, done);
      return running;
    }
    entry.queued ??= entry.checking.then(noop, noop).then(() => {
      entry.queued = undefined;
      return this.#check(entry);
    });
    return entry.queued;
  }

  async #runCheck(entry: Entry): Promise<Check> {
    const asOf = ++this.#tick;
    const takenAt = this.#now();
    const sql = this.#sql;
    const span = entry.span;
    // pg_current_snapshot() is the statement's own snapshot, the one the exists() reads with.
    const [row] = await sql<{ snapshot: string; changed: boolean }[]>`
      select pg_current_snapshot()::text as snapshot, exists (
        select from ingest_marks
        where xid >= pg_snapshot_xmin(${entry.snapshot}::pg_snapshot)
          and not pg_visible_in_snapshot(xid, ${entry.snapshot}::pg_snapshot)
          ${span === "everything" ? sql`` : sql`and lo <= ${new Date(span.to)} and hi >= ${new Date(span.from)}`}
      ) as changed`;
    const check: Check = { changed: row!.changed, snapshot: row!.snapshot, asOf, takenAt };
    if (!check.changed && asOf > entry.asOf) {
      entry.snapshot = check.snapshot;
      entry.asOf = asOf;
      entry.takenAt = takenAt;
    }
    return check;
  }

  #store(key: string, entry: Entry): void {
    const old = this.#entries.get(key);
    if (old) this.#drop(key, old);
    if (entry.bytes > this.#maxBytes) return;
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    this.#evict();
  }

  /** Counts an entry's gzip copy, now made; an entry dropped meanwhile is no longer counted at all. */
  #grow(key: string, entry: Entry, bytes: number): void {
    this.#onGzipped(bytes);
    if (this.#entries.get(key) !== entry) return;
    entry.bytes += bytes;
    this.#bytes += bytes;
    this.#evict();
  }

  /** Drops least recently used entries until the rest fit. */
  #evict(): void {
    for (const [oldest, evicted] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#drop(oldest, evicted);
    }
  }

  #drop(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
