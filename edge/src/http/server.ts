/**
 * The HTTP listener for the receiver and the status routes: plain HTTP, or HTTPS when the edge has a
 * certificate. `close()` stops accepting, lets requests in flight get their answer, then ends.
 */
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createAdaptorServer } from "@hono/node-server";
import { listenWithBacklog } from "@plantlink/shared";
import type { Hono } from "hono";

export interface HttpListener {
  port: number;
  close(): Promise<void>;
}

export interface HttpListenerOptions {
  app: Hono;
  port: number;
  host: string | undefined;
  tls: { cert: Buffer; key: Buffer } | undefined;
}

export async function listenHttp(options: HttpListenerOptions): Promise<HttpListener> {
  const server = createAdaptorServer({
    fetch: options.app.fetch,
    ...(options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {}),
  }) as Server;
  return {
    port: await listenWithBacklog(server, options.port, options.host),
    close: () =>
      new Promise<void>((done) => {
        // Idle keep-alive sockets would hold close() open; busy ones finish their answer first.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const hard = setTimeout(() => server.closeAllConnections(), 3000);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(hard);
          done();
        });
        server.closeIdleConnections();
      }),
  };
}
