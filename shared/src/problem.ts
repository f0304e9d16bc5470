/** RFC 9457 problem details: the one shape every error answer of plantlink takes. */
import { z } from "zod";
import { rejectionSchema } from "./batch.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const problemSchema = z
  .object({
    type: z.string().default("about:blank"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(rejectionSchema).optional(),
  })
  .meta({ id: "Problem" });

export type Problem = z.infer<typeof problemSchema>;
