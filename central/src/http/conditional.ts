/**
 * Conditional GET for the read routes (averages, series, gaps, equipment): a strong `ETag` that is a
 * hash of the exact JSON sent, a `Cache-Control` the route picks for its window, and `304 Not
 * Modified` with no body when the request's `If-None-Match` names the current tag. The tag depends on
 * nothing but the bytes, so any API instance computes the same one (DESIGN.md section 6: no state
 * between requests), and a dashboard polling with a fixed `at=` pays only for changed answers.
 *
 * A client that accepts gzip gets the answer gzip-encoded, under its own tag (the identity tag with
 * `-gzip` inside the quotes): read answers are large and it is their bytes on the wire that limit
 * how many a server can send, not the work of computing them (the answer cache shares that).
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Context } from "hono";
import { negotiateEncoding } from "./accept-encoding.ts";

const gzipAsync = promisify(gzip);

/**
 * Smaller answers are always sent as they are: they fit a packet or two either way, so gzip would save
 * the client next to nothing and cost a trip through zlib and 18 bytes of framing.
 */
export const GZIP_MIN_BYTES = 1024;

export function etagOf(body: Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/**
 * The answer as sent: its JSON bytes, their strong ETag, and a gzip copy made on first demand. The copy
 * is made once per answer and shared by every caller that accepts gzip: a cached 2,000-sensor averages
 * answer is 555 KB, and compressing it takes milliseconds of CPU that no request should pay twice.
 */
export class SerializedAnswer {
  readonly body: Buffer<ArrayBuffer>;
  readonly etag: string;
  /**
   * The gzip copy's tag. A strong tag names exact bytes, so the two encodings need two tags (RFC 9110
   * §8.8.3); this one is derived from the identity tag so a revalidation with either can be matched.
   */
  readonly gzipEtag: string;
  readonly #onGzipped: ((bytes: number) => void) | undefined;
  #gzipped: Promise<Buffer<ArrayBuffer>> | undefined;

  /** `onGzipped` hears the gzip copy's size once it is made (the answer cache counts it). */
  constructor(body: Buffer<ArrayBuffer>, onGzipped?: (bytes: number) => void) {
    this.body = body;
    this.etag = etagOf(body);
    this.gzipEtag = gzipEtagOf(this.etag);
    this.#onGzipped = onGzipped;
  }

  /** Whether the answer is big enough to be worth sending gzip-encoded. */
  get compressible(): boolean {
    return this.body.byteLength >= GZIP_MIN_BYTES;
  }

  /**
   * The gzip copy. zlib's asynchronous gzip runs on the thread pool, so a 555 KB answer does not hold
   * the event loop for the milliseconds it takes; concurrent callers share the one promise. A failure
   * is not kept: the caller gets the error and the next one tries again.
   */
  gzipped(): Promise<Buffer<ArrayBuffer>> {
    this.#gzipped ??= gzipAsync(this.body).then(
      (copy) => {
        this.#onGzipped?.(copy.byteLength);
        return copy;
      },
      (error: unknown) => {
        this.#gzipped = undefined;
        throw error;
      },
    );
    return this.#gzipped;
  }
}

/**
 * Serialised and encoded once, for the tag and the body alike: 2,000 sensors' averages are 600 KB of
 * JSON, and its σ and ± make it a string that costs milliseconds each time it is turned into UTF-8.
 */
export function serializeAnswer(data: unknown, onGzipped?: (bytes: number) => void): SerializedAnswer {
  return new SerializedAnswer(Buffer.from(JSON.stringify(data)), onGzipped);
}

/** The tag of the gzip copy of the bytes tagged `etag`: the same tag with `-gzip` inside the quotes. */
export function gzipEtagOf(etag: string): string {
  return `${etag.slice(0, -1)}-gzip"`;
}

/**
 * RFC 9110 §13.1.2: weak comparison, `*` matches anything. Either encoding's tag matches: a client that
 * cached one representation may revalidate with its tag, and the bytes behind both are unchanged.
 */
export function matchesIfNoneMatch(
  header: string | undefined,
  tags: { etag: string; gzipEtag: string },
): boolean {
  if (header === undefined) return false;
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === tags.etag || tag === tags.gzipEtag);
}

/**
 * Caching headers for an answer computed at request time. Answers are per token (`private`) and
 * change as readings arrive, so they may be reused for `maxAgeSeconds` only; after that the client
 * revalidates with the tag. The body depends on Accept-Encoding as well as on who asks.
 */
function cacheHeaders(etag: string, maxAgeSeconds: number): Record<string, string> {
  return {
    ETag: etag,
    "Cache-Control": `private, max-age=${maxAgeSeconds}, must-revalidate`,
    Vary: "Accept-Encoding, Authorization, Cookie",
  };
}

/**
 * The answer to a conditional GET, gzip-encoded when the client accepts gzip and the answer is worth
 * it: a bare `304` when the request's `If-None-Match` names either encoding's tag, carrying the tag of
 * the encoding this request would have got, else the bytes with their tag and caching headers.
 */
export async function conditionalAnswer(
  c: Context,
  answer: SerializedAnswer,
  maxAgeSeconds: number,
): Promise<Response> {
  const gzipped = answer.compressible && negotiateEncoding(c.req.header("Accept-Encoding")) === "gzip";
  const headers = cacheHeaders(gzipped ? answer.gzipEtag : answer.etag, maxAgeSeconds);
  if (matchesIfNoneMatch(c.req.header("If-None-Match"), answer)) return c.body(null, 304, headers);
  headers["Content-Type"] = "application/json";
  if (!gzipped) return c.body(answer.body, 200, headers);
  headers["Content-Encoding"] = "gzip";
  return c.body(await answer.gzipped(), 200, headers);
}

/** The same for `data`, serialised here (and compressed, if at all, for this request alone). */
export function conditionalJson(c: Context, data: unknown, maxAgeSeconds: number): Promise<Response> {
  return conditionalAnswer(c, serializeAnswer(data), maxAgeSeconds);
}
