/**
 * The HTTP listener for the receiver and the status routes: plain HTTP, or HTTPS when the edge has a
 * certificate. `close()` stops accepting, lets requests in flight get their answer, then ends.
 */
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
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

type NodeServer = ReturnType<typeof serve> & {
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
};

export function listenHttp(options: HttpListenerOptions): Promise<HttpListener> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: options.app.fetch,
        port: options.port,
        ...(options.host === undefined ? {} : { hostname: options.host }),
        ...(options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {}),
      },
      (info: AddressInfo) => {
        server.off("error", reject);
        resolve({
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              const s = server as NodeServer;
              // Idle keep-alive sockets would hold close() open; busy ones finish their answer first.
              const idle = setInterval(() => s.closeIdleConnections?.(), 50);
              const hard = setTimeout(() => s.closeAllConnections?.(), 3000);
              server.close(() => {
                clearInterval(idle);
                clearTimeout(hard);
                done();
              });
              s.closeIdleConnections?.();
            }),
        });
      },
    ) as NodeServer;
    server.once("error", reject);
  });
}
