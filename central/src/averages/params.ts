/**
 * The query parameters the read routes share, as zod schemas: parsed once at the boundary, each
 * failure a 400 problem that names the allowed values (the app's validation hook words it).
 */
import { z } from "@hono/zod-openapi";
import { equipmentIdProblem, storedTextProblem } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { parseAt, WINDOW_NAMES } from "./windows.ts";

export const windowParam = z.enum(WINDOW_NAMES, {
  error: (issue) =>
    `window must be one of ${WINDOW_NAMES.join(", ")}${issue.input === undefined ? "" : `, got ${JSON.stringify(issue.input)}`}`,
});

export const windowQuery = windowParam.openapi({
  description: `readings with now − W < timestamp ≤ now; 1w = 7 × 24 h, 1m = 30 × 24 h`,
  example: "24h",
});

export const atQuery = z
  .string()
  .superRefine((text, ctx) => {
    const parsed = parseAt(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
  })
  .optional()
  .openapi({
    description:
      "the window's end (`now`), RFC 3339 with an offset, from 1970-01-01T00:00:00Z to before " +
      "2200-01-01T00:00:00Z; default: the time of the request, down to the whole second",
    example: "2026-02-15T06:30:00Z",
  });

const equipmentId = z.string().superRefine((id, ctx) => {
  const problem = equipmentIdProblem(id);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Repeatable: `?equipmentId=A&equipmentId=B` arrives as an array, a single one as a string. */
export const equipmentIdsQuery = z
  .union([equipmentId, z.array(equipmentId).max(5000)])
  .optional()
  .openapi({
    description: "only these sensors (repeat the parameter for several); default: all",
    example: "EQ-00001",
  });

/** Query text that is compared in SQL: refused when PostgreSQL cannot hold it (a 400, not a 500). */
export const storedTextQuery = (field: string) =>
  z.string().superRefine((text, ctx) => {
    const problem = storedTextProblem(field, text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const edgeIdQuery = storedTextQuery("edgeId").min(1).max(200).optional().openapi({
  description: "only sensors whose last reading came from this edge site",
  example: "plant-north",
});

/**
 * The sensors a request is about: the repeated `equipmentId`s, narrowed to those last sent by `edgeId`
 * when given; undefined means every sensor.
 */
export async function selectedSensors(
  sql: Sql,
  query: { equipmentId?: string | string[] | undefined; edgeId?: string | undefined },
): Promise<string[] | undefined> {
  const listed = query.equipmentId === undefined ? undefined : [...new Set([query.equipmentId].flat())];
  if (query.edgeId === undefined) return listed;
  const rows = await sql<{ equipment_id: string }[]>`
    select equipment_id from equipment where last_source = ${query.edgeId}
    ${listed === undefined ? sql`` : sql`and equipment_id = any(${listed}::text[])`}`;
  return rows.map((row) => row.equipment_id);
}

/**
 * Without `at`, answers are for the last whole second: every request within a second asks the same
 * question, so they share one cached answer (answers/answer-cache.ts), and the answer's `to` states
 * the instant it is exact for.
 */
export const NOW_STEP_MS = 1000;

/** The parsed `at`, or the clock's last whole second. The schema has already refused an unparsable one. */
export function atOrNow(at: string | undefined, now: () => number): number {
  if (at === undefined) return Math.floor(now() / NOW_STEP_MS) * NOW_STEP_MS;
  const parsed = parseAt(at);
  if (!parsed.ok) throw new Error(`at was validated but does not parse: ${parsed.reason}`);
  return parsed.ms;
}

export const equipmentIdPath = z.object({
  id: equipmentId.openapi({ param: { name: "id", in: "path" }, example: "EQ-00001" }),
});
