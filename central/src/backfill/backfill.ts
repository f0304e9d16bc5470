/**
 * The CSV backfill pipeline: bytes from the socket → CsvByteScanner → csv-parse → rows validated by the
 * shared rules → batches ingested on the one ingest path by the committer (committer.ts), which counts
 * what each transaction stored in that transaction.
 *
 * Back-pressure end to end: rows are read from the parser only as fast as batches commit, csv-parse
 * then stops taking bytes, and the source (the request body) stops being read, so TCP slows the
 * sender. Two batches are committing while the next is filled; nothing else of the file is held.
 */
import { pipeline, Readable } from "node:stream";
import { type CsvHeader, parseCsvHeader, parseCsvRow, type ValidationOptions } from "@plantlink/shared";
import { type CsvError, parse } from "csv-parse";
import type { Logger } from "pino";
import type { Sql } from "../db/connect.ts";
import type { UploadStatus } from "../db/schema.ts";
import { DEFAULT_SENTINELS_CENTI } from "../ingest/screen.ts";
import { CsvByteScanner } from "./byte-scanner.ts";
import { type Batch, type BatchOutcome, createCommitter, newBatch } from "./committer.ts";
import {
  CsvHeaderError,
  CsvUnreadableError,
  FileTooLargeError,
  NotCsvError,
  reasonOf,
  UploadStoppedError,
} from "./errors.ts";
import { MAX_REPORTED_ERRORS, type UploadCounts, type UploadLineError, type UploadReport } from "./report.ts";
import type { UploadStore } from "./uploads.ts";

/**
 * Rows per transaction. Each batch updates every sensor's rollup and equipment rows once, so for a
 * plant export (2,000 sensors every minute) 20,000-row batches cost PostgreSQL ~40 % less CPU per row
 * than 5,000-row ones (13-17 against 21-27 µs, measured through this pipeline); 50,000 were no better.
 * Three batches in memory (two committing, one filling) stay a few megabytes.
 */
export const DEFAULT_BATCH_ROWS = 20_000;
/** A line (row) longer than this is not a reading: it is an unclosed quote swallowing the file. */
export const MAX_LINE_BYTES = 1 << 20;

export interface BackfillDeps {
  sql: Sql;
  uploads: UploadStore;
  validation: ValidationOptions;
  /** The global sentinel values, in hundredths (ingest/screen.ts); absent: the default, -9999. */
  sentinels?: readonly number[] | undefined;
  log?: Logger | undefined;
  /** Told about each committed batch (metrics). */
  onBatch?: ((outcome: BatchOutcome, seconds: number) => void) | undefined;
}

export interface BackfillOptions {
  uploadId: string;
  fileName: string;
  tokenId: string | null;
  /** CSV bytes (after gzip decoding) an upload may have; beyond it: 413, with what came before kept. */
  maxBytes: number;
  batchRows?: number | undefined;
}

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
  let kept = 0;
  const committer = createCommitter({
    sql,
    uploads,
    uploadId,
    sentinels: deps.sentinels ?? DEFAULT_SENTINELS_CENTI,
    extraColumns: () => extraColumns,
    onBatch: deps.onBatch,
  });

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

  /** Closes the batch at the line it ended on and hands it to the committer (which may make us wait). */
  let storing: unknown;
  const flush = async (full: Batch) => {
    full.lastByte = scanner.lineEnd(full.lastLine);
    full.bytesRead = scanner.bytes;
    try {
      await committer.submit(full);
    } catch (error) {
      storing = error;
      throw error;
    }
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
    await finish("failed", stopped.message, [error], { errorsTotal: 1 });
    throw stopped;
  }
  // Rows read before the stream stopped are complete lines: store them too.
  if (storing === undefined) await flush(batch).catch(() => undefined);
  const failure = await committer.drain().then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  if (failure !== undefined) {
    // Not the file's fault: what was committed stays, and sending the file again completes it.
    const detail = "central could not store the rows (a database error, logged with this upload's id)";
    log?.error({ msg: "backfill could not store rows", uploadId, err: failure.error });
    await finish("incomplete", detail).catch(() => undefined);
    throw failure.error;
  }
  if (stopped === undefined && fatal === undefined) {
    return finish("complete", null, [], { committedLine: line, committedBytes: scanner.bytes });
  }
  const cause =
    fatal !== undefined
      ? new CsvUnreadableError(`line ${committer.committed.committedLine}: ${fatal}`)
      : stopped;
  const report = await finish(fatal !== undefined ? "failed" : "incomplete", reasonOf(cause));
  throw new UploadStoppedError(report, cause);

  async function finish(
    status: UploadStatus,
    detail: string | null,
    newErrors: UploadLineError[] = [],
    adjust: Partial<UploadCounts> = {},
  ): Promise<UploadReport> {
    const counts: UploadCounts = { ...committer.committed, bytes: scanner.bytes, ...adjust };
    const errors = [...committer.errors, ...newErrors];
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
