/**
 * Request bodies: size limits (413) and gzip decoding, as a stream wrapper rather than a buffer, so a
 * streamed upload (the CSV backfill) is limited without ever being held whole in memory.
 *
 * Two limits, because gzip inflates: a 16 MB limit on the wire alone would let a 16 MB gzip "bomb"
 * expand to gigabytes. The decompressed size is counted as it is produced and the stream is cut off at
 * the limit, so no more than the limit is ever inflated.
 *
 * And a ratio, because a route may lift the limits (the CSV backfill takes files of gigabytes): a body
 * that inflates to more than MAX_GZIP_RATIO times the compressed bytes read so far is a decompression
 * bomb (2 KB of gzip made 2,000,000 empty lines), not data, and is cut off there. Real data
 * compresses 5-20x.
 */
import type { IncomingMessage } from "node:http";
import type { MiddlewareHandler } from "hono";
import type { AppEnv, BodyLimits } from "./context.ts";
import {
  PayloadTooLargeError,
  type ProblemError,
  problemResponse,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./problem.ts";

const GZIP = new Set(["gzip", "x-gzip"]);
/** How many times its compressed size read so far a gzip body may inflate to. */
export const MAX_GZIP_RATIO = 100;
/** Inflated bytes below which the ratio is not judged: a small, very regular body may compress better. */
export const GZIP_RATIO_FROM_BYTES = 1 << 20;
/** The media types Hono's JSON validator reads. */
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
/** JSON bodies up to this size are read whole from the socket (below); larger ones are streamed. */
const SMALL_JSON_BYTES = 1_000_000;

/** The body as text, decoded as a web Request's text() does (UTF-8, a leading BOM dropped). */
function readText(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    // A client that left while its request waited (for admission, for its token check) closed the
    // stream already: its 'close' will not come again, and waiting for it would hold the request, and
    // its admission place, for ever.
    if (incoming.destroyed) {
      reject(new Error("the connection closed before the whole body arrived"));
      return;
    }
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.once("end", () => resolve(new TextDecoder().decode(Buffer.concat(chunks))));
    incoming.once("error", reject);
    incoming.once("close", () => {
      if (!incoming.complete) reject(new Error("the connection closed before the whole body arrived"));
    });
  });
}

function megabytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${bytes} bytes`;
}

/** A stream passed through, with the number of bytes that went through it so far. */
interface Counted {
  stream: ReadableStream<Uint8Array>;
  bytes(): number;
}

/**
 * Passes `source` through, counting bytes; when `tooMuch` finds a problem with the count, or when
 * `source` fails, reports a problem and errors the stream. The first problem reported wins: a cut-off
 * wire stream also breaks the gunzip after it, and the 413 is the true reason.
 */
function guarded(
  source: ReadableStream<Uint8Array>,
  tooMuch: (size: number) => ProblemError | undefined,
  broken: (error: unknown) => ProblemError,
  report: (problem: ProblemError) => void,
): Counted {
  const reader = source.getReader();
  let size = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const problem = broken(error);
        report(problem);
        controller.error(problem);
        return;
      }
      if (chunk.done) {
        controller.close();
        return;
      }
      size += chunk.value.byteLength;
      const problem = tooMuch(size);
      if (problem) {
        report(problem);
        controller.error(problem);
        await reader.cancel(problem).catch(() => undefined);
        return;
      }
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, bytes: () => size };
}

export function bodyLimits(limits: BodyLimits): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const encoding = (c.req.header("Content-Encoding") ?? "identity").trim().toLowerCase();
    const gzip = GZIP.has(encoding);
    if (!gzip && encoding !== "identity") {
      throw new UnsupportedMediaTypeError(
        `Content-Encoding "${encoding}" is not accepted; send the body plain or with Content-Encoding: gzip`,
      );
    }
    const tooLarge = () =>
      new PayloadTooLargeError(
        `the request body is larger than ${megabytes(limits.bodyBytes)}; send it in smaller batches`,
      );
    const length = c.req.header("Content-Length");
    const declared = Number(length);
    // Refuse before reading a byte when the client already told us the size.
    if (length !== undefined && Number.isFinite(declared) && declared > limits.bodyBytes) throw tooLarge();

    // A plain body of declared length within the limit cannot grow past it (the HTTP parser stops at
    // Content-Length), so it needs no counting wrapper: the wrapper's streams and Request copy were a
    // tenth of the CPU of a small POST. A small JSON body is read straight from the socket into the
    // body cache the JSON validator reads (the web Request and its streams were another tenth).
    if (!gzip && length !== undefined && Number.isFinite(declared)) {
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      if (incoming && declared <= SMALL_JSON_BYTES && JSON_TYPE.test(c.req.header("Content-Type") ?? "")) {
        const text = readText(incoming);
        // Read eagerly; a route that never reads it must not see an unhandled rejection.
        text.catch(() => undefined);
        // Hono keeps the promise of each body form read (HonoRequest#cachedBody); its type says the value.
        (c.req.bodyCache as { text?: Promise<string> }).text = text;
      }
      return next();
    }
    // Neither Content-Length nor Transfer-Encoding: HTTP/1.1 says there is no body (every GET). Asking
    // for the body below would build a web Request and its abort signal for nothing.
    if (length === undefined && c.req.header("Transfer-Encoding") === undefined) return next();
    const raw = c.req.raw;
    if (!raw.body) return next();

    let failure: ProblemError | undefined;
    const report = (problem: ProblemError) => {
      failure ??= problem;
    };
    const wire = guarded(
      raw.body,
      (size) => (size > limits.bodyBytes ? tooLarge() : undefined),
      () =>
        new ValidationError("the request body was cut off", [
          { field: "body", reason: "the connection broke" },
        ]),
      report,
    );
    let body = wire.stream;
    if (gzip) {
      body = guarded(
        body.pipeThrough(new DecompressionStream("gzip")),
        (size) => {
          if (size > limits.decompressedBytes) {
            return new PayloadTooLargeError(
              `the request body inflates to more than ${megabytes(limits.decompressedBytes)}; send smaller batches`,
            );
          }
          if (size > GZIP_RATIO_FROM_BYTES && size > MAX_GZIP_RATIO * wire.bytes()) {
            return new PayloadTooLargeError(
              `gzip body expands more than ${MAX_GZIP_RATIO}x (${wire.bytes()} compressed bytes inflated to ${size}): refused as a decompression bomb; a file that really is that regular can be sent uncompressed`,
            );
          }
          return undefined;
        },
        () =>
          new ValidationError("the request body is not valid gzip", [
            { field: "body", reason: "Content-Encoding is gzip but the body is not a complete gzip stream" },
          ]),
        report,
      ).stream;
    }
    const headers = new Headers(raw.headers);
    // Whoever reads the body next sees plain bytes of unknown length.
    headers.delete("Content-Encoding");
    headers.delete("Content-Length");
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers,
      body,
      duplex: "half",
      signal: raw.signal,
    });

    await next();
    // The reader (e.g. the JSON validator) turns a stream error into its own "malformed body" answer;
    // the real reason replaces it here, unless the handler answered it itself.
    if (failure && !c.get("bodyFailureAnswered")) c.res = problemResponse(c, failure);
  };
}
