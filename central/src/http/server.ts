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

export async function listen(app: CentralApp, options: ListenOptions): Promise<Listening> {
  const tls = options.tls ? await readTls(options.tls) : undefined;
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({
      fetch: app.fetch,
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
