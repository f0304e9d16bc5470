/**
 * Request ids and request logs: every request gets an id (the caller's X-Request-Id when it is sane,
 * so an edge's log line and central's can be matched), a child logger carrying it, and one log line
 * when it is answered.
 */
import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { OverloadedError } from "./admission.ts";
import type { AppEnv } from "./context.ts";

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Sets a header on the answer in place. Hono's `c.header()` after the handler rebuilds the response
 * from its body stream, which turned each 600 KB averages answer into a copy, a stream and garbage
 * (a fifth of GET /v1/averages's CPU, profiled). A response with immutable headers (one passed through
 * from fetch()) is left to `c.header()`, which copies it.
 */
function setHeader(c: Context<AppEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * Overload refusals as one warning a second at most, with their count: under overload central refuses
 * thousands of requests a second by design (admission.ts), and a line each would spend the CPU the
 * refusals save and bury everything else in the log. The metrics count every one.
 */
function refusalSummary(log: Logger): () => void {
  let refused = 0;
  return () => {
    refused += 1;
    if (refused > 1) return;
    setTimeout(() => {
      log.warn({ msg: "refused requests: central is at its limit", refused, seconds: 1 });
      refused = 0;
    }, 1_000).unref();
  };
}

export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  const refusedOne = refusalSummary(log);
  return async (c, next) => {
    const given = c.req.header("X-Request-Id");
    const requestId = given && SANE_ID.test(given) ? given : randomUUID();
    const started = performance.now();
    c.set("requestId", requestId);
    c.set("log", log.child({ reqId: requestId }));
    await next();
    setHeader(c, "X-Request-Id", requestId);
    const status = c.res.status;
    if (c.error instanceof OverloadedError) return refusedOne();
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
