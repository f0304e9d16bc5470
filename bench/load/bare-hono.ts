/**
 * The ceiling: a Hono app on @hono/node-server — the stack central and the edge are built on — whose
 * handlers do no work. Whatever rate it reaches at a concurrency is the most any of our routes could
 * reach there on this machine; each target is reported as a ratio of it. Prints its port on stdout.
 * `/v1/sized?bytes=N` answers N bytes of JSON, built once: the ceiling for an answer as large as
 * central's averages, where the tiny `/v1/averages` measures the framework alone.
 */
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { listenWithBacklog } from "@plantlink/shared";
import { Hono } from "hono";

const app = new Hono();
app.post("/v1/readings", (c) => c.json({ accepted: 1 }, 202));
app.get("/v1/averages", (c) => c.json({ window: "24h", equipment: [] }));
app.get("/healthz", (c) => c.text("ok"));
const sized = new Map<number, string>();
app.get("/v1/sized", (c) => {
  const bytes = Math.max(2, Math.min(50_000_000, Number(c.req.query("bytes")) || 2));
  let body = sized.get(bytes);
  if (body === undefined) {
    body = `"${"x".repeat(bytes - 2)}"`;
    sized.set(bytes, body);
  }
  return c.body(body, 200, { "content-type": "application/json" });
});

// The same accept queue as central's and the edge's listeners, so the ceiling is the same stack.
const server = createAdaptorServer({ fetch: app.fetch }) as Server;
const port = await listenWithBacklog(server, 0, "127.0.0.1");
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
