/**
 * `POST /v1/backfill` (vendor): a CSV file, as a `text/csv` body (optionally gzip-encoded) or the `file`
 * field of a multipart form, streamed into the backfill pipeline; answers the upload report.
 * `GET /v1/backfill` and `GET /v1/backfill/{uploadId}` (vendor: their own uploads; viewer: all).
 *
 * The body is never parsed by a validator (that would buffer it): the route's body schemas are plain
 * OpenAPI objects, for the document only, and the handler reads the stream itself.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createRoute, z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE, problemSchema, storedTextProblem } from "@plantlink/shared";
import type { Context, MiddlewareHandler } from "hono";
import { storedTextQuery } from "../averages/params.ts";
import { type AppEnv, type Parts, principalOf, sentinelsOf } from "../http/context.ts";
import {
  NotFoundError,
  PayloadTooLargeError,
  ProblemError,
  problemBody,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../http/problem.ts";
import { type ApiRoute, defineRoute, type RouteModule } from "../http/route.ts";
import { backfill } from "./backfill.ts";
import {
  BackfillError,
  CsvHeaderError,
  CsvUnreadableError,
  FileTooLargeError,
  NotCsvError,
  UploadStoppedError,
} from "./errors.ts";
import { fileFromForm } from "./multipart.ts";
import { uploadReportSchema, uploadSummarySchema } from "./report.ts";
import { createUploadStore } from "./uploads.ts";

/** The largest CSV file (after gzip decoding) taken when the configuration says nothing. */
export const DEFAULT_BACKFILL_MAX_BYTES = 10_000_000_000;
/** Room for a multipart form's boundaries and part headers around the file. */
const FORM_OVERHEAD_BYTES = 65_536;
// The generic body limits are lifted for this route: the backfill limit is applied to the CSV bytes.
const UNLIMITED = { bodyBytes: Number.MAX_SAFE_INTEGER, decompressedBytes: Number.MAX_SAFE_INTEGER };
const CSV_TYPES = new Set(["text/csv", "application/csv", "text/plain"]);
const HOW_TO_SEND =
  'send the file as text/csv (curl --data-binary @readings.csv -H "Content-Type: text/csv") or as the ' +
  'field "file" of a multipart form (curl -F file=@readings.csv)';

export const backfillProblemSchema = problemSchema
  .extend({
    uploadId: z.string().optional(),
    report: uploadReportSchema.optional().meta({ description: "what was stored before the upload stopped" }),
  })
  .meta({ id: "BackfillProblem" });

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: backfillProblemSchema } },
});

/** Turns what the pipeline throws into the answer, with the upload's report when rows were read. */
function toProblem(error: unknown): { problem: ProblemError; extras: Record<string, unknown> } | undefined {
  if (error instanceof CsvHeaderError) {
    const problem = new ValidationError(error.message, [
      { line: error.line, field: "header", reason: error.reason },
    ]);
    return { problem, extras: { uploadId: error.uploadId } };
  }
  if (error instanceof NotCsvError)
    return { problem: new UnsupportedMediaTypeError(error.message), extras: {} };
  if (error instanceof UploadStoppedError) {
    const { cause, report } = error;
    const errors = report.errors.map((e) => ({ line: e.line, field: "row", reason: e.reason }));
    const problem =
      cause instanceof FileTooLargeError
        ? new ProblemError(413, "payload_too_large", "Content Too Large", error.message, errors)
        : cause instanceof CsvUnreadableError
          ? new ProblemError(400, cause.code, "Bad Request", error.message, errors)
          : cause instanceof ProblemError
            ? new ProblemError(cause.status, cause.code, cause.title, error.message, errors)
            : new ProblemError(400, "upload_cut_off", "Bad Request", error.message, errors);
    return { problem, extras: { uploadId: report.uploadId, report } };
  }
  if (error instanceof BackfillError) {
    return { problem: new ProblemError(400, error.code, "Bad Request", error.message), extras: {} };
  }
  return undefined;
}

/** Time-ordered, so ids sort like uploads; random enough that they cannot be guessed. */
const newUploadId = () => `bf_${Date.now().toString(36)}_${randomBytes(8).toString("hex")}`;

interface OpenedUpload {
  source: AsyncIterable<Uint8Array>;
  fileName: string | undefined;
}

async function openUpload(
  c: Context<AppEnv>,
  declared: number | undefined,
  maxBytes: number,
): Promise<OpenedUpload> {
  const contentType = c.req.header("Content-Type") ?? "";
  const [essence = "", ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  const multipart = essence === "multipart/form-data";
  if (!multipart && !CSV_TYPES.has(essence)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type "${essence || "none"}" is not accepted; ${HOW_TO_SEND}`,
    );
  }
  const charset = params
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/"/g, "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new UnsupportedMediaTypeError(`the file must be UTF-8, not ${charset}; save it as CSV UTF-8`);
  }
  if (declared !== undefined && declared > maxBytes + (multipart ? FORM_OVERHEAD_BYTES : 0)) {
    throw new PayloadTooLargeError(
      `the file is ${declared} bytes; the backfill limit is ${maxBytes} bytes: split it into smaller files`,
    );
  }
  const body = c.req.raw.body;
  if (!body) throw new ValidationError("the request has no body", [{ field: "body", reason: HOW_TO_SEND }]);
  if (!multipart) return { source: body, fileName: undefined };
  const form = await fileFromForm(contentType, Readable.fromWeb(body as WebReadableStream<Uint8Array>));
  const problem = form.fileName === undefined ? undefined : storedTextProblem("file.filename", form.fileName);
  if (problem) {
    throw new ValidationError(`the file name of the form's "file" part cannot be stored: ${problem}`, [
      { field: "file.filename", reason: problem },
    ]);
  }
  return { source: form.stream, fileName: form.fileName };
}

function postBackfill(maxBytesOf: (parts: Parts) => number, batchRows: number | undefined): ApiRoute {
  const route = createRoute({
    method: "post",
    path: "/v1/backfill",
    tags: ["backfill"],
    summary: "Upload a CSV file of readings",
    description:
      "Header `equipmentId,timestamp,value` in any order (extra columns are ignored and named in the report). " +
      "UTF-8, optional BOM, CRLF or LF, quoted fields. The file is streamed: rows are stored in batches as " +
      "they arrive, each bad row is reported with its line and reason, and uploading the same file again " +
      "stores nothing new. The body may be gzip-encoded (`Content-Encoding: gzip`). `fileName` names the " +
      "upload in reports (a multipart part's file name is used otherwise).",
    request: {
      query: z.object({ fileName: storedTextQuery("fileName").trim().min(1).max(255).optional() }),
      body: {
        required: true,
        content: {
          "text/csv": {
            schema: {
              type: "string",
              example: "equipmentId,timestamp,value\nEQ-1,2024-01-01T00:00:00Z,78.42\n",
            },
          },
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["file"],
              properties: { file: { type: "string", format: "binary" } },
            },
          },
        },
      },
    },
    responses: {
      201: {
        description: "the whole file was read; the report says what was stored and which lines were not",
        headers: {
          Location: { schema: { type: "string" }, description: "where the report stays available" },
        },
        content: { "application/json": { schema: uploadReportSchema } },
      },
      400: problem(
        "the header lacks a column, the file stopped early (`report` says what was stored), or the " +
          "file name holds a NUL character",
      ),
      413: problem(
        "the file is larger than the backfill limit, or a gzip body inflates more than 100x (a " +
          "decompression bomb); `report` says what was stored",
      ),
      415: problem("the body is not CSV text (a workbook, UTF-16, another Content-Type)"),
    },
  });
  const declaredLength = new WeakMap<Context<AppEnv>, number>();
  // Noted before the body middleware replaces the request with an unsized stream.
  const noteLength: MiddlewareHandler<AppEnv> = async (c, next) => {
    const declared = Number(c.req.header("Content-Length"));
    if (Number.isFinite(declared)) declaredLength.set(c, declared);
    await next();
  };
  const defined = defineRoute({
    route,
    roles: ["vendor"],
    limits: UNLIMITED,
    handler: (parts) => {
      const uploads = createUploadStore(parts.sql);
      return async (c) => {
        const principal = principalOf(c);
        const maxBytes = maxBytesOf(parts);
        const uploadId = newUploadId();
        const log = c.get("log");
        try {
          const upload = await openUpload(c, declaredLength.get(c), maxBytes);
          const fileName = c.req.valid("query").fileName ?? upload.fileName ?? "upload.csv";
          log.info({ msg: "backfill started", uploadId, fileName });
          const report = await backfill(
            {
              sql: parts.sql,
              uploads,
              validation: parts.validation,
              sentinels: sentinelsOf(parts),
              log,
              onBatch: (counts, seconds) => parts.metrics.recordIngest("backfill", counts, seconds),
            },
            upload.source,
            {
              uploadId,
              fileName,
              tokenId: principal.tokenId,
              maxBytes,
              batchRows,
              // Aborted when the client leaves: the upload stops there instead of running on for no one.
              signal: c.req.raw.signal,
            },
          );
          return c.json(report, 201, { Location: `/v1/backfill/${uploadId}` });
        } catch (error) {
          const answer = toProblem(error);
          if (!answer) throw error;
          log.info({
            msg: "backfill refused",
            uploadId,
            code: answer.problem.code,
            status: answer.problem.status,
          });
          const { problem, extras } = answer;
          // The answer carries the body's own failure (a cut-off, a gzip bomb) and the report.
          c.set("bodyFailureAnswered", true);
          // Every cause maps to one of the three documented answers.
          const status = problem.status === 413 ? 413 : problem.status === 415 ? 415 : 400;
          return c.json({ ...problemBody(problem), status, ...extras }, status, {
            "Content-Type": PROBLEM_CONTENT_TYPE,
          });
        }
      };
    },
  });
  return {
    ...defined,
    register: (app, parts, middleware) => defined.register(app, parts, [noteLength, ...middleware]),
  };
}

const listBackfills = defineRoute({
  roles: ["vendor", "viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/backfill",
    tags: ["backfill"],
    summary: "List uploads, newest first",
    description:
      "A vendor sees the uploads made with its own token; a viewer sees all. Errors are in each report.",
    request: {
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    },
    responses: {
      200: {
        description: "uploads, newest first",
        content: { "application/json": { schema: z.object({ uploads: z.array(uploadSummarySchema) }) } },
      },
    },
  }),
  handler: (parts) => {
    const uploads = createUploadStore(parts.sql);
    return async (c) => {
      const principal = principalOf(c);
      const { limit } = c.req.valid("query");
      const tokenId = principal.role === "vendor" ? principal.tokenId : undefined;
      return c.json({ uploads: await uploads.list({ tokenId, limit }) }, 200);
    };
  },
});

const getBackfill = defineRoute({
  roles: ["vendor", "viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/backfill/{uploadId}",
    tags: ["backfill"],
    summary: "One upload's report",
    description: "A vendor may read the reports of its own uploads only.",
    request: { params: z.object({ uploadId: storedTextQuery("uploadId").max(100) }) },
    responses: {
      200: { description: "the report", content: { "application/json": { schema: uploadReportSchema } } },
      400: problem("the upload id holds a NUL character"),
      404: problem("no such upload (or it is another vendor's)"),
    },
  }),
  handler: (parts) => {
    const uploads = createUploadStore(parts.sql);
    return async (c) => {
      const principal = principalOf(c);
      const { uploadId } = c.req.valid("param");
      const found = await uploads.get(uploadId);
      // Another vendor's upload is answered like a missing one: its existence is not theirs to know.
      if (!found || (principal.role === "vendor" && found.tokenId !== principal.tokenId)) {
        throw new NotFoundError(`there is no upload ${uploadId}; GET /v1/backfill lists yours`);
      }
      return c.json(found.report, 200);
    };
  },
});

/**
 * The backfill routes; `maxBytesOf` reads the size limit from the parts, and `batchRows` sets the rows
 * per transaction (tests pass their own).
 */
export function backfillRoutesWith(
  maxBytesOf: (parts: Parts) => number,
  batchRows?: number | undefined,
): RouteModule {
  return [postBackfill(maxBytesOf, batchRows), listBackfills, getBackfill];
}

export const backfillRoutes: RouteModule = backfillRoutesWith(
  (parts) => parts.backfillMaxBytes ?? DEFAULT_BACKFILL_MAX_BYTES,
);
