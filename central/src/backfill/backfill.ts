/**
 * The CSV backfill pipeline: bytes from the socket → CsvByteScanner → csv-parse → rows validated by the
 * shared rules → batches ingested on the one ingest path, each batch and the upload's progress in one
 * transaction.
 *
 * Back-pressure end to end: rows are read from the parser only as fast as batches commit, csv-parse
 * then stops taking bytes, and the source (the request body) stops being read, so TCP slows the
 * sender. At most two batches exist at once: one committing while the next is filled.
 */
import { pipeline, Readable } from "node:stream";
import {
  type CsvHeader,
  parseCsvHeader,
  parseCsvRow,
  type Reading,
  type ValidationOptions,
} from "@plantlink/shared";
import { type CsvError, parse } from "csv-parse";
import type { Logger } from "pino";
import type { Sql } from "../db/connect.ts";
import type { UploadStatus } from "../db/schema.ts";
import { ingestInTransaction } from "../ingest/ingest.ts";
import { CsvByteScanner } from "./byte-scanner.ts";
import {
  CsvHeaderError,
  CsvUnreadableError,
  FileTooLargeError,
  NotCsvError,
  reasonOf,
  UploadStoppedError,
} from "./errors.ts";
import {
  MAX_REPORTED_ERRORS,
  type UploadCounts,
  type UploadLineError,
  type UploadReport,
  zeroCounts,
} from "./report.ts";
import type { UploadStore } from "./uploads.ts";

/** Rows per transaction: large enough that a round trip is cheap per row, small enough to stay short. */
export const DEFAULT_BATCH_ROWS = 5000;
/** A line (row) longer than this is not a reading: it is an unclosed quote swallowing the file. */
export const MAX_LINE_BYTES = 1 << 20;

export interface BackfillDeps {
  sql: Sql;
  uploads: UploadStore;
  validation: ValidationOptions;
  log?: Logger | undefined;
  /** Told about each committed batch (metrics). */
  onBatch?:
    | ((
        counts: { inserted: number; duplicates: number; conflicts: number; rejected: number },
        seconds: number,
      ) => void)
    | undefined;
}

export interface BackfillOptions {
  uploadId: string;
  fileName: string;
  tokenId: string | null;
  /** CSV bytes (after gzip decoding) an upload may have; beyond it: 413, with what came before kept. */
  maxBytes: number;
  batchRows?: number | undefined;
}

interface Batch {
  readings: Reading[];
  rows: number;
  rejected: number;
  errorsTotal: number;
  errors: UploadLineError[];
  lastLine: number;
}

const newBatch = (): Batch => ({
  readings: [],
  rows: 0,
  rejected: 0,
  errorsTotal: 0,
  errors: [],
  lastLine: 0,
});

function newlinesIn(record: readonly string[]): number {
  let count = 0;
  for (const field of record) {
    for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) count += 1;
  }
  return count;
}

/** Empty lines, and lines of nothing but separators and spaces (spreadsheets export those), are skipped. */
function isBlank(record: readonly string[]): boolean {
  return record.every((field) => field.trim() === "");
}

/** Stores the rows of one CSV file and returns its report; see the module comment for the flow. */
export async function backfill(
  deps: BackfillDeps,
  source: AsyncIterable<Uint8Array>,
  options: BackfillOptions,
): Promise<UploadReport> {
  const { sql, uploads, validation, log } = deps;
  const { uploadId } = options;
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const { startedAt } = await uploads.start(options);
  const scanner = new CsvByteScanner();
  let extraColumns: string[] = [];
  let committed = zeroCounts();
  const errors: UploadLineError[] = [];
  let kept = 0;

  const parser = parse({
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true, // the shared rules judge the field count, row by row
    relax_quotes: true,
    max_record_size: MAX_LINE_BYTES,
    skip_records_with_error: true,
  });
  // Tokenising errors arrive as events while records wait in the parser's buffer: note after how
  // many records each came, so it is reported in its place in the file.
  const skipped: { after: number; error: CsvError }[] = [];
  parser.on("skip", (error: CsvError) => skipped.push({ after: parser.info.records, error }));

  /**
   * Why the source stopped before its end (the connection broke, the size limit). The parser is then
   * ended rather than destroyed, so every complete line already received is still read and stored;
   * the unfinished last line is dropped by the reader below.
   */
  let cutOff: unknown;
  async function* bytes(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source) {
        if (scanner.bytes + chunk.length > options.maxBytes) throw new FileTooLargeError(options.maxBytes);
        yield* scanner.push(chunk);
      }
    } catch (error) {
      if (error instanceof NotCsvError) throw error;
      cutOff = error;
      return;
    }
    yield* scanner.end();
  }
  // Errors reach us through the parser's iterator; this callback has nothing to add.
  pipeline(Readable.from(bytes(), { objectMode: false }), parser, () => {});

  let inflight: Promise<void> | undefined;
  const commit = async (batch: Batch, lastByte: number, bytesRead: number) => {
    const started = performance.now();
    let next = committed;
    let outcome = { inserted: 0, duplicates: 0, conflicts: 0 };
    await sql.begin(async (tx) => {
      outcome = await ingestInTransaction(tx, batch.readings, uploadId);
      next = {
        bytes: bytesRead,
        rows: committed.rows + batch.rows,
        inserted: committed.inserted + outcome.inserted,
        duplicates: committed.duplicates + outcome.duplicates,
        conflicts: committed.conflicts + outcome.conflicts,
        rejected: committed.rejected + batch.rejected,
        errorsTotal: committed.errorsTotal + batch.errorsTotal,
        committedLine: batch.lastLine,
        committedBytes: lastByte,
      };
      await uploads.advance(tx, uploadId, { counts: next, newErrors: batch.errors, extraColumns });
    });
    committed = next;
    errors.push(...batch.errors);
    deps.onBatch?.({ ...outcome, rejected: batch.rejected }, (performance.now() - started) / 1000);
  };
  /** Starts committing `batch` once the one before it has committed; never two at once, in file order. */
  const flush = async (batch: Batch) => {
    if (batch.rows === 0) return;
    const lastByte = scanner.lineEnd(batch.lastLine);
    const bytesRead = scanner.bytes;
    if (inflight) await inflight;
    inflight = commit(batch, lastByte, bytesRead);
    inflight.catch(() => undefined); // awaited by the next flush or at the end
  };

  let batch = newBatch();
  let line = 0;
  let consumed = 0;
  let header: CsvHeader | undefined;
  /** Why reading stopped before the end of the file, when the CSV itself made it stop. */
  let fatal: string | undefined;
  const reject = (at: number, reason: string) => {
    batch.rejected += 1;
    batch.errorsTotal += 1;
    if (kept < MAX_REPORTED_ERRORS) {
      batch.errors.push({ line: at, reason });
      kept += 1;
    }
  };
  /** Handles a tokenising error that came before record number `consumed + 1`; false: stop reading. */
  const onSkipped = (error: CsvError): boolean => {
    // At a cut-off, an open quote is the cut, not the file's fault.
    if (cutOff !== undefined) return false;
    const at = line + 1;
    batch.rows += 1;
    if (error.code === "CSV_QUOTE_NOT_CLOSED") {
      reject(
        at,
        `a quoted field that starts on this line is never closed, so lines ${at}-${scanner.lastLine} were read as one field and not stored; close the quote (a quote inside a field is written "")`,
      );
      line = scanner.lastLine;
      batch.lastLine = line;
      return true;
    }
    const reason =
      error.code === "CSV_MAX_RECORD_SIZE"
        ? `the row starting on this line is longer than ${MAX_LINE_BYTES} bytes: a quoted field is never closed, or the lines end in a lone CR; the rest of the file was not read`
        : `the row starting on this line cannot be read as CSV (${error.message}); the rest of the file was not read`;
    reject(at, reason);
    batch.lastLine = at;
    fatal = reason;
    return false;
  };

  let stopped: unknown;
  try {
    reading: for await (const record of parser as AsyncIterable<string[]>) {
      while (skipped[0] && skipped[0].after === consumed) {
        if (!onSkipped((skipped.shift() as { error: CsvError }).error)) break reading;
      }
      consumed += 1;
      const first = line + 1;
      line += 1 + newlinesIn(record);
      // The line the connection broke in the middle of: a row cut short would be stored wrong.
      if (cutOff !== undefined && line > scanner.completeLines) {
        line = first - 1;
        break;
      }
      if (isBlank(record)) continue;
      const fault = scanner.faultIn(first, line);
      if (header === undefined) {
        if (fault) throw new CsvHeaderError(uploadId, first, `the header ${fault.replace(/^the line /, "")}`);
        const parsed = parseCsvHeader(record);
        if (!parsed.ok) throw new CsvHeaderError(uploadId, first, parsed.reason);
        header = parsed.header;
        extraColumns = header.extra;
        continue;
      }
      batch.rows += 1;
      batch.lastLine = line;
      if (fault) {
        reject(first, fault);
      } else {
        const row = parseCsvRow(record, header, validation);
        if (row.ok) batch.readings.push(row.reading);
        else reject(first, row.reason);
      }
      if (batch.readings.length + batch.rejected >= batchRows) {
        await flush(batch);
        batch = newBatch();
      }
    }
    for (const { error } of skipped.splice(0)) if (!onSkipped(error)) break;
    if (header === undefined && fatal === undefined && cutOff === undefined) {
      throw new CsvHeaderError(
        uploadId,
        1,
        scanner.bytes === 0
          ? "the file is empty; its first line must be the header equipmentId,timestamp,value"
          : "the file has no header; its first line must be equipmentId,timestamp,value (any order)",
      );
    }
  } catch (error) {
    stopped = error;
  } finally {
    parser.destroy();
  }
  stopped ??= cutOff;

  // Header problems and non-CSV files stop before any row: recorded as failed, and thrown as they are.
  if (stopped instanceof CsvHeaderError || stopped instanceof NotCsvError) {
    const error =
      stopped instanceof CsvHeaderError
        ? { line: stopped.line, reason: stopped.reason }
        : { line: 1, reason: stopped.message };
    committed = { ...committed, errorsTotal: 1 };
    await finish("failed", stopped.message, [error]);
    throw stopped;
  }
  // Rows read before the stream stopped are complete lines: store them too.
  try {
    await flush(batch);
    if (inflight) await inflight;
  } catch (error) {
    await finish("failed", "storing the rows failed; see the service log").catch(() => undefined);
    throw error;
  }
  if (stopped === undefined && fatal === undefined) {
    committed = { ...committed, bytes: scanner.bytes, committedLine: line, committedBytes: scanner.bytes };
    return finish("complete", null);
  }
  const cause =
    fatal !== undefined ? new CsvUnreadableError(`line ${committed.committedLine}: ${fatal}`) : stopped;
  const report = await finish(fatal !== undefined ? "failed" : "incomplete", reasonOf(cause));
  throw new UploadStoppedError(report, cause);

  async function finish(
    status: UploadStatus,
    detail: string | null,
    newErrors: UploadLineError[] = [],
  ): Promise<UploadReport> {
    const counts: UploadCounts = { ...committed, bytes: scanner.bytes };
    errors.push(...newErrors);
    const { finishedAt } = await uploads.finish(uploadId, {
      counts,
      newErrors,
      extraColumns,
      status,
      detail,
    });
    log?.info({ msg: "backfill finished", uploadId, status, ...counts });
    return {
      uploadId,
      fileName: options.fileName,
      status,
      ...counts,
      extraColumns,
      errors,
      detail,
      startedAt,
      finishedAt,
    };
  }
}
