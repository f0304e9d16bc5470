/** `GET /v1/averages`: every sensor's exact window figures and status, in one request for the overview. */
import { createRoute, z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "@plantlink/shared";
import { answerResponse } from "../answers/answer-response.ts";
import { answerContext, averagesSpec } from "../answers/answer-specs.ts";
import { statusSchema } from "../equipment/status.ts";
import { defineRoute, type RouteModule } from "../http/route.ts";
import { atOrNow, atQuery, edgeIdQuery, equipmentIdsQuery, selectedSensors, windowQuery } from "./params.ts";
import { WINDOWS } from "./windows.ts";

const number = (description: string) => z.number().meta({ description });
const instant = (description: string) =>
  z.string().meta({ description, example: "2026-02-15T06:29:58.123Z" });

export const sensorAverageSchema = z
  .object({
    equipmentId: z.string(),
    average: number(
      "the exact mean of the window's values, rounded half away from zero to 4 decimals: equal to " +
        "round(avg(value), 4) over the raw readings",
    ),
    count: z.number().int().meta({ description: "readings in the window" }),
    sum: number("the exact sum of the window's values"),
    min: z.number(),
    max: z.number(),
    first: instant("the window's first reading"),
    last: instant("the window's last reading"),
    status: statusSchema,
    statusReason: z.string().meta({ description: "why the status is what it is, in words" }),
    baseline: z
      .object({
        mean: z.number(),
        sd: z.number().meta({ description: "sample standard deviation" }),
        count: z.number().int(),
      })
      .nullable()
      .meta({
        description: "the seven whole UTC days before the window's first day; null without readings there",
      }),
  })
  .meta({ id: "SensorAverage" });

const averagesAnswerSchema = z
  .object({
    window: windowQuery,
    from: instant("the window's start, exclusive: now − W"),
    to: instant("the window's end, inclusive: now"),
    baselineFrom: instant("the baseline's first day, inclusive"),
    baselineTo: instant("the baseline's end, exclusive (the day the window starts in)"),
    sensors: z.array(sensorAverageSchema),
  })
  .meta({ id: "AveragesAnswer" });

export const notModified = { description: "the answer has not changed since the tag in If-None-Match" };
export const badParameter = {
  description: "a parameter is invalid; `errors` names it and the allowed values",
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
};

const getAverages = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/averages",
    tags: ["averages"],
    summary: "Every sensor's exact average, count, sum, min, max and status over a window",
    description:
      "Readings with now − W < timestamp ≤ now, for each sensor with at least one (or only the repeated " +
      "`equipmentId`s, and only those last sent by `edgeId` when given). Whole rollup buckets plus raw " +
      "readings at the window's edges, so the figures equal PostgreSQL's aggregates over the raw rows. " +
      "Without `at`, the window ends at the request's last whole second (`to`). Carries `ETag`; " +
      "`If-None-Match` answers 304; gzip-encoded, under its own `ETag`, when `Accept-Encoding` accepts gzip.",
    request: {
      query: z.object({
        window: windowQuery,
        at: atQuery,
        equipmentId: equipmentIdsQuery,
        edgeId: edgeIdQuery,
      }),
    },
    responses: {
      200: {
        description: "the window's figures, by equipment id",
        content: { "application/json": { schema: averagesAnswerSchema } },
      },
      304: notModified,
      400: badParameter,
    },
  }),
  handler: (parts) => async (c) => {
    const query = c.req.valid("query");
    const spec = averagesSpec(answerContext(parts), {
      window: query.window,
      at: atOrNow(query.at, parts.validation.now ?? Date.now),
      equipmentIds: await selectedSensors(parts.sql, query),
    });
    return answerResponse(c, parts.answers, spec, WINDOWS[query.window].maxAgeSeconds);
  },
});

export const averagesRoutes: RouteModule = [getAverages];
