/**
 * The equipment read routes: the list of known sensors with their window figures and status, one
 * sensor's chart series and gaps, and many sensors' series in one request (the overview's sparklines).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { formatTimestamp } from "@plantlink/shared";
import type { Context } from "hono";
import { answerResponse } from "../answers/answer-response.ts";
import { answerContext, equipmentSpec, seriesSpec, sparklinesSpec } from "../answers/answer-specs.ts";
import {
  atOrNow,
  atQuery,
  edgeIdQuery,
  equipmentIdPath,
  equipmentIdsQuery,
  selectedSensors,
  storedTextQuery,
  windowQuery,
} from "../averages/params.ts";
import { badParameter, notModified } from "../averages/routes.ts";
import { WINDOWS, type WindowName } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";
import { conditionalJson } from "../http/conditional.ts";
import type { AppEnv } from "../http/context.ts";
import { NotFoundError } from "../http/problem.ts";
import { defineRoute, type RouteModule } from "../http/route.ts";
import { DEFAULT_GAP_MULTIPLE, gaps } from "./gaps.ts";
import {
  equipmentEntrySchema,
  gapsAnswerSchema,
  seriesAnswerSchema,
  sparklinesAnswerSchema,
} from "./schemas.ts";

const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});

const points = (fallback: number, max: number) =>
  z.coerce
    .number({ error: `points must be a whole number from 2 to ${max}` })
    .int({ error: `points must be a whole number from 2 to ${max}` })
    .min(2, { error: `points must be a whole number from 2 to ${max}` })
    .max(max, { error: `points must be a whole number from 2 to ${max}` })
    .default(fallback)
    .openapi({ description: `about how many buckets the chart wants (default ${fallback}, at most ${max})` });

const notFound = (id: string) =>
  new NotFoundError(
    `no readings were ever stored for equipment ${id}; GET /v1/equipment lists the known ones`,
  );

async function assertKnown(sql: Sql, id: string): Promise<void> {
  const [row] = await sql`select 1 from equipment where equipment_id = ${id}`;
  if (!row) throw notFound(id);
}

function cached(c: Context<AppEnv>, body: unknown, window: WindowName) {
  return conditionalJson(c, body, WINDOWS[window].maxAgeSeconds);
}

const listRoute = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/equipment",
    tags: ["equipment"],
    summary: "Every known sensor: first and last reading, last value, count, source, window figures, status",
    description:
      "Sensors silent for the whole window are listed too, with `window: null`. `prefix` keeps the ids " +
      "that start with it. Carries `ETag`; `If-None-Match` answers 304; gzip-encoded, under its own " +
      "`ETag`, when `Accept-Encoding` accepts gzip.",
    request: {
      query: z.object({
        window: windowQuery.default("24h"),
        at: atQuery,
        prefix: storedTextQuery("prefix")
          .max(64)
          .optional()
          .openapi({ description: "only ids starting with this" }),
      }),
    },
    responses: {
      200: json(
        "the sensors, by id",
        z
          .object({
            window: windowQuery,
            from: z.string(),
            to: z.string(),
            equipment: z.array(equipmentEntrySchema),
          })
          .meta({ id: "EquipmentAnswer" }),
      ),
      304: notModified,
      400: badParameter,
    },
  }),
  handler: (parts) => async (c) => {
    const query = c.req.valid("query");
    const spec = equipmentSpec(answerContext(parts), {
      window: query.window,
      at: atOrNow(query.at, parts.validation.now ?? Date.now),
      prefix: query.prefix,
    });
    return answerResponse(c, parts.answers, spec, WINDOWS[query.window].maxAgeSeconds);
  },
});

const seriesRoute = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/equipment/{id}/series",
    tags: ["equipment"],
    summary: "One sensor's time-bucketed average, min, max and count over a window, for a chart",
    description:
      "Bucket length from 1 min to 1 day, the shortest giving at most `points` buckets; buckets are " +
      "aligned to UTC, empty ones included (count 0, null values). The first and last bucket hold only " +
      "the readings inside the window, so the counts add up to the window's count.",
    request: {
      params: equipmentIdPath,
      query: z.object({ window: windowQuery, at: atQuery, points: points(300, 1000) }),
    },
    responses: {
      200: json("the series", seriesAnswerSchema),
      304: notModified,
      400: badParameter,
      404: { description: "no readings were ever stored for this equipment id" },
    },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const spec = seriesSpec(
      answerContext(parts),
      {
        equipmentId: id,
        window: query.window,
        at: atOrNow(query.at, parts.validation.now ?? Date.now),
        points: query.points,
      },
      () => assertKnown(parts.sql, id),
    );
    return answerResponse(c, parts.answers, spec, WINDOWS[query.window].maxAgeSeconds);
  },
});

const sparklinesRoute = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/series",
    tags: ["equipment"],
    summary: "Many sensors' series in one request (sparklines)",
    description:
      "The same buckets as the one-sensor series, for every sensor with readings in the window (or the " +
      "repeated `equipmentId`s), as one array per figure and sensor, aligned with `starts`.",
    request: {
      query: z.object({
        window: windowQuery,
        at: atQuery,
        points: points(24, 200),
        equipmentId: equipmentIdsQuery,
        edgeId: edgeIdQuery,
      }),
    },
    responses: {
      200: json("the series, by equipment id", sparklinesAnswerSchema),
      304: notModified,
      400: badParameter,
    },
  }),
  handler: (parts) => async (c) => {
    const query = c.req.valid("query");
    const spec = sparklinesSpec(answerContext(parts), {
      window: query.window,
      at: atOrNow(query.at, parts.validation.now ?? Date.now),
      points: query.points,
      equipmentIds: await selectedSensors(parts.sql, query),
    });
    return answerResponse(c, parts.answers, spec, WINDOWS[query.window].maxAgeSeconds);
  },
});

const gapsRoute = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/equipment/{id}/gaps",
    tags: ["equipment"],
    summary: "Intervals without readings, longer than a multiple of the sensor's usual interval",
    description:
      "The usual interval is the median interval between the sensor's consecutive readings in the window; " +
      "a gap is an interval between two readings longer than `multiple` times it (default " +
      `${DEFAULT_GAP_MULTIPLE}), or a silence since the last reading up to the window's end (\`to: null\`).`,
    request: {
      params: equipmentIdPath,
      query: z.object({
        window: windowQuery,
        at: atQuery,
        multiple: z.coerce
          .number({ error: "multiple must be a number from 1.5 to 1000" })
          .min(1.5, { error: "multiple must be a number from 1.5 to 1000" })
          .max(1000, { error: "multiple must be a number from 1.5 to 1000" })
          .default(DEFAULT_GAP_MULTIPLE)
          .openapi({ description: "how many usual intervals make a gap" }),
      }),
    },
    responses: {
      200: json("the gaps, oldest first", gapsAnswerSchema),
      304: notModified,
      400: badParameter,
      404: { description: "no readings were ever stored for this equipment id" },
    },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    await assertKnown(parts.sql, id);
    const answer = await gaps(parts.sql, {
      equipmentId: id,
      window: query.window,
      at: atOrNow(query.at, parts.validation.now ?? Date.now),
      multiple: query.multiple,
    });
    const body = {
      equipmentId: id,
      window: query.window,
      from: formatTimestamp(answer.bounds.from),
      to: formatTimestamp(answer.bounds.to),
      usualIntervalMs: answer.usualIntervalMs,
      thresholdMs: answer.thresholdMs,
      gaps: answer.gaps.map((g) => ({
        from: formatTimestamp(g.from),
        to: g.to === null ? null : formatTimestamp(g.to),
        ms: g.ms,
      })),
    };
    return cached(c, body, query.window);
  },
});

export const equipmentRoutes: RouteModule = [listRoute, seriesRoute, sparklinesRoute, gapsRoute];
