/**
 * What the failed-login limit needs to know about a request: the shared LoginThrottle, and the
 * address the request came from — the TCP peer (`@hono/node-server` puts the request on
 * `c.env.incoming`), or, behind a trusted reverse proxy (PLANTLINK_CENTRAL_TRUST_PROXY), the address
 * that proxy appended last to X-Forwarded-For. Only the last entry is the proxy's own word; the ones
 * before it are whatever the client sent, so they are never used.
 */
import type { IncomingMessage } from "node:http";
import type { LoginThrottle } from "@plantlink/shared";
import type { Context } from "hono";

export interface LoginLimit {
  throttle: LoginThrottle;
  address(c: Context): string;
}

export function createLoginLimit(throttle: LoginThrottle, trustProxy: boolean): LoginLimit {
  return {
    throttle,
    address(c) {
      if (trustProxy) {
        const forwarded = c.req.header("X-Forwarded-For")?.split(",").at(-1)?.trim();
        if (forwarded) return forwarded;
      }
      return (
        (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "unknown"
      );
    },
  };
}
