/**
 * The ceiling: a Hono app on @hono/node-server — the stack central and the edge are built on — whose
 * handlers do no work. Whatever rate it reaches at a concurrency is the most any of our routes could
 * reach there on this machine; each target is reported as a ratio of it. Prints its port on stdout.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/v1/readings", (c) => c.json({ accepted: 1 }, 202));
app.get("/v1/averages", (c) => c.json({ window: "24h", equipment: [] }));
app.get("/healthz", (c) => c.text("ok"));

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
