/**
 * The HTTP listener for the receiver and the status routes: plain HTTP, or HTTPS when the edge has a
 * certificate. `close()` stops accepting, lets requests in flight get their answer, then ends.
 */
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { LISTEN_BACKLOG } from "@plantlink/shared";
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

export function listenHttp(options: HttpListenerOptions): Promise<HttpListener> {
  return new Promise((resolve, reject) => {
    const server = createAdaptorServer({
      fetch: options.app.fetch,
      ...(options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {}),
    }) as Server;
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
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
      });
    });
  });
}
