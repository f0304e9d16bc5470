/**
 * A read route's answer through the shared cache (answer-cache.ts) when central has one, else computed
 * for this request alone; either way sent as a conditional GET answer (ETag, 304), gzip-encoded for clients that accept it.
 */
import type { Context } from "hono";
import { conditionalAnswer, serializeAnswer } from "../http/conditional.ts";
import type { AnswerCache, AnswerSpec } from "./answer-cache.ts";

export async function answerResponse(
  c: Context,
  cache: AnswerCache | undefined,
  spec: AnswerSpec,
  maxAgeSeconds: number,
): Promise<Response> {
  const answer = cache ? await cache.answer(spec) : serializeAnswer(await spec.compute());
  return conditionalAnswer(c, answer, maxAgeSeconds);
}
