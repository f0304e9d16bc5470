/**
 * Conditional GET for the read routes (averages, series, gaps, equipment): a strong `ETag` that is a
 * hash of the exact JSON sent, a `Cache-Control` the route picks for its window, and `304 Not
 * Modified` with no body when the request's `If-None-Match` names the current tag. The tag depends on
 * nothing but the bytes, so any API instance computes the same one (DESIGN.md section 6: no state
 * between requests), and a dashboard polling with a fixed `at=` pays only for changed answers.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";

export function etagOf(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/** RFC 9110 §13.1.2: weak comparison, `*` matches anything. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
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
export function cacheHeaders(etag: string, maxAgeSeconds: number): Record<string, string> {
  return {
    ETag: etag,
    "Cache-Control": `private, max-age=${maxAgeSeconds}, must-revalidate`,
    Vary: "Authorization, Cookie",
  };
}

/**
 * Decides the answer to a conditional GET: the headers to send, and whether the client already has
 * these exact bytes (then the route answers a bare 304). The tag is computed from the same
 * `JSON.stringify` that `c.json` sends.
 */
export function conditionalAnswer(
  c: Context,
  data: unknown,
  maxAgeSeconds: number,
): { notModified: boolean; headers: Record<string, string> } {
  const etag = etagOf(JSON.stringify(data));
  return {
    notModified: matchesIfNoneMatch(c.req.header("If-None-Match"), etag),
    headers: cacheHeaders(etag, maxAgeSeconds),
  };
}
