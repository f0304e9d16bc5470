/** `GET /v1/edges`: every edge site, its last sync, the backlog it last reported, readings delivered. */
import { createRoute, z } from "@hono/zod-openapi";
import { defineRoute, type RouteModule } from "../http/route.ts";
import { listEdges } from "./edges.ts";

const edgeSchema = z
  .object({
    edgeId: z.string(),
    lastSyncAt: z.string().meta({ description: "when central last stored a batch from this edge (UTC)" }),
    sinceLastSyncMs: z.number().int().meta({ description: "milliseconds from lastSyncAt to this answer" }),
    backlog: z
      .number()
      .int()
      .nullable()
      .meta({ description: "readings the edge still held unsynced when it sent its last batch" }),
    oldestUnsyncedMs: z
      .number()
      .int()
      .nullable()
      .meta({ description: "age of the edge's oldest unsynced reading when it sent its last batch, in ms" }),
    oldestUnsyncedAt: z.string().nullable().meta({
      description: "when the edge received that oldest unsynced reading: lastSyncAt − oldestUnsyncedMs",
    }),
    readingsToday: z.number().int().meta({ description: "readings from this edge stored since 00:00 UTC" }),
    readingsTotal: z.number().int().meta({ description: "readings from this edge stored, ever" }),
  })
  .meta({ id: "Edge" });

const edgesAnswerSchema = z.object({ edges: z.array(edgeSchema) }).meta({ id: "EdgesAnswer" });

const getEdges = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/edges",
    tags: ["edges"],
    summary: "Edge sites: last sync, reported backlog, readings delivered",
    description:
      "One entry per edge that has sent at least one batch. Backlog and oldest age are as the edge " +
      "reported them with its last batch; a large `sinceLastSyncMs` means the edge has not reached " +
      "central since, and its real backlog has grown. Counts are readings stored (a resent batch " +
      "counts once); `readingsToday` is per UTC day.",
    responses: {
      200: {
        description: "the edges, by id",
        content: { "application/json": { schema: edgesAnswerSchema } },
      },
    },
  }),
  handler: (parts) => async (c) => {
    const now = Date.now();
    const edges = await listEdges(parts.sql);
    return c.json(
      {
        edges: edges.map((e) => ({
          edgeId: e.edgeId,
          lastSyncAt: e.lastSyncAt.toISOString(),
          sinceLastSyncMs: Math.max(0, now - e.lastSyncAt.getTime()),
          backlog: e.backlog,
          oldestUnsyncedMs: e.oldestUnsyncedMs,
          oldestUnsyncedAt:
            e.oldestUnsyncedMs === null
              ? null
              : new Date(e.lastSyncAt.getTime() - e.oldestUnsyncedMs).toISOString(),
          readingsToday: e.readingsToday,
          readingsTotal: e.readingsTotal,
        })),
      },
      200,
    );
  },
});

export const edgesRoutes: RouteModule = [getEdges];
