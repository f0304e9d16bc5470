/** `GET` (viewer) and `PUT` (admin) `/v1/equipment/{id}/limits`: a sensor's bounds and target, audited. */
import { createRoute, z } from "@hono/zod-openapi";
import { formatTimestamp, numberToCenti } from "@plantlink/shared";
import { equipmentIdPath } from "../averages/params.ts";
import { badParameter } from "../averages/routes.ts";
import { principalOf } from "../http/context.ts";
import { ValidationError } from "../http/problem.ts";
import { defineRoute, type RouteModule } from "../http/route.ts";
import {
  LIMIT_FIELDS,
  LimitsOrderError,
  limitsToValues,
  readLimits,
  type SensorLimits,
  type StoredLimits,
  writeLimits,
} from "./limits.ts";
import { limitsAnswerSchema } from "./schemas.ts";
import type { LimitsCenti } from "./status.ts";

// Limits are values like readings': the same range and the same rounding to hundredths.
const limitValue = z
  .number({ error: "expected a number, or null for no limit" })
  .superRefine((value, ctx) => {
    const centi = numberToCenti(value);
    if (!centi.ok) ctx.addIssue({ code: "custom", message: centi.reason });
  })
  .nullable()
  .default(null);

const sentinelValue = z.number({ error: "expected a number" }).superRefine((value, ctx) => {
  const centi = numberToCenti(value);
  if (!centi.ok) ctx.addIssue({ code: "custom", message: centi.reason });
});

/** More would be a list of values rather than error codes; ten covers every sensor seen. */
const MAX_SENTINELS = 10;

const BODY_FIELDS = [...LIMIT_FIELDS, "sentinels", "validMin", "validMax"];

const limitsBodySchema = z
  .strictObject(
    {
      warningLow: limitValue,
      warningHigh: limitValue,
      criticalLow: limitValue,
      criticalHigh: limitValue,
      target: limitValue,
      sentinels: z
        .array(sentinelValue, { error: "expected an array of numbers" })
        .max(MAX_SENTINELS, { error: `at most ${MAX_SENTINELS} error values` })
        .default([])
        .meta({
          description:
            "The sensor's own error values, on top of PLANTLINK_SENTINEL_VALUES (default -9999): readings " +
            "with them are set aside, not averaged.",
        }),
      validMin: limitValue.meta({
        description: "The lowest value the sensor can measure; readings below it are set aside.",
      }),
      validMax: limitValue.meta({
        description: "The highest value the sensor can measure; readings above it are set aside.",
      }),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown field; the fields are ${BODY_FIELDS.join(", ")}`
          : undefined,
    },
  )
  .meta({
    id: "LimitsInput",
    description:
      "The sensor's new limits, replacing the old ones; a field left out or null is no limit. They must " +
      "nest: criticalLow ≤ warningLow ≤ warningHigh ≤ criticalHigh, and validMin ≤ validMax. Readings " +
      "equal to one of `sentinels` or outside validMin..validMax are set aside as not measurements.",
  });

/** A limit the body schema has already accepted, in hundredths. */
function validatedCenti(value: number): number {
  const centi = numberToCenti(value);
  if (!centi.ok) throw new Error(`limit ${value} passed validation but does not convert: ${centi.reason}`);
  return centi.centi;
}

function toJson(stored: StoredLimits) {
  return {
    equipmentId: stored.equipmentId,
    limits: limitsToValues(stored.limits),
    updatedAt: stored.updatedAt && formatTimestamp(stored.updatedAt.getTime()),
    updatedBy: stored.updatedBy,
    history: stored.history.map((h) => ({
      at: formatTimestamp(h.at.getTime()),
      by: h.by,
      before: limitsToValues(h.before),
      after: limitsToValues(h.after),
    })),
  };
}

const answer = {
  description: "the limits and their latest changes",
  content: { "application/json": { schema: limitsAnswerSchema } },
};

const getLimits = defineRoute({
  roles: ["viewer"],
  route: createRoute({
    method: "get",
    path: "/v1/equipment/{id}/limits",
    tags: ["equipment"],
    summary: "A sensor's warning and critical bounds, target, and who changed them when",
    description: "Every field is null for a sensor whose limits were never set.",
    request: { params: equipmentIdPath },
    responses: { 200: answer, 400: badParameter },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    return c.json(toJson(await readLimits(parts.sql, id)), 200, { "Cache-Control": "no-cache" });
  },
});

const putLimits = defineRoute({
  roles: ["admin"],
  route: createRoute({
    method: "put",
    path: "/v1/equipment/{id}/limits",
    tags: ["equipment"],
    summary: "Set a sensor's limits (admin); the change is audited with who and when",
    description:
      "Replaces all the fields (bounds, target, sentinels, valid range). Allowed before the sensor's first " +
      "reading, so limits can be set up ahead. Sentinels and the valid range apply to readings arriving " +
      "from then on; readings already stored stay.",
    request: {
      params: equipmentIdPath,
      body: { required: true, content: { "application/json": { schema: limitsBodySchema } } },
    },
    responses: { 200: answer, 400: badParameter },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const bounds = {} as LimitsCenti;
    for (const field of LIMIT_FIELDS) {
      const value = body[field];
      bounds[field] = value === null ? null : validatedCenti(value);
    }
    const limits: SensorLimits = {
      ...bounds,
      sentinels: [...new Set(body.sentinels.map(validatedCenti))],
      validMin: body.validMin === null ? null : validatedCenti(body.validMin),
      validMax: body.validMax === null ? null : validatedCenti(body.validMax),
    };
    const principal = principalOf(c);
    try {
      const stored = await writeLimits(parts.sql, id, limits, {
        tokenId: principal.tokenId,
        name: principal.name,
      });
      return c.json(toJson(stored), 200);
    } catch (error) {
      if (error instanceof LimitsOrderError) {
        throw new ValidationError(`the limits are out of order: ${error.message}`, [
          { field: "body", reason: error.message },
        ]);
      }
      throw error;
    }
  },
});

export const limitsRoutes: RouteModule = [getLimits, putLimits];
