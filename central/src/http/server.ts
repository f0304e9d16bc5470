/**
 * Serving the app over HTTP, or HTTPS when given a certificate and key, with a close() that stops
 * accepting, lets requests in flight finish, and resolves when the socket is closed.
 */
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { CentralApp } from "./route.ts";

export interface Listening {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  /** How long close() waits for requests in flight before cutting their connections. */
  drainMs?: number;
  /** Called for every request as it arrives (a cluster worker counts them per process). */
  onRequest?: () => void;
}

async function readTls(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (file: string, variable: string) =>
    readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`${variable}: cannot read ${file} (${error.code ?? error.message})`);
    });
  const [cert, key] = await Promise.all([
    read(tls.certFile, "PLANTLINK_TLS_CERT"),
    read(tls.keyFile, "PLANTLINK_TLS_KEY"),
  ]);
  return { cert, key };
}

/** One year, the figure browsers' preload lists ask for; no `includeSubDomains`: other hosts are not ours. */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/**
 * Every answer over HTTPS tells the browser to use HTTPS only for this host from now on, so a later
 * `http://` link or a network that strips TLS cannot send the session cookie or a token in clear. Set
 * here, where the listener is known to be TLS, not from the request's URL, which a client can write.
 */
function withStrictTransport(fetch: CentralApp["fetch"]): CentralApp["fetch"] {
  return async (...args) => {
    const response = await fetch(...args);
    try {
      response.headers.set("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
      return response;
    } catch {
      // A response with immutable headers (Response.redirect, a fetched one): copy it to add the header.
      const copy = new Response(response.body, response);
      copy.headers.set("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
      return copy;
    }
  };
}

export async function listen(app: CentralApp, options: ListenOptions): Promise<Listening> {
  const tls = options.tls ? await readTls(options.tls) : undefined;
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({
      fetch: tls ? withStrictTransport(app.fetch) : app.fetch,
      hostname: options.host,
      port: options.port,
      // The adapter's lightweight Request/Response: a response built from bytes is written as they
      // are. With the global undici Response every 600 KB answer was copied into it and read back
      // through a stream (profiled: a tenth of GET /v1/averages's CPU). They are subclasses of the
      // global ones and turn into them when a part asks for more than status, headers and bytes.
      overrideGlobalObjects: true,
      // No wall-clock limit on receiving a request (Node's default is 5 minutes, answered 408): a CSV
      // backfill streams for as long as the database takes to store it. Headers still have 60 s.
      serverOptions: { requestTimeout: 0, ...tls },
      ...(tls ? { createServer: createHttpsServer } : {}),
    }) as Server;
    created.once("listening", () => resolve(created));
    created.once("error", reject);
  });
  if (options.onRequest) server.on("request", options.onRequest);
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `${tls ? "https" : "http"}://${shownHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const cutoff = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 10_000);
        server.close((error) => {
          clearTimeout(cutoff);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
