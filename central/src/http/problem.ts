/**
 * Errors as RFC 9457 problem details. Code anywhere in central throws a ProblemError (or a subclass);
 * `problemResponse` is the one place that turns any thrown value into an `application/problem+json`
 * answer, so every route words its failures the same way and none can leak a stack trace.
 */
import { PROBLEM_CONTENT_TYPE, type Problem, type Rejection } from "@plantlink/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { isDatabaseUnavailable } from "../db/unavailable.ts";

/** A failure with an HTTP status, a stable machine-readable `code` and a reason a person can act on. */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: Rejection[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "ProblemError";
  }
}

export class ValidationError extends ProblemError {
  constructor(detail: string, errors: Rejection[]) {
    super(400, "validation_failed", "Bad Request", detail, errors);
  }
}

export class UnauthorizedError extends ProblemError {
  constructor(detail: string) {
    // RFC 6750 §3: a 401 names the scheme the client should use.
    super(401, "unauthorized", "Unauthorized", detail, undefined, {
      "WWW-Authenticate": 'Bearer realm="plantlink"',
    });
  }
}

/** Too many failed logins from one address: refused before the credential is looked at. */
export class TooManyFailedLoginsError extends ProblemError {
  constructor(retryAfterSeconds: number) {
    super(
      429,
      "too_many_failed_logins",
      "Too Many Requests",
      `too many failed logins from this address; try again in ${retryAfterSeconds} s with a valid token`,
      undefined,
      { "Retry-After": String(retryAfterSeconds) },
    );
  }
}

export class ForbiddenError extends ProblemError {
  constructor(detail: string) {
    super(403, "forbidden", "Forbidden", detail);
  }
}

export class NotFoundError extends ProblemError {
  constructor(detail: string) {
    super(404, "not_found", "Not Found", detail);
  }
}

export class PayloadTooLargeError extends ProblemError {
  constructor(detail: string) {
    super(413, "payload_too_large", "Content Too Large", detail);
  }
}

export class UnsupportedMediaTypeError extends ProblemError {
  constructor(detail: string) {
    super(415, "unsupported_media_type", "Unsupported Media Type", detail);
  }
}

/** The database cannot be reached; nothing is wrong with the request, so the client sends it again. */
export class DatabaseUnavailableError extends ProblemError {
  constructor() {
    super(
      503,
      "database_unavailable",
      "Service Unavailable",
      "the database cannot be reached right now; send the request again shortly (readings sent again are stored once)",
      undefined,
      { "Retry-After": "5" },
    );
  }
}

/** Turns zod issues from a request part (body, query, path) into per-field rejections. */
export function issuesToRejections(error: z.ZodError, target: string): Rejection[] {
  return error.issues.map((issue) => {
    const [first, ...rest] = issue.path;
    // A path starting with an array index names the item, the rest names the field inside it.
    if (typeof first === "number") {
      return {
        index: first,
        field: rest.length > 0 ? rest.map(String).join(".") : target,
        reason: issue.message,
      };
    }
    return {
      field: issue.path.length > 0 ? issue.path.map(String).join(".") : target,
      reason: issue.message,
    };
  });
}

/** Hono's own exceptions (malformed JSON, 415 from the media-type gate) get plantlink wording. */
function fromHttpException(error: HTTPException): ProblemError {
  if (error.status === 415) {
    return new UnsupportedMediaTypeError("send the body with Content-Type: application/json");
  }
  if (error.status === 400 && /json/i.test(error.message)) {
    return new ValidationError("the request body is not valid JSON", [
      {
        field: "body",
        reason: "the request body is not valid JSON; check for truncation or a trailing comma",
      },
    ]);
  }
  return new ProblemError(
    error.status,
    "http_error",
    error.message || "Error",
    error.message || "request failed",
  );
}

export function toProblemError(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailableError();
  return undefined;
}

export function problemBody(error: ProblemError): Problem {
  return {
    type: `urn:plantlink:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function problemResponse(c: Context, error: ProblemError): Response {
  const headers = new Headers(error.headers);
  headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
  const requestId = c.get("requestId");
  if (typeof requestId === "string") headers.set("X-Request-Id", requestId);
  return new Response(JSON.stringify(problemBody(error)), { status: error.status, headers });
}

/** The problem answer for a failure that is not a ProblemError: a bug or an outage, never the client's fault. */
export const internalError = () =>
  new ProblemError(
    500,
    "internal",
    "Internal Server Error",
    "central failed to handle the request; the error is logged with this request's X-Request-Id",
  );
