/**
 * The address a request came from, the key of the failed-login throttle: the TCP peer of the Node
 * server (`@hono/node-server` puts the request on `c.env.incoming`). Behind a reverse proxy this is
 * the proxy's address (docs/operations.md says what that means for the throttle).
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

export function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "unknown";
}
