/**
 * Sending a CSV file to `POST /v1/backfill` with undici, streamed from disk (optionally gzip-compressed
 * on the way), counting bytes and lines as they leave so a caller can show progress. The server reads
 * the body only as fast as it stores rows, so what has left here is close to what has been stored.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { Transform } from "node:stream";
import { createGzip } from "node:zlib";
import { Agent, request } from "undici";

export interface UploadProgress {
  /** Bytes of the file read so far (before compression). */
  bytes: number;
  totalBytes: number;
  /** Newlines read so far: the header plus the rows, give or take quoted line breaks. */
  lines: number;
}

export interface UploadRequest {
  /** Central's base URL, e.g. https://central.example:8080 */
  url: string;
  token: string;
  file: string;
  /** Compress the body on the way (Content-Encoding: gzip): less to send, a little more CPU. */
  gzip?: boolean | undefined;
  /** The name reports show; the file's own name by default. */
  fileName?: string | undefined;
  /** A PEM file of the private CA that signed central's certificate. */
  caFile?: string | undefined;
  onProgress?: ((progress: UploadProgress) => void) | undefined;
}

export interface UploadAnswer {
  status: number;
  contentType: string;
  body: unknown;
}

/** Counts what passes, for the progress bar. */
function counter(total: number, onProgress: UploadRequest["onProgress"]): Transform {
  const progress: UploadProgress = { bytes: 0, totalBytes: total, lines: 0 };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      progress.bytes += chunk.length;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) progress.lines += 1;
      onProgress?.(progress);
      done(null, chunk);
    },
  });
}

export async function uploadCsv(options: UploadRequest): Promise<UploadAnswer> {
  const { size } = await stat(options.file);
  const target = new URL("/v1/backfill", options.url);
  target.searchParams.set("fileName", options.fileName ?? basename(options.file));
  const counted = createReadStream(options.file, { highWaterMark: 256 * 1024 }).pipe(
    counter(size, options.onProgress),
  );
  const body = options.gzip ? counted.pipe(createGzip({ level: 1 })) : counted;
  const dispatcher = new Agent({
    // An upload may wait on the database for a long time between reads: no idle timeouts.
    bodyTimeout: 0,
    headersTimeout: 0,
    ...(options.caFile ? { connect: { ca: await readFile(options.caFile) } } : {}),
  });
  try {
    const response = await request(target, {
      method: "POST",
      dispatcher,
      headers: {
        authorization: `Bearer ${options.token}`,
        "content-type": "text/csv; charset=utf-8",
        // The exact size lets central refuse a file over its limit before a byte is stored.
        ...(options.gzip ? { "content-encoding": "gzip" } : { "content-length": String(size) }),
      },
      body,
    });
    const contentType = String(response.headers["content-type"] ?? "");
    const text = await response.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): shown as it is.
    }
    return { status: response.statusCode, contentType, body: parsed };
  } finally {
    counted.destroy();
    await dispatcher.close();
  }
}
