/**
 * The session cookie on its own: what it carries, and every way it must stop working — tampered,
 * expired, signed with another key, its token revoked, or used cross-site for a state change.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore } from "../../src/auth/tokens.ts";
import {
  createSessions,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type Sessions,
} from "../../src/dashboard/session.ts";
import { loadSessionKey } from "../../src/dashboard/session-key.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const tokens = createTokenStore(db.sql);
let clock = Date.parse("2024-06-01T12:00:00Z");
const key = randomBytes(32);
const sessions = createSessions({ sql: db.sql, key, now: () => clock });

/** A tiny app: `/issue/:token` signs in with a token, `/who` answers the session's principal. */
function appFor(s: Sessions) {
  const app = new Hono();
  app.get("/issue/:token", async (c) => {
    const principal = await tokens.authenticate(c.req.param("token"));
    if (!principal) return c.text("no", 401);
    await s.issue(c, principal);
    return c.text("ok");
  });
  app.on(["GET", "POST"], "/who", async (c) => {
    try {
      const principal = await s.authenticate(c);
      return c.json(principal ?? null);
    } catch (error) {
      return c.text(String(error), 403);
    }
  });
  return app;
}
const app = appFor(sessions);

async function signIn(role: "viewer" | "admin" | "vendor" = "viewer") {
  const { token, record } = await tokens.create({ role, name: `session ${role}` });
  const response = await app.request(`/issue/${token}`);
  const setCookie = response.headers.get("Set-Cookie") ?? "";
  const value = /plantlink_session=([^;]+)/.exec(setCookie)?.[1] ?? "";
  return { token, record, setCookie, cookie: `${SESSION_COOKIE}=${value}`, value };
}

const who = (cookie: string, init: RequestInit = {}, target = app) =>
  target.request("/who", {
    ...init,
    headers: { Cookie: cookie, ...(init.headers as Record<string, string>) },
  });

describe("the dashboard session cookie", () => {
  it("is HTTP-only, SameSite=Strict, for the whole site, and lasts one shift", async () => {
    const { setCookie, value, token } = await signIn();
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(new RegExp(`Max-Age=${SESSION_TTL_MS / 1000}`));
    // The token itself never reaches the browser.
    expect(value).not.toContain(token);
    expect(value).not.toContain(token.slice(4, 20));
  });

  it("is Secure when the browser came over HTTPS, directly or through a TLS-terminating proxy", async () => {
    const { token } = await tokens.create({ role: "viewer", name: "session https" });
    const cookieOf = async (url: string, headers: Record<string, string> = {}) =>
      (await app.request(url, { headers })).headers.get("Set-Cookie") ?? "";
    expect(await cookieOf(`/issue/${token}`)).not.toMatch(/Secure/);
    expect(await cookieOf(`https://central.plant/issue/${token}`)).toMatch(/Secure/);
    expect(await cookieOf(`/issue/${token}`, { "X-Forwarded-Proto": "https" })).toMatch(/Secure/);
  });

  it("authenticates as the token's principal", async () => {
    const { cookie, record } = await signIn("vendor");
    const response = await who(cookie);
    expect(await response.json()).toMatchObject({
      tokenId: record.tokenId,
      role: "vendor",
      name: "session vendor",
    });
  });

  it("is refused when any character of it is changed", async () => {
    const { value } = await signIn();
    const [version, id, expires, mac = ""] = value.split(".");
    const flipped = (text: string) => text.slice(0, -1) + (text.endsWith("A") ? "B" : "A");
    for (const forged of [
      `${version}.${id}.${Number(expires) + 3600}.${mac}`, // a longer life
      `${version}.${Number(id) + 1}.${expires}.${mac}`, // another token
      `${version}.${id}.${expires}.${flipped(mac)}`,
    ]) {
      expect(await (await who(`${SESSION_COOKIE}=${forged}`)).json()).toBeNull();
    }
  });

  it("is refused after it expires", async () => {
    const { cookie } = await signIn();
    const start = clock;
    try {
      clock = start + SESSION_TTL_MS - 1000;
      expect(await (await who(cookie)).json()).not.toBeNull();
      clock = start + SESSION_TTL_MS;
      expect(await (await who(cookie)).json()).toBeNull();
    } finally {
      clock = start;
    }
  });

  it("is refused once its token is revoked", async () => {
    const { cookie, record } = await signIn();
    expect(await (await who(cookie)).json()).not.toBeNull();
    await tokens.revoke(record.tokenId);
    expect(await (await who(cookie)).json()).toBeNull();
  });

  it("is refused by a central with another key", async () => {
    const { cookie } = await signIn();
    const other = appFor(createSessions({ sql: db.sql, key: randomBytes(32), now: () => clock }));
    expect(await (await who(cookie, {}, other)).json()).toBeNull();
  });

  it("refuses a state-changing request from another site, and accepts one from its own pages", async () => {
    const { cookie } = await signIn();
    const post = (headers: Record<string, string>) => who(cookie, { method: "POST", headers });
    expect((await post({ "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await post({ "Sec-Fetch-Site": "same-site" })).status).toBe(403);
    expect((await post({ Origin: "https://evil.example", Host: "central.plant" })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    expect((await post({ "Sec-Fetch-Site": "same-origin" })).status).toBe(200);
    expect((await post({ Origin: "https://central.plant", Host: "central.plant" })).status).toBe(200);
    // Reading is harmless (and cross-site reads do not carry a Strict cookie anyway).
    expect((await who(cookie, { headers: { "Sec-Fetch-Site": "cross-site" } })).status).toBe(200);
  });
});

describe("the session key", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("is created once in the data directory, readable only by its owner, and reused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "plantlink-key-"));
    dirs.push(dir);
    const [a, b] = await Promise.all([loadSessionKey(dir), loadSessionKey(dir)]);
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(b.equals(a)).toBe(true);
    expect((await loadSessionKey(dir)).equals(a)).toBe(true);
    expect((await stat(join(dir, "session.key"))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, "session.key"), "utf8")).trim()).toBe(a.toString("base64url"));
  });
});
