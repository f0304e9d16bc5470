/**
 * `POST /v1/readings`: direct real-time readings, one or an array. Atomic like the edge's endpoint:
 * every reading valid → all stored, `202`; any invalid → `400` naming every bad item, nothing stored.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createReadingValidator } from "@plantlink/shared";
import { createGroupCommit } from "../../ingest/group-commit.ts";
import { sentinelsOf } from "../context.ts";
import { ValidationError } from "../problem.ts";
import { defineRoute, type RouteModule } from "../route.ts";

// Items are checked by the reading validator, not by zod here: it reports every bad item with its index and a
// reason, where a union schema would report one confusing "no union member matched".
const readingsBodySchema = z.unknown().meta({
  oneOf: [
    { $ref: "#/components/schemas/Reading" },
    { type: "array", items: { $ref: "#/components/schemas/Reading" }, minItems: 1 },
  ],
});

const readingsAnswerSchema = z
  .object({
    accepted: z.number().int().meta({ description: "readings accepted: all of them" }),
    inserted: z.number().int(),
    duplicates: z.number().int().meta({ description: "same identity and value as a stored reading" }),
    conflicts: z.number().int().meta({
      description: "same identity, different value: the stored value stays, the conflict is recorded",
    }),
    setAside: z
      .number()
      .int()
      .meta({
        description:
          "readings that are not measurements (a sentinel error value such as -9999, or outside the " +
          "sensor's valid range): kept apart, never averaged",
      }),
  })
  .meta({ id: "ReadingsAnswer" });

const postReadings = defineRoute({
  roles: ["ingest"],
  route: createRoute({
    method: "post",
    path: "/v1/readings",
    tags: ["ingest"],
    summary: "Store real-time readings, all or none",
    description:
      "A reading object or a non-empty array of them (the body may be gzip-encoded). Every reading valid: " +
      "all are stored and the answer is 202. Any reading invalid: 400 listing each bad item's index, " +
      "field and reason, and nothing is stored.",
    request: { body: { required: true, content: { "application/json": { schema: readingsBodySchema } } } },
    responses: {
      202: {
        description: "all readings stored",
        content: { "application/json": { schema: readingsAnswerSchema } },
      },
    },
  }),
  handler: (parts) => {
    // Built once per app: building the reading schema costs more than validating a request with it.
    const validator = createReadingValidator(parts.validation);
    // One per app: concurrent requests of this app share transactions (ingest/group-commit.ts).
    const groups = createGroupCommit({
      sql: parts.sql,
      source: "direct",
      sentinels: sentinelsOf(parts),
      onCommitted: (group) => parts.metrics.recordGroup(group),
    });
    return async (c) => {
      const started = performance.now();
      const body = c.req.valid("json");
      const { readings, rejections } = validator.parseReadings(body);
      if (rejections.length > 0) {
        // Atomic: every reading of the request is refused, the valid ones too.
        const refused = Array.isArray(body) ? body.length : 1;
        parts.metrics.recordIngest(
          "direct",
          { inserted: 0, duplicates: 0, conflicts: 0, setAside: 0, rejected: refused },
          (performance.now() - started) / 1000,
        );
        throw new ValidationError(
          `${rejectedItems(rejections)} of the readings ${rejectedItems(rejections) === 1 ? "is" : "are"} invalid; nothing was stored`,
          rejections,
        );
      }
      const result = await groups.submit(readings);
      parts.metrics.recordIngest("direct", { ...result, rejected: 0 }, (performance.now() - started) / 1000);
      return c.json({ accepted: readings.length, ...result }, 202);
    };
  },
});

/** Distinct bad items: one item can fail on several fields. */
function rejectedItems(rejections: readonly { index?: number | undefined }[]): number {
  return new Set(rejections.map((r) => r.index ?? -1)).size;
}

export const readingsRoutes: RouteModule = [postReadings];
