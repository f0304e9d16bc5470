/**
 * `POST /v1/edge/batches`: an edge's batch of buffered readings. Idempotent per (edgeId, batchId): a
 * retry gets the first answer and changes nothing. Readings central refuses (e.g. beyond the clock skew)
 * are answered per item inside the 2xx, so the edge quarantines them instead of retrying forever.
 */
import { createRoute } from "@hono/zod-openapi";
import {
  createReadingValidator,
  edgeBatchSchema,
  ingestAnswerSchema,
  PROBLEM_CONTENT_TYPE,
  problemSchema,
} from "@plantlink/shared";
import { ingestEdgeBatch } from "../../ingest/edge-batch.ts";
import { principalOf, sentinelsOf } from "../context.ts";
import { ForbiddenError } from "../problem.ts";
import { defineRoute, type RouteModule } from "../route.ts";

// The shared schema validates; this copy only fixes how `readings` is documented (a reference to the
// Reading component; each item is validated by the reading rules, not by the batch schema).
const batchBodySchema = edgeBatchSchema.extend({
  readings: edgeBatchSchema.shape.readings.meta({ items: { $ref: "#/components/schemas/Reading" } }),
});

const postBatch = defineRoute({
  roles: ["edge"],
  route: createRoute({
    method: "post",
    path: "/v1/edge/batches",
    tags: ["ingest"],
    summary: "Store an edge's batch of readings (idempotent per edgeId and batchId)",
    description:
      "The body may be gzip-encoded (`Content-Encoding: gzip`). An edge token may only send batches for " +
      "the edge id it is bound to. Sending the same (edgeId, batchId) again answers the first answer " +
      "and stores nothing. Readings that fail validation are listed in `errors` (by index), not refused " +
      "with a 4xx.",
    request: { body: { required: true, content: { "application/json": { schema: batchBodySchema } } } },
    responses: {
      200: {
        description: "the batch is stored (or was already); counts and per-reading rejections",
        content: { "application/json": { schema: ingestAnswerSchema } },
      },
      400: {
        description:
          "the body is not a batch: not JSON, or edgeId / batchId missing, longer than 128 characters or " +
          "holding a NUL character or an unpaired UTF-16 surrogate; `errors` names the field",
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
      },
    },
  }),
  handler: (parts) => {
    // Built once per app: building the reading schema costs more than validating a batch with it.
    const validator = createReadingValidator(parts.validation);
    return async (c) => {
      const batch = c.req.valid("json");
      const principal = principalOf(c);
      if (principal.role === "edge" && principal.edgeId !== batch.edgeId) {
        throw new ForbiddenError(
          `this token is bound to edge "${principal.edgeId}" and may not send batches for edge "${batch.edgeId}"`,
        );
      }
      const started = performance.now();
      // An empty batch is odd but harmless; the validator would call it a rejection without an index.
      const { readings, rejections } =
        batch.readings.length === 0
          ? { readings: [], rejections: [] }
          : validator.parseReadings(batch.readings);
      const { answer, replayed } = await ingestEdgeBatch(parts.sql, batch.edgeId, batch.batchId, readings, {
        received: batch.readings.length,
        // Items, not rejections: one reading can fail on several fields.
        rejected: batch.readings.length - readings.length,
        errors: rejections,
        backlog: batch.backlog,
        oldestUnsyncedMs: batch.oldestUnsyncedMs,
        sentinels: sentinelsOf(parts),
      });
      // A replayed answer was counted the first time.
      if (!replayed) parts.metrics.recordIngest("edge", answer, (performance.now() - started) / 1000);
      c.get("log").info({
        msg: replayed ? "edge batch replayed" : "edge batch stored",
        edgeId: batch.edgeId,
        batchId: batch.batchId,
        received: answer.received,
        inserted: answer.inserted,
        duplicates: answer.duplicates,
        conflicts: answer.conflicts,
        setAside: answer.setAside,
        rejected: answer.rejected,
      });
      return c.json(answer, 200);
    };
  },
});

export const edgeBatchRoutes: RouteModule = [postBatch];
