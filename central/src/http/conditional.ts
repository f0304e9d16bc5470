/**
 * Conditional GET for the read routes (averages, series, gaps, equipment): a strong `ETag` that is a
 * hash of the exact JSON sent, a `Cache-Control` the route picks for its window, and `304 Not
 * Modified` with no body when the request's `If-None-Match` names the current tag. The tag depends on
 * nothing but the bytes, so any API instance computes the same one (DESIGN.md section 6: no state
 * between requests), and a dashboard polling with a fixed `at=` pays only for changed answers.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";

/** The answer as sent: its JSON bytes and their strong ETag. */
export interface SerializedAnswer {
  body: Buffer<ArrayBuffer>;
  etag: string;
}

export function etagOf(body: Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/**
 * Serialised and encoded once, for the tag and the body alike: 2,000 sensors' averages are 600 KB of
 * JSON, and its σ and ± make it a string that costs milliseconds each time it is turned into UTF-8.
 */
export function serializeAnswer(data: unknown): SerializedAnswer {
  const body = Buffer.from(JSON.stringify(data));
  return { body, etag: etagOf(body) };
}

/** RFC 9110 §13.1.2: weak comparison, `*` matches anything. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = etag.replace(/^W\//, "");
  return header
    .split(",")
    .map((tag) => tag.trim())
    .some((tag) => tag === "*" || tag.replace(/^W\//, "") === opaque);
}

/**
 * Caching headers for an answer computed at request time. Answers are per token (`private`) and
 * change as readings arrive, so they may be reused for `maxAgeSeconds` only; after that the client
 * revalidates with the tag.
 */
function cacheHeaders(etag: string, maxAgeSeconds: number): Record<string, string> {
  return {
    ETag: etag,
    "Cache-Control": `private, max-age=${maxAgeSeconds}, must-revalidate`,
    Vary: "Authorization, Cookie",
  };
}

/**
 * The answer to a conditional GET: a bare `304` when the request's `If-None-Match` names the tag of
 * these exact bytes, else the JSON with its tag and caching headers.
 */
export function conditionalAnswer(c: Context, answer: SerializedAnswer, maxAgeSeconds: number): Response {
  const headers = cacheHeaders(answer.etag, maxAgeSeconds);
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), answer.etag)) return c.body(null, 304, headers);
  return c.body(answer.body, 200, { ...headers, "Content-Type": "application/json" });
}

/** The same for `data`, serialised here. */
export function conditionalJson(c: Context, data: unknown, maxAgeSeconds: number): Response {
  return conditionalAnswer(c, serializeAnswer(data), maxAgeSeconds);
}
