/**
 * Probes and status over HTTP: /healthz (the process answers), /readyz (it accepts readings),
 * /metrics (Prometheus), /v1/status (JSON for people and `pnpm edge status`). None of them returns
 * readings, so none needs a token; bind the HTTP port to the plant network only.
 */
import { Hono } from "hono";
import type { EdgeMetrics } from "./metrics.ts";
import type { EdgeStatus } from "./status.ts";

export interface StatusRoutesOptions {
  metrics: EdgeMetrics;
  status: () => EdgeStatus;
  /** Why the edge is not ready to accept readings, or undefined when it is. */
  notReady: () => string | undefined;
}

export function createStatusRoutes(options: StatusRoutesOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const why = options.notReady();
    return why === undefined
      ? c.json({ status: "ready" })
      : c.json({ status: "not ready", reason: why }, 503);
  });
  app.get("/metrics", async (c) => {
    const text = await options.metrics.registry.metrics();
    return c.body(text, 200, { "content-type": options.metrics.registry.contentType });
  });
  app.get("/v1/status", (c) => c.json(options.status()));
  return app;
}
