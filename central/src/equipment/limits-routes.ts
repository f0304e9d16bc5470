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

const limitsBodySchema = z
  .strictObject(
    {
      warningLow: limitValue,
      warningHigh: limitValue,
      criticalLow: limitValue,
      criticalHigh: limitValue,
      target: limitValue,
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown field; the fields are ${LIMIT_FIELDS.join(", ")}`
          : undefined,
    },
  )
  .meta({
    id: "LimitsInput",
    description:
      "The sensor's new limits, replacing the old ones; a field left out or null is no limit. They must " +
      "nest: criticalLow ≤ warningLow ≤ warningHigh ≤ criticalHigh.",
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
      "Replaces all five fields. Allowed before the sensor's first reading, so limits can be set up ahead.",
    request: {
      params: equipmentIdPath,
      body: { required: true, content: { "application/json": { schema: limitsBodySchema } } },
    },
    responses: { 200: answer, 400: badParameter },
  }),
  handler: (parts) => async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const limits = {} as LimitsCenti;
    for (const field of LIMIT_FIELDS) {
      const value = body[field];
      limits[field] = value === null ? null : validatedCenti(value);
    }
    const principal = principalOf(c);
    try {
      const stored = await writeLimits(parts.sql, id, limits, {
        tokenId: principal.tokenId,
        name: principal.name,
      });
      return c.json(toJson(stored), 200);
    } catch (error) {
      if (error instanceof LimitsOrderError) {
        throw new ValidationError(`the limits do not nest: ${error.message}`, [
          { field: "body", reason: error.message },
        ]);
      }
      throw error;
    }
  },
});

export const limitsRoutes: RouteModule = [getLimits, putLimits];
