/**
 * The auth middleware: finds the bearer token's principal (or, for the dashboard's pages, the session
 * cookie's: dashboard/session.ts) and checks its role against the roles the route table gives for the
 * route. It runs before body parsing and validation, so an anonymous caller learns nothing about a
 * route but "401".
 */
import type { MiddlewareHandler } from "hono";
import type { Sessions } from "../dashboard/session.ts";
import type { AppEnv } from "../http/context.ts";
import { ForbiddenError, UnauthorizedError } from "../http/problem.ts";
import { type Role, roleAllows } from "./roles.ts";
import type { Principal, TokenStore } from "./tokens.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

const withArticle = (word: string) => `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;

export function requireRole(
  allowed: readonly Role[],
  tokens: TokenStore,
  sessions?: Sessions,
): MiddlewareHandler<AppEnv> {
  const needed = ["admin", ...allowed.filter((r) => r !== "admin")].join(" or ");
  return async (c, next) => {
    const header = c.req.header("Authorization");
    // Without the header, the dashboard's session cookie is the credential; sessions.authenticate also
    // refuses a state-changing request that does not come from the dashboard's own origin (CSRF).
    const session = header === undefined ? await sessions?.authenticate(c) : undefined;
    if (header === undefined && !session) {
      throw new UnauthorizedError("this route needs a token: send the header Authorization: Bearer <token>");
    }
    const principal = session ?? (await bearerPrincipal(header ?? "", tokens));
    if (!roleAllows(principal.role, allowed)) {
      throw new ForbiddenError(
        `${withArticle(principal.role)} token may not call ${c.req.method} ${c.req.routePath}; it needs ${withArticle(needed)} token`,
      );
    }
    c.set("principal", principal);
    c.get("log").debug({ msg: "authenticated", tokenId: principal.tokenId, role: principal.role });
    await next();
  };
}

async function bearerPrincipal(header: string, tokens: TokenStore): Promise<Principal> {
  const match = BEARER.exec(header);
  if (!match?.[1]) {
    throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  }
  const principal = await tokens.authenticate(match[1]);
  if (!principal) {
    throw new UnauthorizedError("the token is unknown or revoked; ask an admin for a new one");
  }
  return principal;
}
