/**
 * The uploads table: one row per CSV upload, created when the upload starts, counted in the same
 * transactions as each batch of its rows, advanced once they have committed, and finished with its
 * status. Plain postgres.js queries, like the token store: a drizzle instance would rewrite the shared
 * client's type parsers.
 */
import type { Sql, TransactionSql } from "../db/connect.ts";
import type { UploadStatus } from "../db/schema.ts";
import type { UploadCounts, UploadLineError, UploadReport, UploadSummary } from "./report.ts";

export interface NewUpload {
  uploadId: string;
  fileName: string;
  /** The vendor token that sent it; null when uploaded by other means (tests, tools). */
  tokenId: string | null;
}

export interface UploadProgress {
  /** How far the file is read and stored; what was stored is counted by `count` alone. */
  counts: Omit<UploadCounts, keyof StoredCounts>;
  /** Errors found since the last update, already trimmed to what still fits under the cap. */
  newErrors: readonly UploadLineError[];
  extraColumns: readonly string[];
}

/** What one transaction stored of an upload. */
export interface StoredCounts {
  inserted: number;
  duplicates: number;
  conflicts: number;
  setAside: number;
}

export interface UploadStore {
  start(upload: NewUpload): Promise<{ startedAt: string }>;
  /** Adds what a transaction stored to the upload's counts, inside that transaction. */
  count(tx: TransactionSql, uploadId: string, stored: StoredCounts): Promise<void>;
  /** Records how far the file is stored, once its rows are committed. */
  advance(uploadId: string, progress: UploadProgress): Promise<void>;
  finish(
    uploadId: string,
    progress: UploadProgress & { status: UploadStatus; detail: string | null },
  ): Promise<{ finishedAt: string }>;
  get(uploadId: string): Promise<{ report: UploadReport; tokenId: string | null } | undefined>;
  /** Newest first; only `tokenId`'s uploads when given. */
  list(options: { tokenId?: string | undefined; limit: number }): Promise<UploadSummary[]>;
}

interface UploadRow {
  uploadId: string;
  fileName: string;
  tokenId: string | null;
  status: UploadStatus;
  bytes: number;
  rows: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  setAside: number;
  rejected: number;
  extraColumns: string[];
  errors?: UploadLineError[];
  errorsTotal: number;
  committedLine: number;
  committedBytes: number;
  detail: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

// Counters are bigint in the table; float8 reads them as JS numbers, exact far beyond any file size.
const SUMMARY_COLUMNS = `upload_id as "uploadId", file_name as "fileName", token_id::text as "tokenId", status,
  bytes::float8 as bytes, rows::float8 as rows, inserted::float8 as inserted,
  duplicates::float8 as duplicates, conflicts::float8 as conflicts,
  set_aside::float8 as "setAside", rejected::float8 as rejected,
  extra_columns as "extraColumns", errors_total::float8 as "errorsTotal",
  committed_line::float8 as "committedLine", committed_bytes::float8 as "committedBytes", detail,
  started_at as "startedAt", finished_at as "finishedAt"`;

function toSummary(row: UploadRow): UploadSummary {
  return {
    uploadId: row.uploadId,
    fileName: row.fileName,
    status: row.status,
    bytes: row.bytes,
    rows: row.rows,
    inserted: row.inserted,
    duplicates: row.duplicates,
    conflicts: row.conflicts,
    setAside: row.setAside,
    rejected: row.rejected,
    extraColumns: row.extraColumns,
    errorsTotal: row.errorsTotal,
    committedLine: row.committedLine,
    committedBytes: row.committedBytes,
    detail: row.detail,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

function progressColumns(sql: Sql | TransactionSql, { counts, newErrors, extraColumns }: UploadProgress) {
  return sql`
    bytes = ${counts.bytes}, rows = ${counts.rows}, rejected = ${counts.rejected},
    errors_total = ${counts.errorsTotal}, committed_line = ${counts.committedLine},
    committed_bytes = ${counts.committedBytes}, extra_columns = ${sql.json([...extraColumns])},
    errors = errors || ${sql.json(newErrors.map((e) => ({ line: e.line, reason: e.reason })))}`;
}

export function createUploadStore(sql: Sql): UploadStore {
  const summary = sql.unsafe(SUMMARY_COLUMNS);
  return {
    async start(upload) {
      const [row] = await sql<{ startedAt: Date }[]>`
        insert into uploads (upload_id, file_name, token_id, status)
        values (${upload.uploadId}, ${upload.fileName}, ${upload.tokenId}::bigint, 'incomplete')
        returning started_at as "startedAt"`;
      if (!row) throw new Error("inserting an upload returned no row");
      return { startedAt: row.startedAt.toISOString() };
    },

    async count(tx, uploadId, stored) {
      await tx`
        update uploads set inserted = inserted + ${stored.inserted}, duplicates = duplicates + ${stored.duplicates},
          conflicts = conflicts + ${stored.conflicts}, set_aside = set_aside + ${stored.setAside}
        where upload_id = ${uploadId}`;
    },

    async advance(uploadId, progress) {
      await sql`update uploads set ${progressColumns(sql, progress)} where upload_id = ${uploadId}`;
    },

    async finish(uploadId, progress) {
      const [row] = await sql<{ finishedAt: Date }[]>`
        update uploads set ${progressColumns(sql, progress)}, status = ${progress.status},
          detail = ${progress.detail}, finished_at = now()
        where upload_id = ${uploadId}
        returning finished_at as "finishedAt"`;
      if (!row) throw new Error(`upload ${uploadId} vanished before it finished`);
      return { finishedAt: row.finishedAt.toISOString() };
    },

    async get(uploadId) {
      const [row] = await sql<UploadRow[]>`
        select ${summary}, errors from uploads where upload_id = ${uploadId}`;
      if (!row) return undefined;
      return { report: { ...toSummary(row), errors: row.errors ?? [] }, tokenId: row.tokenId };
    },

    async list({ tokenId, limit }) {
      const rows = await sql<UploadRow[]>`
        select ${summary} from uploads
        where ${tokenId === undefined ? sql`true` : sql`token_id = ${tokenId}::bigint`}
        order by started_at desc, upload_id desc
        limit ${limit}`;
      return rows.map(toSummary);
    },
  };
}
