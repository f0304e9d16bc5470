/**
 * Central's tables, declared once: drizzle-kit generates the migrations in `central/drizzle/` from this
 * file, and queries are typed by it. Values are integer hundredths everywhere (`*_centi`), so nothing is
 * ever a float that prints as 78.41999. Every key starts with equipment_id where the table has one, so
 * the tables can be distributed by it later (docs/scaling.md).
 *
 * What drizzle cannot declare lives in hand-written migrations: `readings` is partitioned by month
 * (drizzle/0001_readings_partitioned.sql); the declaration below is its column list for typed queries.
 */

import type { IngestAnswer } from "@plantlink/shared";
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  date,
  index,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const centi = (name: string) => bigint(name, { mode: "number" });

/** One row per reading identity; the first value stored for an identity stays. */
export const readings = pgTable(
  "readings",
  {
    equipmentId: text("equipment_id").notNull(),
    ts: instant("ts").notNull(),
    valueCenti: centi("value_centi").notNull(),
    /** Where it came from: the edge id, `direct`, or the backfill upload id. */
    source: text("source").notNull(),
    receivedAt: instant("received_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "readings_pkey", columns: [t.equipmentId, t.ts] })],
);

/**
 * Per-sensor aggregates of the inserted readings, kept in the same transaction as the rows. Sums are
 * numeric so they are exact at any size; the sum of squares (in hundredths²) is there for the
 * baseline's standard deviation.
 */
const rollupColumns = {
  equipmentId: text("equipment_id").notNull(),
  bucket: instant("bucket").notNull(),
  count: bigint("count", { mode: "number" }).notNull(),
  sumCenti: numeric("sum_centi").notNull(),
  minCenti: centi("min_centi").notNull(),
  maxCenti: centi("max_centi").notNull(),
  sumSqCenti: numeric("sum_sq_centi").notNull(),
  /**
   * The bucket's first and last reading: a window's first and last reading come from the buckets it
   * covers whole, without visiting their rows (central/src/averages/).
   */
  firstTs: instant("first_ts").notNull(),
  lastTs: instant("last_ts").notNull(),
};

/**
 * Buckets are 10-minute multiples since the epoch (`date_bin('10 minutes', ts, epoch)`). Every window
 * is whole days, so its two edges together span one day of partial days; without this level their raw
 * part would be a whole hour of readings for every sensor (120,000 rows at 1/min for 2,000 sensors),
 * with it ten minutes. Measured in docs/performance.md, "Averages".
 */
export const rollup10Min = pgTable("rollup_10min", rollupColumns, (t) => [
  primaryKey({ name: "rollup_10min_pkey", columns: [t.equipmentId, t.bucket] }),
]);

/** Buckets are UTC hours. */
export const rollupHour = pgTable("rollup_hour", rollupColumns, (t) => [
  primaryKey({ name: "rollup_hour_pkey", columns: [t.equipmentId, t.bucket] }),
]);

/**
 * Buckets are UTC quarter days (00, 06, 12, 18 h). A window's partial days are read as at most
 * three of these and five hours at each edge, instead of up to 23 hours.
 */
export const rollup6Hour = pgTable("rollup_6h", rollupColumns, (t) => [
  primaryKey({ name: "rollup_6h_pkey", columns: [t.equipmentId, t.bucket] }),
]);

/** Buckets are UTC days. */
export const rollupDay = pgTable("rollup_day", rollupColumns, (t) => [
  primaryKey({ name: "rollup_day_pkey", columns: [t.equipmentId, t.bucket] }),
]);

/**
 * Buckets are 7-day multiples since the epoch (`date_bin('7 days', ts, epoch)`), so they start on
 * Thursdays: a month's whole days are read as three or four of these and the days around them.
 */
export const rollupWeek = pgTable("rollup_week", rollupColumns, (t) => [
  primaryKey({ name: "rollup_week_pkey", columns: [t.equipmentId, t.bucket] }),
]);

/** Each reading refused because its identity already had a different value. */
export const conflicts = pgTable(
  "conflicts",
  {
    id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
    equipmentId: text("equipment_id").notNull(),
    ts: instant("ts").notNull(),
    storedCenti: centi("stored_centi").notNull(),
    rejectedCenti: centi("rejected_centi").notNull(),
    source: text("source").notNull(),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "conflicts_pkey", columns: [t.equipmentId, t.ts, t.id] })],
);

/**
 * Readings set aside instead of stored: an error code (sentinel) or a value outside the sensor's valid
 * range (central/src/ingest/screen.ts). Kept with their identity, so a repeat is a duplicate and another
 * value for the identity a conflict, exactly as for stored readings; never in the rollups or averages.
 */
export const setAside = pgTable(
  "set_aside",
  {
    equipmentId: text("equipment_id").notNull(),
    ts: instant("ts").notNull(),
    valueCenti: centi("value_centi").notNull(),
    source: text("source").notNull(),
    reason: text("reason").$type<SetAsideReason>().notNull(),
    receivedAt: instant("received_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "set_aside_pkey", columns: [t.equipmentId, t.ts] })],
);

export const setAsideReasons = ["sentinel", "below_valid_min", "above_valid_max"] as const;
export type SetAsideReason = (typeof setAsideReasons)[number];

/** Per sensor, how many readings were set aside and the latest: GET /v1/equipment without counting. */
export const setAsideSummary = pgTable("set_aside_summary", {
  equipmentId: text("equipment_id").primaryKey(),
  count: bigint("count", { mode: "number" }).notNull(),
  lastTs: instant("last_ts").notNull(),
  lastCenti: centi("last_centi").notNull(),
  lastReason: text("last_reason").$type<SetAsideReason>().notNull(),
});

/** A transaction id that never wraps (PostgreSQL's `xid8`), compared with snapshots. */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

/**
 * One row per transaction that stored readings (or changed limits): its transaction id and the span of
 * reading timestamps it touched, `[lo, hi]`. The answer cache (central/src/answers/) asks "did any
 * transaction my snapshot could not see touch my window?" in one indexed statement, so every central
 * process and server stays exact without talking to the others. Rows older than any live cached
 * snapshot are deleted by the cache's pruner.
 */
export const ingestMarks = pgTable(
  "ingest_marks",
  {
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
    lo: instant("lo").notNull(),
    hi: instant("hi").notNull(),
  },
  (t) => [index("ingest_marks_xid_idx").on(t.xid)],
);

/** What each sensor has reported: served by GET /v1/equipment without scanning readings. */
export const equipment = pgTable("equipment", {
  equipmentId: text("equipment_id").primaryKey(),
  firstTs: instant("first_ts").notNull(),
  lastTs: instant("last_ts").notNull(),
  lastCenti: centi("last_centi").notNull(),
  lastSource: text("last_source").notNull(),
  /** Readings stored for the sensor, ever: the equipment list shows it without summing rollups. */
  readingCount: bigint("reading_count", { mode: "number" }).notNull().default(0),
});

/**
 * Per-sensor limits (central/src/equipment/limits.ts), in hundredths, each optional. Set by admins;
 * the sensor's status is judged against them (docs/status.md).
 */
export const equipmentLimits = pgTable("equipment_limits", {
  equipmentId: text("equipment_id").primaryKey(),
  warningLowCenti: centi("warning_low_centi"),
  warningHighCenti: centi("warning_high_centi"),
  criticalLowCenti: centi("critical_low_centi"),
  criticalHighCenti: centi("critical_high_centi"),
  targetCenti: centi("target_centi"),
  /**
   * Values this sensor sends to mean "no measurement" (its error codes), and the range outside which a
   * value cannot be a measurement; readings matching either are set aside (central/src/ingest/screen.ts).
   */
  sentinelsCenti: bigint("sentinels_centi", { mode: "number" }).array().notNull().default(sql`'{}'`),
  validMinCenti: centi("valid_min_centi"),
  validMaxCenti: centi("valid_max_centi"),
  updatedAt: instant("updated_at").notNull().defaultNow(),
  /** The name of the token that made the last change. */
  updatedBy: text("updated_by").notNull(),
});

/** Every change of a sensor's limits: who (token id and name), when, and the limits before and after. */
export const equipmentLimitsAudit = pgTable(
  "equipment_limits_audit",
  {
    id: bigint("id", { mode: "number" }).generatedAlwaysAsIdentity(),
    equipmentId: text("equipment_id").notNull(),
    at: instant("at").notNull().defaultNow(),
    byTokenId: bigint("by_token_id", { mode: "number" }).notNull(),
    byName: text("by_name").notNull(),
    before: jsonb("before").notNull(),
    after: jsonb("after").notNull(),
  },
  (t) => [primaryKey({ name: "equipment_limits_audit_pkey", columns: [t.equipmentId, t.id] })],
);

/**
 * The answer given to each edge batch, so a retried batch gets the same answer and changes nothing.
 * `answer` is null only inside the transaction that is ingesting the batch.
 */
export const edgeBatches = pgTable(
  "edge_batches",
  {
    edgeId: text("edge_id").notNull(),
    batchId: text("batch_id").notNull(),
    answer: jsonb("answer").$type<IngestAnswer>(),
    at: instant("at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "edge_batches_pkey", columns: [t.edgeId, t.batchId] })],
);

/** Each edge site as it last reported itself. */
export const edges = pgTable("edges", {
  edgeId: text("edge_id").primaryKey(),
  lastSyncAt: instant("last_sync_at").notNull(),
  /** Readings still buffered at the edge, as the edge reported with its last batch. */
  backlog: bigint("backlog", { mode: "number" }),
  oldestUnsyncedMs: bigint("oldest_unsynced_ms", { mode: "number" }),
  readingsTotal: bigint("readings_total", { mode: "number" }).notNull().default(0),
});

/**
 * Readings stored from each edge per UTC day, kept by the edge-batch ingest in the batch's transaction:
 * GET /v1/edges answers "today" from one row instead of counting billions of readings.
 */
export const edgeDays = pgTable(
  "edge_days",
  {
    edgeId: text("edge_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    readings: bigint("readings", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ name: "edge_days_pkey", columns: [t.edgeId, t.day] })],
);

export const tokenRoles = ["admin", "edge", "ingest", "vendor", "viewer"] as const;
export type TokenRole = (typeof tokenRoles)[number];

/** API tokens, stored only as hashes. An edge token is bound to exactly one edge id. */
export const tokens = pgTable(
  "tokens",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    role: text("role").$type<TokenRole>().notNull(),
    edgeId: text("edge_id"),
    hash: text("hash").notNull(),
    createdAt: instant("created_at").notNull().defaultNow(),
    revokedAt: instant("revoked_at"),
  },
  (t) => [
    uniqueIndex("tokens_hash_key").on(t.hash),
    check("tokens_role_check", sql.raw(`role in (${tokenRoles.map((r) => `'${r}'`).join(", ")})`)),
    check("tokens_edge_binding_check", sql`(role = 'edge') = (edge_id is not null)`),
  ],
);

export const uploadStatuses = ["complete", "incomplete", "failed"] as const;
export type UploadStatus = (typeof uploadStatuses)[number];

/** One line of a CSV upload that was not taken, and why. */
export interface UploadError {
  line: number;
  reason: string;
}

/**
 * Each CSV backfill upload and its report (central/src/backfill/). Counts and `committed_*` are updated
 * in the same transaction as each batch of rows, so after a crash or a cut connection they say exactly
 * how far the upload got. `incomplete` until the whole file has been read: an upload the process never
 * finished stays honestly incomplete. `errors` keeps the first 1,000; `errors_total` counts them all.
 */
export const uploads = pgTable(
  "uploads",
  {
    uploadId: text("upload_id").primaryKey(),
    fileName: text("file_name").notNull(),
    tokenId: bigint("token_id", { mode: "number" }).references(() => tokens.id),
    status: text("status").$type<UploadStatus>().notNull(),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    inserted: bigint("inserted", { mode: "number" }).notNull().default(0),
    duplicates: bigint("duplicates", { mode: "number" }).notNull().default(0),
    conflicts: bigint("conflicts", { mode: "number" }).notNull().default(0),
    setAside: bigint("set_aside", { mode: "number" }).notNull().default(0),
    rejected: bigint("rejected", { mode: "number" }).notNull().default(0),
    extraColumns: jsonb("extra_columns").$type<string[]>().notNull().default([]),
    errors: jsonb("errors").$type<UploadError[]>().notNull().default([]),
    errorsTotal: bigint("errors_total", { mode: "number" }).notNull().default(0),
    /** The last line, and the byte just after it, whose row is stored or rejected. */
    committedLine: bigint("committed_line", { mode: "number" }).notNull().default(0),
    committedBytes: bigint("committed_bytes", { mode: "number" }).notNull().default(0),
    /** Why the upload stopped before the end of the file; null when complete. */
    detail: text("detail"),
    startedAt: instant("started_at").notNull().defaultNow(),
    finishedAt: instant("finished_at"),
  },
  (t) => [
    index("uploads_started_at_idx").on(t.startedAt),
    check("uploads_status_check", sql.raw(`status in (${uploadStatuses.map((s) => `'${s}'`).join(", ")})`)),
    check("uploads_errors_cap_check", sql`jsonb_array_length(errors) <= 1000`),
  ],
);
