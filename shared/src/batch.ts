/** The edge → central wire format: one batch of buffered readings and central's answer to it. */
import { z } from "zod";
import { storedTextProblem } from "./stored-text.ts";

const rejectionSchema = z
  .object({
    index: z.number().int().optional(),
    line: z.number().int().optional(),
    field: z.string(),
    reason: z.string(),
  })
  .meta({ id: "Rejection" });

/** An id of 1–128 characters that central stores as it is. */
const storedText = (field: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .superRefine((text, ctx) => {
      const problem = storedTextProblem(field, text);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/**
 * Readings are typed loosely here on purpose: central validates each item with the reading rules
 * and answers per item, so one bad reading never makes the whole batch a 4xx the edge would retry.
 */
export const edgeBatchSchema = z
  .object({
    edgeId: storedText("edgeId"),
    batchId: storedText("batchId"),
    readings: z.array(z.unknown()).max(100_000).meta({
      description: "readings in the wire format of Reading; each is validated and answered on its own",
    }),
    /** Readings still buffered at the edge when the batch was sent. */
    backlog: z.number().int().nonnegative().optional(),
    /** Age of the oldest unsynced reading at the edge, in milliseconds. */
    oldestUnsyncedMs: z.number().int().nonnegative().optional(),
  })
  .meta({ id: "EdgeBatch" });

export type EdgeBatch = z.infer<typeof edgeBatchSchema>;

export const ingestAnswerSchema = z
  .object({
    received: z.number().int(),
    inserted: z.number().int(),
    duplicates: z.number().int(),
    conflicts: z.number().int(),
    /**
     * Readings central set aside as not measurements (a sentinel error value, or outside the sensor's
     * valid range): kept apart from the averages, not lost. Absent from answers of older centrals.
     */
    setAside: z.number().int().default(0),
    rejected: z.number().int(),
    errors: z.array(rejectionSchema),
  })
  .meta({ id: "IngestAnswer" });

export type IngestAnswer = z.infer<typeof ingestAnswerSchema>;

export { rejectionSchema };
