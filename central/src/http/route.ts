/**
 * One API route as data: its OpenAPI definition (which is also its validator), the roles it admits and
 * its handler. The app reads these to register routes, put the auth middleware in front with the right
 * roles, and document them; the auth-matrix test reads the same entries, so a route cannot be added
 * without being covered.
 */
import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "@plantlink/shared";
import type { MiddlewareHandler } from "hono";
import type { Role } from "../auth/roles.ts";
import type { AppEnv, BodyLimits, Parts } from "./context.ts";

export type CentralApp = OpenAPIHono<AppEnv>;

export interface ApiRoute {
  method: RouteConfig["method"];
  /** OpenAPI form, e.g. `/v1/equipment/{id}/series`. */
  path: string;
  /** Roles admitted besides admin (admin may call every route). */
  roles: readonly Role[];
  /** Per-route body limits, e.g. larger for CSV uploads; defaults from the configuration. */
  limits?: Partial<BodyLimits> | undefined;
  /** Registers the route; `middleware` (auth, body limits) runs before validation and the handler. */
  register(app: CentralApp, parts: Parts, middleware: MiddlewareHandler<AppEnv>[]): void;
}

/** A group of routes that belong together, e.g. everything under `/v1/backfill`. */
export type RouteModule = readonly ApiRoute[];

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** The failures every authenticated route can answer, documented once here rather than per route. */
export const authProblems = {
  401: problem("no bearer token, or an unknown or revoked one"),
  403: problem("the token's role may not call this route"),
  413: problem("the request body is larger than the limit, or a gzip body inflates more than 100x"),
  415: problem("the body's Content-Type or Content-Encoding is not accepted"),
  429: problem(
    "too many failed logins from this address (10 a minute): refused, token unchecked, until Retry-After",
  ),
  503: problem(
    "central is at its admission limit for this kind of request (overloaded), or the database cannot be reached " +
      "(database_unavailable); send again after the Retry-After header's seconds",
  ),
} as const;

export function defineRoute<R extends RouteConfig>(definition: {
  route: R;
  roles: readonly Role[];
  limits?: Partial<BodyLimits>;
  handler: (parts: Parts) => RouteHandler<R, AppEnv>;
}): ApiRoute {
  const { route, roles, limits, handler } = definition;
  return {
    method: route.method,
    path: route.path,
    roles,
    limits,
    register(app, parts, middleware) {
      const documented = {
        ...route,
        responses: { ...authProblems, ...route.responses },
        security: [{ bearer: [] }],
        description:
          `${route.description ?? ""}\n\nRoles: ${[...new Set(["admin", ...roles])].join(", ")}.`.trim(),
        middleware,
      };
      app.openapi(documented, handler(parts));
    },
  };
}
