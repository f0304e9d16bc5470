/**
 * Every /v1 route × every kind of caller, generated from the route table: a route added to the table is
 * covered here without anyone writing a test for it. Allowed callers must get past auth (any answer but
 * 401/403; with the empty body sent here, usually a 400 from validation).
 */
import { PROBLEM_CONTENT_TYPE } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { ROLES, roleAllows } from "../../src/auth/roles.ts";
import { apiRoutes } from "../../src/http/routes.ts";
import { bearer, startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const tokens = Object.fromEntries(
  await Promise.all(ROLES.map(async (role) => [role, await central.tokenFor(role)] as const)),
);
const revokedToken = await central.tokenFor("admin");
const [revokedRecord] = (await central.parts.tokens.list()).slice(-1);
await central.parts.tokens.revoke(revokedRecord!.tokenId);

function call(route: (typeof apiRoutes)[number], headers: Record<string, string>) {
  // Path parameters get a plausible value; the body is empty JSON. Auth must decide before either matters.
  const path = route.path.replace(/\{[^}]+\}/g, "EQ-1");
  const hasBody = route.method === "post" || route.method === "put" || route.method === "patch";
  return fetch(`${central.url}${path}`, {
    method: route.method.toUpperCase(),
    headers: hasBody ? { ...headers, "Content-Type": "application/json" } : headers,
    body: hasBody ? "{}" : undefined,
  });
}

async function expectDenied(response: Response, status: 401 | 403) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
  const problem = (await response.json()) as { status: number; detail: string };
  expect(problem.status).toBe(status);
  expect(problem.detail.length).toBeGreaterThan(20);
  if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

describe("the route table", () => {
  it("has routes, every one under /v1 and admitting at least one role", () => {
    expect(apiRoutes.length).toBeGreaterThanOrEqual(2);
    for (const route of apiRoutes) {
      expect(route.path).toMatch(/^\/v1\//);
      expect(route.roles.length).toBeGreaterThan(0);
    }
  });
});

describe.each(apiRoutes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))(
  "%s",
  (_, route) => {
    it("answers 401 without a token", async () => {
      await expectDenied(await call(route, {}), 401);
    });

    it("answers 401 with an unknown token", async () => {
      await expectDenied(await call(route, bearer(`plt_${"x".repeat(43)}`)), 401);
    });

    it("answers 401 with a revoked token, even an admin's", async () => {
      await expectDenied(await call(route, bearer(revokedToken)), 401);
    });

    it("answers 401 for a malformed Authorization header", async () => {
      await expectDenied(await call(route, { Authorization: `Basic ${tokens.admin}` }), 401);
    });

    it.each(ROLES)("lets the %s role through only if the route admits it", async (role) => {
      const response = await call(route, bearer(tokens[role]!));
      if (roleAllows(role, route.roles)) {
        expect([401, 403]).not.toContain(response.status);
      } else {
        await expectDenied(response, 403);
      }
    });
  },
);
