/**
 * Conditional GET for the read routes (averages, series, gaps, equipment): a strong `ETag` that is a
 * hash of the exact JSON sent, a `Cache-Control` the route picks for its window, and `304 Not
 * Modified` with no body when the request's `If-None-Match` names the current tag. The tag depends on
 * nothing but the bytes, so any API instance computes the same one (DESIGN.md section 6: no state
 * between requests), and a dashboard polling with a fixed `at=` pays only for changed answers.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";

function etagOf(body: Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
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
 * The answer to a conditional GET of `data`: a bare `304` when the request's `If-None-Match` names the
 * tag of these exact bytes, else the JSON with its tag and caching headers. Serialised and encoded
 * once, for the tag and the body alike: 2,000 sensors' averages are 600 KB of JSON, and its σ and ±
 * make it a string that costs milliseconds each time it is turned into UTF-8.
 */
export function conditionalJson(c: Context, data: unknown, maxAgeSeconds: number): Response {
  const body = Buffer.from(JSON.stringify(data));
  const etag = etagOf(body);
  const headers = cacheHeaders(etag, maxAgeSeconds);
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), etag)) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, "Content-Type": "application/json" });
}
