/**
 * A request body as text, at most `maxBytes`, read straight from Node's IncomingMessage when the
 * request came through @hono/node-server. Going through the web Request instead (hono's bodyLimit, or
 * c.req.text()) makes the adapter build a full undici Request with an AbortController and a
 * ReadableStream over the socket for every request: a fifth of the edge's CPU per one-reading POST in
 * a profile at 200 connections. Tests that call app.request() have no IncomingMessage and take the
 * web path, with the same limit.
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

export type BodyText = { ok: true; text: string } | { ok: false; reason: "too_large" };

const TOO_LARGE: BodyText = { ok: false, reason: "too_large" };

/** The node-server adapter hands the IncomingMessage to the app as `env.incoming`. */
function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/**
 * A request header by its lower-case name. From the IncomingMessage when there is one: c.req.header()
 * would first copy every header into a web Headers object (4 % of the CPU of a one-reading POST).
 */
export function headerOf(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** True when the declared Content-Length already exceeds the limit: refuse before reading anything. */
export function declaredTooLarge(c: Context, maxBytes: number): boolean {
  const declared = headerOf(c, "content-length");
  return declared !== undefined && Number(declared) > maxBytes;
}

export async function readBodyText(c: Context, maxBytes: number): Promise<BodyText> {
  const incoming = incomingOf(c);
  if (!incoming) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return bytes.byteLength > maxBytes ? TOO_LARGE : { ok: true, text: new TextDecoder().decode(bytes) };
  }
  return new Promise<BodyText>((resolve, reject) => {
    const gone = () => reject(new Error("the connection closed before the whole body arrived"));
    // A client that left while its credentials were checked closed the stream already: no 'end' or
    // 'close' comes again, and waiting for one would keep the request (and its buffers) for ever.
    if (incoming.destroyed) {
      gone();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop keeping it; what is still coming is read and dropped, so the 413 can be answered.
        incoming.off("data", onData);
        incoming.off("end", onEnd);
        incoming.resume();
        chunks.length = 0;
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      incoming.off("error", onError);
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      resolve({ ok: true, text: whole.toString("utf8") });
    };
    const onError = (error: Error) => reject(error);
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", onError);
    incoming.once("close", () => {
      if (!incoming.complete) gone();
    });
  });
}
