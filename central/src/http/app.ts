/**
 * Central's HTTP app: request ids and logs, the one error handler, probes, the OpenAPI document, and
 * every route of the route table behind the auth and body-limit middleware the table asks for.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { LoginThrottle, readingWireSchema } from "@plantlink/shared";
import { createLoginLimit } from "../auth/login-limit.ts";
import { requireRole } from "../auth/require-role.ts";
import { registerDashboard } from "../dashboard/dashboard.ts";
import { admission, DEFAULT_ADMISSION } from "./admission.ts";
import { bodyLimits } from "./body.ts";
import type { AppEnv, Parts } from "./context.ts";
import { registerDocs } from "./docs.ts";
import {
  DatabaseUnavailableError,
  internalError,
  issuesToRejections,
  NotFoundError,
  problemResponse,
  toProblemError,
  ValidationError,
} from "./problem.ts";
import { requestLog } from "./request-log.ts";
import type { ApiRoute, CentralApp } from "./route.ts";
import { apiRoutes } from "./routes.ts";
import { registerStatusRoutes } from "./status.ts";

const TARGETS: Record<string, string> = {
  json: "request body",
  query: "query string",
  param: "path",
  header: "headers",
};

/** Builds the app. `routes` defaults to the route table; tests may pass extra routes. */
export function createApp(parts: Parts, routes: readonly ApiRoute[] = apiRoutes): CentralApp {
  const app = new OpenAPIHono<AppEnv>({
    // Schema failures of any route become the same problem answer as every other validation error.
    defaultHook: (result) => {
      if (result.success) return;
      const target = TARGETS[result.target] ?? result.target;
      const errors = issuesToRejections(result.error, result.target === "json" ? "body" : result.target);
      const shown = errors.slice(0, 3).map((e) => `${e.field}: ${e.reason}`);
      if (errors.length > 3) shown.push(`and ${errors.length - 3} more in errors`);
      throw new ValidationError(`the ${target} is invalid: ${shown.join("; ")}`, errors);
    },
  });

  // One count per app for the API and the dashboard's sign-in: guessing on one blocks both.
  const logins = createLoginLimit(parts.loginThrottle ?? new LoginThrottle(), parts.trustProxy ?? false);
  app.use("*", requestLog(parts.log));
  // Hono hands only Error instances to onError; anything else thrown (a string, a plain object) would
  // reach the Node adapter, which answers text/plain with its message. Wrapped, it gets the 500 problem.
  app.use("*", async (_c, next) => {
    try {
      await next();
    } catch (thrown) {
      throw thrown instanceof Error
        ? thrown
        : new Error("a value that is not an Error was thrown", { cause: thrown });
    }
  });
  // Before auth and body parsing: overload is refused before any work is spent on the request.
  app.use("*", admission(parts.admission ?? DEFAULT_ADMISSION, parts.metrics.registry));
  app.onError((error, c) => {
    const problem = toProblemError(error);
    if (problem instanceof DatabaseUnavailableError) {
      (c.get("log") ?? parts.log).warn({ msg: "database unavailable", reason: (error as Error).message });
    }
    if (problem) return problemResponse(c, problem);
    (c.get("log") ?? parts.log).error({ msg: "request failed", err: error });
    return problemResponse(c, internalError());
  });
  app.notFound((c) =>
    problemResponse(
      c,
      new NotFoundError(`there is no route ${c.req.method} ${c.req.path}; the API is listed at /docs`),
    ),
  );

  registerStatusRoutes(app, parts);
  registerDocs(app);
  // Referenced by $ref from routes whose bodies are validated item by item (not by a zod schema).
  // register() needs the `.openapi()` method @hono/zod-openapi adds to schemas made after it loads;
  // the shared schema may predate that, and `.meta({})` makes a copy that has it.
  app.openAPIRegistry.register("Reading", readingWireSchema.meta({}));

  // The dashboard at `/`: sign-in, pages and their assets (dashboard/), when there are sessions to sign in to.
  if (parts.sessions) registerDashboard(app, { tokens: parts.tokens, sessions: parts.sessions, logins });

  for (const route of routes) {
    route.register(app, parts, [
      requireRole(route.roles, parts.tokens, logins, parts.sessions),
      bodyLimits({ ...parts.limits, ...route.limits }),
    ]);
  }
  return app;
}
