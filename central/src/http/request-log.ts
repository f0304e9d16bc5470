/**
 * Request ids and request logs: every request gets an id (the caller's X-Request-Id when it is sane,
 * so an edge's log line and central's can be matched), a child logger carrying it, and one log line
 * when it is answered.
 */
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./context.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header("X-Request-Id");
    const requestId = given && SANE_ID.test(given) ? given : randomUUID();
    const started = performance.now();
    c.set("requestId", requestId);
    c.set("log", log.child({ reqId: requestId }));
    await next();
    c.header("X-Request-Id", requestId);
    const status = c.res.status;
    const fields = {
      msg: "request",
      reqId: requestId,
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      tokenId: c.get("principal")?.tokenId,
    };
    // 5xx means central failed and a person should look; 4xx is the caller's business; probes and
    // scrapes arrive every few seconds and would drown everything else at info.
    if (status >= 500) log.error(fields);
    else if (QUIET_PATHS.has(c.req.path) && status < 400) log.debug(fields);
    else log.info(fields);
  };
}
