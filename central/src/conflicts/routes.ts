/** `GET /v1/equipment/{id}/conflicts`: the sensor page's "recent conflicts". */
import { createRoute, z } from "@hono/zod-openapi";
import { formatTimestamp } from "@plantlink/shared";
import { equipmentIdPath } from "../averages/params.ts";
import { conditionalJson } from "../http/conditional.ts";
import { defineRoute, type RouteModule } from "../http/route.ts";
import { recentConflicts } from "./conflicts.ts";

const instant = z.string().meta({ example: "2026-02-15T06:29:58.123Z" });

export const conflictsAnswerSchema = z
  .object({
    equipmentId: z.string(),
    total: z.number().int().meta({ description: "conflicts ever recorded for this sensor" }),
    conflicts: z
      .array(
        z.object({
          timestamp: instant.meta({ description: "the reading's instant" }),
          storedValue: z.number().meta({ description: "the value kept: the first one stored" }),
          rejectedValue: z.number().meta({ description: "the different value sent later, refused" }),
          source: z
            .string()
            .meta({ description: "who sent the refused value: edge id, `direct` or upload id" }),
          at: instant.meta({ description: "when it was refused" }),
        }),
      )
      .meta({ description: "newest first" }),
  })
  .meta({ id: "ConflictsAnswer" });

const getConflicts = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/equipment/{id}/conflicts",
    tags: ["equipment"],
    summary: "A sensor's recent conflicts: same instant re-sent with a different value",
    description:
      "The stored value always stays (the first one); each refused value is listed with who sent it and " +
      "when. Carries `ETag`; `If-None-Match` answers 304; gzip-encoded, under its own `ETag`, when " +
      "`Accept-Encoding` accepts gzip.",
    request: {
      params: equipmentIdPath,
      query: z.object({
        limit: z.coerce
          .number({ error: "limit must be a whole number from 1 to 1000" })
          .int({ error: "limit must be a whole number from 1 to 1000" })
          .min(1, { error: "limit must be a whole number from 1 to 1000" })
          .max(1000, { error: "limit must be a whole number from 1 to 1000" })
          .default(20),
      }),
    },
    responses: {
      200: {
        description: "the conflicts, newest first",
        content: { "application/json": { schema: conflictsAnswerSchema } },
      },
      304: { description: "the answer has not changed since the tag in If-None-Match" },
    },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const found = await recentConflicts(parts.sql, id, limit);
    const body = {
      equipmentId: id,
      total: found.total,
      conflicts: found.conflicts.map((conflict) => ({
        ...conflict,
        timestamp: formatTimestamp(conflict.timestamp),
        at: formatTimestamp(conflict.at),
      })),
    };
    return conditionalJson(c, body, 15);
  },
});

export const conflictsRoutes: RouteModule = [getConflicts];
