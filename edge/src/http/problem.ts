/** RFC 9457 problem responses: the one shape every error answer of the edge's HTTP side takes. */
import { PROBLEM_CONTENT_TYPE, type Problem, type Rejection } from "@plantlink/shared";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  detail: string,
  extra: { errors?: Rejection[]; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = {
    type: "about:blank",
    title,
    status,
    detail,
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  return c.body(JSON.stringify(body), status, { "content-type": PROBLEM_CONTENT_TYPE, ...extra.headers });
}
