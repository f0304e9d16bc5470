/**
 * The CSV backfill pipeline: bytes from the socket → CsvByteScanner → CsvRecordReader → rows validated
 * by the shared rules → batches ingested on the one ingest path by the committer (committer.ts), which
 * counts what each transaction stored in that transaction.
 *
 * Back-pressure end to end: the next chunk of the source is read only when the records of the last
 * one are taken, and records are taken only as fast as batches commit, so the request body stops
 * being read and TCP slows the sender. Two batches are committing while the next is filled; nothing
 * else of the file is held.
 *
 * Work per byte is bounded: an empty line is skipped before it is a record, a bad row costs its
 * fields and a reason, never a thrown error. A chunk of records already received is worked through
 * with a turn for other requests every MAX_BUSY_MS, and a client that leaves stops the upload there.
 */
import { StringDecoder } from "node:string_decoder";
import { setImmediate as yieldToOthers } from "node:timers/promises";
import { type CsvHeader, parseCsvHeader, parseCsvRow, type ValidationOptions } from "@plantlink/shared";
import type { Logger } from "pino";
import type { Sql } from "../db/connect.ts";
import type { UploadStatus } from "../db/schema.ts";
import { DEFAULT_SENTINELS_CENTI } from "../ingest/screen.ts";
import { CsvByteScanner } from "./byte-scanner.ts";
import { type Batch, type BatchOutcome, createCommitter, newBatch } from "./committer.ts";
import { type CsvItem, CsvRecordReader } from "./csv-records.ts";
import {
  ClientGoneError,
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
  /** Aborted when the client leaves: reading stops, and what is stored stays (status incomplete). */
  signal?: AbortSignal | undefined;
}

/**
 * The longest the pipeline works on records already received before other requests get a turn. The
 * clock is read every BREATHE_EVERY_RECORDS records (a few microseconds each) and at every chunk.
 */
const MAX_BUSY_MS = 10;
const BREATHE_EVERY_RECORDS = 256;
/** The most of a chunk scanned and decoded in one go. */
const PIECE_BYTES = 65_536;

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

  const reader = new CsvRecordReader(MAX_LINE_BYTES);
  // Bytes that are not UTF-8 become U+FFFD here; the scanner has the lines holding them rejected.
  const decoder = new StringDecoder("utf8");
  const { signal } = options;

  /**
   * Why the source stopped before its end (the connection broke, the size limit, the client left).
   * Every complete record already received is still read and stored; the unfinished last line is
   * dropped, because the reader is not told the file ended.
   */
  let cutOff: unknown;
  /** Whether the source was read to its end, so that what is left to do is the records in the reader. */
  let wholeFile = false;
  /** Feeds the reader one chunk of the source at a time, and the end of the file at its end. */
  async function* fed(): AsyncGenerator<void> {
    try {
      for await (const chunk of source) {
        // A big chunk is taken in pieces, so that scanning and decoding one is a short turn too.
        for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
          if (signal?.aborted) throw new ClientGoneError();
          const piece = chunk.subarray(at, at + PIECE_BYTES);
          if (scanner.bytes + piece.length > options.maxBytes) throw new FileTooLargeError(options.maxBytes);
          for (const part of scanner.push(piece)) reader.push(decoder.write(part));
          yield;
        }
      }
    } catch (error) {
      if (error instanceof NotCsvError) throw error;
      cutOff = error;
      return;
    }
    for (const part of scanner.end()) reader.push(decoder.write(part));
    reader.push(decoder.end());
    reader.end();
    wholeFile = true;
    yield;
  }

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
  let header: CsvHeader | undefined;
  /** Why reading stopped before the end of the file, when the CSV itself made it stop. */
  let fatal: string | undefined;
  const reject = (at: number, reason: string) => {
    batch.rejected += 1;
    batch.errorsTotal += 1;
    if (kept < MAX_REPORTED_ERRORS) {
      // A copy: the reason may quote a field, a slice that would keep the whole chunk it came from.
      batch.errors.push({ line: at, reason: Buffer.from(reason).toString() });
      kept += 1;
    }
  };

  /** Takes one item of the reader; false: stop reading. */
  const take = (item: CsvItem): boolean => {
    if (item.kind === "quote_not_closed") {
      const at = item.firstLine;
      batch.rows += 1;
      reject(
        at,
        `a quoted field that starts on this line is never closed, so lines ${at}-${scanner.lastLine} were read as one field and not stored; close the quote (a quote inside a field is written "")`,
      );
      line = scanner.lastLine;
      batch.lastLine = line;
      return true;
    }
    if (item.kind === "too_long") {
      const at = item.firstLine;
      const reason = `the row starting on this line is longer than ${MAX_LINE_BYTES} bytes: a quoted field is never closed, or the lines end in a lone CR; the rest of the file was not read`;
      batch.rows += 1;
      reject(at, reason);
      batch.lastLine = at;
      fatal = reason;
      return false;
    }
    const { fields, firstLine: first } = item;
    line = item.lastLine;
    if (isBlank(fields)) return true;
    const fault = scanner.faultIn(first, line);
    if (header === undefined) {
      if (fault) throw new CsvHeaderError(uploadId, first, `the header ${fault.replace(/^the line /, "")}`);
      const parsed = parseCsvHeader(fields);
      if (!parsed.ok) throw new CsvHeaderError(uploadId, first, parsed.reason);
      header = parsed.header;
      extraColumns = header.extra;
      return true;
    }
    batch.rows += 1;
    batch.lastLine = line;
    if (fault) {
      reject(first, fault);
    } else {
      const row = parseCsvRow(fields, header, validation);
      if (row.ok) batch.readings.push(row.reading);
      else reject(first, row.reason);
    }
    return true;
  };

  let stopped: unknown;
  let busySince = performance.now();
  /** Lets other requests in when this upload has kept the process long enough; false: the client left. */
  const breathe = async (): Promise<boolean> => {
    if (performance.now() - busySince > MAX_BUSY_MS) {
      await yieldToOthers();
      busySince = performance.now();
    }
    return !signal?.aborted;
  };
  try {
    let taken = 0;
    reading: for await (const _ of fed()) {
      // A chunk can hold many thousand records, all of them received already: between chunks is not
      // often enough to let others in or to notice a client that left.
      for (let item = reader.next(); item !== undefined; item = reader.next()) {
        if (!take(item)) break reading;
        if (batch.readings.length + batch.rejected >= batchRows) {
          await flush(batch);
          batch = newBatch();
        }
        if (++taken % BREATHE_EVERY_RECORDS === 0 && !(await breathe())) {
          cutOff = new ClientGoneError();
          break reading;
        }
      }
      // Past the last record of a file read whole, the report is complete, whoever is left to read it.
      if (!wholeFile && !(await breathe())) {
        cutOff = new ClientGoneError();
        break;
      }
    }
    line = Math.max(line, reader.line);
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
