/**
 * The upload report: what a vendor gets back from `POST /v1/backfill` and `GET /v1/backfill/{uploadId}`,
 * and what the uploads table stores. One schema, so the OpenAPI document describes exactly what is sent.
 */
import { z } from "@hono/zod-openapi";
import { uploadStatuses } from "../db/schema.ts";

/** At most this many line errors are kept per upload; `errorsTotal` counts every one. */
export const MAX_REPORTED_ERRORS = 1000;

const count = (description: string) => z.number().int().nonnegative().meta({ description });

export const uploadLineErrorSchema = z
  .object({
    line: z
      .number()
      .int()
      .positive()
      .meta({ description: "line number in the file, counting the header as 1" }),
    reason: z.string().meta({ example: "timestamp has no UTC offset; add Z or ±hh:mm" }),
  })
  .meta({ id: "UploadLineError" });

const summaryShape = {
  uploadId: z.string().meta({ example: "bf_m3k2x8q1_4f9c1e0a2b7d" }),
  fileName: z.string(),
  status: z.enum(uploadStatuses).meta({
    description:
      "complete: the whole file was read. incomplete: it stopped early (the connection closed, the size " +
      "limit, a database failure) or is still being read; rows up to committedLine are stored, and " +
      "uploading the whole file again completes it. failed: the file cannot be read as CSV (see detail).",
  }),
  bytes: count("bytes of the CSV file read (after gzip decoding)"),
  rows: count("data rows read: inserted + duplicates + conflicts + setAside + rejected"),
  inserted: count("rows stored"),
  duplicates: count("rows already stored with the same value: nothing to do"),
  conflicts: count(
    "rows whose equipmentId and timestamp are stored with another value; the stored value stays",
  ),
  setAside: count(
    "rows that are not measurements (a sentinel error value such as -9999, or outside the sensor's valid " +
      "range): kept apart from the readings and never averaged",
  ),
  rejected: count("rows not valid; each is listed in errors with its line and reason"),
  extraColumns: z.array(z.string()).meta({ description: "columns of the file that plantlink ignored" }),
  errorsTotal: count("rejected rows and unreadable lines, all of them; errors lists the first 1,000"),
  committedLine: count("every line up to this one is stored or rejected"),
  committedBytes: count("bytes of the file up to the end of committedLine"),
  detail: z.string().nullable().meta({ description: "why the upload stopped early, when it did" }),
  startedAt: z.string().meta({ description: "UTC, RFC 3339" }),
  finishedAt: z.string().nullable(),
};

export const uploadSummarySchema = z.object(summaryShape).meta({ id: "UploadSummary" });

export const uploadReportSchema = z
  .object({ ...summaryShape, errors: z.array(uploadLineErrorSchema) })
  .meta({ id: "UploadReport" });

export type UploadLineError = z.infer<typeof uploadLineErrorSchema>;
export type UploadSummary = z.infer<typeof uploadSummarySchema>;
export type UploadReport = z.infer<typeof uploadReportSchema>;

/** The counters an upload accumulates as batches commit. */
export interface UploadCounts {
  bytes: number;
  rows: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  setAside: number;
  rejected: number;
  errorsTotal: number;
  committedLine: number;
  committedBytes: number;
}

export const zeroCounts = (): UploadCounts => ({
  bytes: 0,
  rows: 0,
  inserted: 0,
  duplicates: 0,
  conflicts: 0,
  setAside: 0,
  rejected: 0,
  errorsTotal: 0,
  committedLine: 0,
  committedBytes: 0,
});
