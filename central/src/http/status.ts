/**
 * Probes and metrics: public, outside `/v1`, and cheap. `/healthz` says the process answers (restart
 * it if not); `/readyz` says it can do its job — database reachable, migrations applied — so a load
 * balancer sends it no traffic until then.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Parts } from "./context.ts";
import type { CentralApp } from "./route.ts";

const healthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

const readinessSchema = z
  .object({
    status: z.enum(["ready", "not ready"]),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
  })
  .meta({ id: "Readiness" });

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["status"],
  summary: "Liveness: the process answers",
  responses: { 200: { description: "alive", content: { "application/json": { schema: healthSchema } } } },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["status"],
  summary: "Readiness: the database is reachable and its migrations are applied",
  responses: {
    200: { description: "ready", content: { "application/json": { schema: readinessSchema } } },
    503: {
      description: "not ready; `checks` says why",
      content: { "application/json": { schema: readinessSchema } },
    },
  },
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["status"],
  summary: "Prometheus metrics",
  responses: {
    200: {
      description: "metrics in the Prometheus text format",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

export function registerStatusRoutes(app: CentralApp, parts: Parts): void {
  app.openapi(healthz, (c) => c.json({ status: "ok" as const }, 200));

  app.openapi(readyz, async (c) => {
    const readiness = await parts.readiness();
    return readiness.ok
      ? c.json({ status: "ready" as const, checks: readiness.checks }, 200)
      : c.json({ status: "not ready" as const, checks: readiness.checks }, 503);
  });

  app.openapi(metrics, async (c) => {
    const { registry } = parts.metrics;
    const text = await (parts.metricsText ?? (() => registry.metrics()))();
    return c.text(text, 200, { "Content-Type": registry.contentType });
  });
}
