/**
 * Serving the app over HTTP, or HTTPS when given a certificate and key, with a close() that stops
 * accepting, lets requests in flight finish, and resolves when the socket is closed.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { listenWithBacklog } from "@plantlink/shared";
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
  timeouts?: Partial<ConnectionTimeouts> | undefined;
}

/** How long a client may keep a connection without making progress (docs/operations.md, "Timeouts"). */
export interface ConnectionTimeouts {
  /** From the connection's first byte to the end of the request's headers (slowloris). */
  headersMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
  /**
   * A connection on which central waits for the client — the rest of a request body, the client to
   * read the answer, the first request — with no byte moving. Never counted while central itself is
   * busy or holds the body back (a CSV backfill waiting for the database), so an upload may stream
   * for hours as long as it keeps moving.
   */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { headersMs: 15_000, keepAliveMs: 5_000, idleMs: 30_000 };

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
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createAdaptorServer({
    fetch: tls ? withStrictTransport(app.fetch) : app.fetch,
    // The adapter's lightweight Request/Response: a response built from bytes is written as they
    // are. With the global undici Response every 600 KB answer was copied into it and read back
    // through a stream (profiled: a tenth of GET /v1/averages's CPU). They are subclasses of the
    // global ones and turn into them when a part asks for more than status, headers and bytes.
    overrideGlobalObjects: true,
    // No wall-clock limit on receiving a request (Node's default is 5 minutes, answered 408): a CSV
    // backfill streams for as long as the database takes to store it; a stalled one is cut by the
    // idle watch below. headersTimeout must be given: Node defaults it to min(60 s, requestTimeout),
    // so requestTimeout 0 alone disables it and a client dribbling headers holds a socket forever.
    // Node checks both every connectionsCheckingInterval (30 s by default), hence the shorter one.
    serverOptions: {
      requestTimeout: 0,
      headersTimeout: timeouts.headersMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, timeouts.headersMs / 4)),
      ...tls,
    },
    ...(tls ? { createServer: createHttpsServer } : {}),
  }) as Server;
  const port = await listenWithBacklog(server, options.port, options.host);
  if (options.onRequest) server.on("request", options.onRequest);
  watchIdleConnections(server, timeouts.idleMs);
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

/**
 * Closes connections that stall on the client's side for `idleMs`: Node's socket timeout fires after
 * that long without a byte read or written, and this decides whose fault the silence is. Waiting for
 * the client — no request yet, the answer sent, a body being read that does not come, an answer the
 * client does not take — closes the connection. Central busy with the request, or holding the body
 * back while the database catches up, is not the client's fault: the watch starts again.
 */
function watchIdleConnections(server: Server, idleMs: number): void {
  const current = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => current.set(req.socket, { req, res }));
  server.setTimeout(idleMs);
  server.on("timeout", (socket: Socket) => {
    const exchange = current.get(socket);
    const waitingForClient =
      !exchange ||
      exchange.res.writableFinished ||
      (!exchange.req.complete && exchange.req.readableFlowing === true) ||
      exchange.res.writableNeedDrain;
    if (waitingForClient) socket.destroy();
    else socket.setTimeout(idleMs);
  });
}
