/**
 * Dashboard sessions: a person signs in once with an API token and the browser then carries an
 * HTTP-only, SameSite=Strict cookie instead of the token.
 *
 * Design: the cookie is signed, not stored. It holds the token's id and an expiry, and an HMAC-SHA256
 * over them and the token's stored hash, keyed by a secret kept in the data directory (session-key.ts).
 * Every request re-reads the token row by id (one indexed lookup, as for a bearer token), so:
 * - replicas stay stateless: any replica holding the key verifies any session, nothing is in memory;
 * - revoking the token ends its sessions at once (the row is gone from the lookup);
 * - no sessions table to grow, sweep or migrate.
 * The price: signing out clears the cookie in that browser, but a copy of the cookie taken before would
 * stay valid until it expires (SESSION_TTL_MS) unless the token is revoked. A stored-session table
 * would close that; for a read-mostly dashboard on a plant network the short lifetime is the trade made.
 *
 * CSRF: SameSite=Strict keeps the browser from sending the cookie on any cross-site request, and, as a
 * second line, a state-changing request authenticated by the cookie must come from our own origin
 * (Sec-Fetch-Site or Origin), so an old browser or a same-site sibling cannot forge an upload.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Role } from "../auth/roles.ts";
import type { Principal } from "../auth/tokens.ts";
import type { Sql } from "../db/connect.ts";
import { ForbiddenError } from "../http/problem.ts";

export const SESSION_COOKIE = "plantlink_session";
/** Twelve hours: a shift. Long enough not to interrupt a working day, short enough to expire overnight. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Machine tokens never get a browser session: a cookie in a browser is a wider exposure than a config file. */
export const SESSION_ROLES: readonly Role[] = ["admin", "viewer", "vendor"];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface Sessions {
  /** Sets the session cookie for a principal that has just proved its token. */
  issue(c: Context, principal: Principal): Promise<void>;
  clear(c: Context): void;
  /**
   * The principal of the request's session cookie, or undefined when there is none or it is invalid,
   * expired or its token revoked. Throws 403 for a state-changing request from another origin.
   */
  authenticate(c: Context): Promise<Principal | undefined>;
}

export interface SessionOptions {
  sql: Sql;
  /** The HMAC key, at least 32 bytes. */
  key: Buffer;
  now?: () => number;
}

interface TokenRow {
  tokenId: string;
  name: string;
  role: Role;
  edgeId: string | null;
  hash: string;
}

export function createSessions(options: SessionOptions): Sessions {
  const { sql, key } = options;
  const now = options.now ?? Date.now;
  if (key.length < 32) throw new Error("the session key must be at least 32 bytes");

  const sign = (tokenId: string, expires: number, tokenHash: string) =>
    createHmac("sha256", key).update(`v1.${tokenId}.${expires}.${tokenHash}`).digest("base64url");

  // Read here rather than through the token store: the MAC binds the session to the token's hash, which
  // the store (rightly) never hands out.
  const liveToken = async (tokenId: string) => {
    const [row] = await sql<TokenRow[]>`
      select id::text as "tokenId", name, role, edge_id as "edgeId", hash
      from tokens where id = ${tokenId}::bigint and revoked_at is null`;
    return row;
  };

  return {
    async issue(c, principal) {
      const row = await liveToken(principal.tokenId);
      if (!row) throw new ForbiddenError("the token was revoked while signing in");
      const expires = Math.floor((now() + SESSION_TTL_MS) / 1000);
      setCookie(c, SESSION_COOKIE, `v1.${row.tokenId}.${expires}.${sign(row.tokenId, expires, row.hash)}`, {
        path: "/",
        httpOnly: true,
        sameSite: "Strict",
        secure: isHttps(c),
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
    },

    clear(c) {
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
    },

    async authenticate(c) {
      const value = getCookie(c, SESSION_COOKIE);
      if (value === undefined) return undefined;
      const parts = /^v1\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!parts) return undefined;
      const [, tokenId = "", expiresText = "", mac = ""] = parts;
      const expires = Number(expiresText);
      if (expires * 1000 <= now()) return undefined;
      const row = await liveToken(tokenId);
      if (!row || !SESSION_ROLES.includes(row.role)) return undefined;
      const expected = Buffer.from(sign(tokenId, expires, row.hash));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      if (!SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) {
        throw new ForbiddenError(
          "a state-changing request with the dashboard's session cookie must come from the dashboard's own pages",
        );
      }
      return { tokenId: row.tokenId, name: row.name, role: row.role, edgeId: row.edgeId };
    },
  };
}

/**
 * Whether the request comes from a page of this origin. Sec-Fetch-Site is set by the browser and cannot
 * be forged by a page; Origin covers browsers without it. Host (not the URL we were reached at) is
 * compared, so a reverse proxy that keeps the Host header works unchanged.
 */
export function isSameOrigin(c: Context): boolean {
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("Origin");
  if (origin === undefined || origin === "null") return false;
  try {
    return new URL(origin).host === (c.req.header("Host") ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/**
 * Whether the browser reached us over HTTPS: directly, or through a proxy that terminates TLS and says
 * so. Trusting the header can only add `Secure` to the cookie, never take it away.
 */
function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("X-Forwarded-Proto") === "https";
}
