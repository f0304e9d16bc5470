/**
 * The auth middleware: finds the bearer token's principal (or, for the dashboard's pages, the session
 * cookie's: dashboard/session.ts) and checks its role against the roles the route table gives for the
 * route. It runs before body parsing and validation, so an anonymous caller learns nothing about a
 * route but "401".
 */
import { retryAfterSeconds } from "@plantlink/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { Sessions } from "../dashboard/session.ts";
import type { AppEnv } from "../http/context.ts";
import { ForbiddenError, TooManyFailedLoginsError, UnauthorizedError } from "../http/problem.ts";
import type { LoginLimit } from "./login-limit.ts";
import { type Role, roleAllows } from "./roles.ts";
import type { Principal, TokenStore } from "./tokens.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

const withArticle = (word: string) => `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;

export function requireRole(
  allowed: readonly Role[],
  tokens: TokenStore,
  logins: LoginLimit,
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
    const principal = session ?? (await bearerPrincipal(c, header ?? "", tokens, logins));
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

/**
 * The bearer token's principal. An address that failed too often is refused before its token is
 * hashed or looked up, so a guessing run costs neither CPU nor the database anything.
 */
async function bearerPrincipal(
  c: Context<AppEnv>,
  header: string,
  tokens: TokenStore,
  { throttle, address: addressOf }: LoginLimit,
): Promise<Principal> {
  const address = addressOf(c);
  const blocked = throttle.blockedFor(address);
  if (blocked > 0) {
    c.get("log").warn({ msg: "bearer token refused: too many failed logins", address });
    throw new TooManyFailedLoginsError(retryAfterSeconds(blocked));
  }
  const match = BEARER.exec(header);
  const principal = match?.[1] ? await tokens.authenticate(match[1]) : undefined;
  if (!principal) {
    const blockedFor = throttle.failure(address);
    if (blockedFor > 0)
      c.get("log").warn({ msg: "address blocked after failed logins", address, blockedFor });
    throw new UnauthorizedError(
      match?.[1]
        ? "the token is unknown or revoked; ask an admin for a new one"
        : 'the Authorization header must be "Bearer <token>"',
    );
  }
  throttle.success(address);
  return principal;
}
