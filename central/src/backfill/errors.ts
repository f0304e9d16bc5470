/**
 * How a backfill fails. The pipeline throws these; the route turns them into problem answers (one
 * place), so the pipeline can be run and tested without HTTP.
 */
import { ProblemError } from "../http/problem.ts";
import type { UploadReport } from "./report.ts";

export abstract class BackfillError extends Error {
  abstract readonly code: string;
}

/** The header lacks a column, names one twice, or is missing altogether. Nothing was stored. */
export class CsvHeaderError extends BackfillError {
  readonly code = "csv_header";
  constructor(
    readonly uploadId: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}; no row was stored (upload ${uploadId} is recorded as failed)`);
  }
}

/** The upload is not CSV text at all (a workbook, a PDF, UTF-16…). Nothing was stored. */
export class NotCsvError extends BackfillError {
  readonly code = "not_csv";
}

/** The file is larger than the backfill limit; what came before the limit is kept. */
export class FileTooLargeError extends BackfillError {
  readonly code = "file_too_large";
  constructor(readonly limitBytes: number) {
    super(`the file is larger than the backfill limit of ${limitBytes} bytes; split it into smaller files`);
  }
}

/** A line the CSV parser cannot get past (an unclosed quote swallowing the file). */
export class CsvUnreadableError extends BackfillError {
  readonly code = "csv_unreadable";
}

/**
 * The upload stopped before the end of the file: rows up to `report.committedLine` are stored, and
 * `cause` says why (the connection closed, the size limit, an unreadable line).
 */
export class UploadStoppedError extends BackfillError {
  readonly code = "upload_stopped";
  constructor(
    readonly report: UploadReport,
    override readonly cause: unknown,
  ) {
    const how =
      report.status === "incomplete"
        ? "upload the whole file again to complete it; rows already stored count as duplicates"
        : "fix the file and upload it again; rows already stored count as duplicates";
    super(
      `${reasonOf(cause)}; lines 1-${report.committedLine} were read (${report.inserted} rows inserted, ` +
        `${report.duplicates} duplicates, ${report.conflicts} conflicts, ${report.setAside} set aside, ` +
        `${report.rejected} rejected) and ` +
        `upload ${report.uploadId} is recorded as ${report.status}: ${how}`,
    );
  }
}

/** What a stopping cause says, whatever it is. */
export function reasonOf(cause: unknown): string {
  if (cause instanceof BackfillError) return cause.message;
  // The body limits (http/body.ts) word their own reason, e.g. a gzip body refused as a bomb.
  if (cause instanceof ProblemError) return cause.detail;
  if (cause instanceof Error) return `the upload was cut off before the end of the file (${cause.message})`;
  return `the upload was cut off before the end of the file (${String(cause)})`;
}

/** The client closed the connection before the upload was read to its end; what was stored stays. */
export class ClientGoneError extends BackfillError {
  readonly code = "client_gone";
  constructor() {
    super("the client closed the connection before the end of the file, so reading stopped there");
  }
}
