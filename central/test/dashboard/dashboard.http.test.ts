/**
 * The dashboard over plain HTTP: who gets which page, how sign-in and sign-out behave, what the session
 * cookie may do on the API (read, and write only from our own origin), and how assets are served.
 */
import { describe, expect, it } from "vitest";
import { startDashboardCentral } from "./dashboard-central.ts";

const dc = await startDashboardCentral();
const origin = new URL(dc.url).origin;

async function signIn(token: string, headers: Record<string, string> = { Origin: origin }) {
  return fetch(`${dc.url}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token, next: "/sites" }),
  });
}

async function cookieFor(role: "viewer" | "vendor" | "admin") {
  const response = await signIn(await dc.tokenFor(role));
  const value = /plantlink_session=[^;]+/.exec(response.headers.get("Set-Cookie") ?? "")?.[0];
  if (!value) throw new Error(`no session cookie for ${role}: ${response.status}`);
  return value;
}

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${dc.url}${path}`, { redirect: "manual", headers });

describe("dashboard sign-in", () => {
  it("sends a visitor without a session to sign in, remembering where they were going", async () => {
    for (const path of ["/", "/sites", "/backfill", "/sensors/EQ-1?window=1w"]) {
      const response = await get(path);
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
    }
  });

  it("exchanges a viewer token for a session and goes on to the page asked for", async () => {
    const response = await signIn(await dc.tokenFor("viewer"));
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/sites");
    expect(response.headers.get("Set-Cookie")).toMatch(/^plantlink_session=v1\..*HttpOnly.*SameSite=Strict/);
  });

  it("refuses unknown tokens, machine tokens, and a sign-in posted from another site", async () => {
    const unknown = await signIn("plt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain("unknown or revoked");
    for (const role of ["edge", "ingest"] as const) {
      const machine = await signIn(await dc.tokenFor(role));
      expect(machine.status).toBe(403);
      expect(machine.headers.get("Set-Cookie")).toBeNull();
      expect(await machine.text()).toContain(`A ${role} token is for a machine`);
    }
    const forged = await signIn(await dc.tokenFor("viewer"), { Origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("Set-Cookie")).toBeNull();
  });

  it("only ever redirects within the site after sign-in", async () => {
    const token = await dc.tokenFor("viewer");
    for (const next of ["//evil.example/", "/\\evil.example", "https://evil.example/"]) {
      const response = await fetch(`${dc.url}/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
        body: new URLSearchParams({ token, next }),
      });
      expect(response.headers.get("Location")).toBe("/");
    }
  });

  it("signs out by clearing the cookie", async () => {
    const cookie = await cookieFor("viewer");
    const response = await fetch(`${dc.url}/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, Origin: origin },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/sign-in?signed-out");
    expect(response.headers.get("Set-Cookie")).toMatch(/plantlink_session=;.*Max-Age=0/);
  });
});

describe("dashboard pages and the API with a session cookie", () => {
  it("serves pages with a strict content security policy and never from a cache", async () => {
    const response = await get("/", { Cookie: await cookieFor("viewer") });
    expect(response.status).toBe(200);
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const page = await response.text();
    expect(page).toContain('<script type="module" src="/assets/overview.js">');
    expect(page).not.toMatch(/https?:\/\//); // nothing from elsewhere: works offline
  });

  it("escapes a sensor id in the page", async () => {
    const response = await get(`/sensors/${encodeURIComponent('<img src=x onerror="alert(1)">')}`, {
      Cookie: await cookieFor("viewer"),
    });
    const page = await response.text();
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("gives a vendor the backfill page only", async () => {
    const cookie = await cookieFor("vendor");
    expect((await get("/", { Cookie: cookie })).headers.get("Location")).toBe("/backfill");
    expect((await get("/sites", { Cookie: cookie })).headers.get("Location")).toBe("/backfill");
    expect((await get("/backfill", { Cookie: cookie })).status).toBe(200);
  });

  it("lets the cookie read the API with its token's role, and nothing more", async () => {
    const viewer = await cookieFor("viewer");
    expect((await get("/v1/edges", { Cookie: viewer })).status).toBe(200);
    expect((await get("/v1/edges")).status).toBe(401);
    expect((await get("/v1/edges", { Cookie: "plantlink_session=v1.1.9999999999.forged" })).status).toBe(401);
    const post = (cookie: string, headers: Record<string, string>) =>
      fetch(`${dc.url}/v1/readings`, {
        method: "POST",
        headers: { Cookie: cookie, "Content-Type": "application/json", ...headers },
        body: JSON.stringify({ equipmentId: "EQ-1", timestamp: new Date().toISOString(), value: 1 }),
      });
    // A viewer may not ingest, from anywhere.
    expect((await post(viewer, { Origin: origin })).status).toBe(403);
    // An admin's cookie may write, but only from the dashboard's own origin.
    const admin = await cookieFor("admin");
    const crossSite = await post(admin, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { detail: string }).detail).toMatch(/own pages/);
    expect((await post(admin, { "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await post(admin, { Origin: origin })).status).toBe(202);
  });
});

describe("dashboard assets", () => {
  it("serves the modules and uPlot gzipped, with an ETag that answers 304", async () => {
    for (const path of ["/assets/overview.js", "/assets/vendor/uPlot.esm.js", "/assets/dashboard.css"]) {
      const response = await get(path, { "Accept-Encoding": "gzip" });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("Content-Encoding")).toBe("gzip");
      const etag = response.headers.get("ETag") ?? "";
      expect(etag).toMatch(/^".+"$/);
      expect((await get(path, { "If-None-Match": etag })).status).toBe(304);
      // The plain bytes have their own tag; a client that refuses gzip gets them.
      const plain = await get(path, { "Accept-Encoding": "gzip;q=0, identity" });
      expect(plain.headers.get("Content-Encoding")).toBeNull();
      expect(plain.headers.get("ETag")).not.toBe(etag);
      expect((await get(path, { "If-None-Match": plain.headers.get("ETag") ?? "" })).status).toBe(304);
    }
    expect((await get("/assets/overview.js")).headers.get("Content-Type")).toMatch(/^text\/javascript/);
  });

  it("serves nothing but the dashboard's own files", async () => {
    for (const path of [
      "/assets/session.ts",
      "/assets/../session.ts",
      "/assets/tsconfig.json",
      "/assets/api-types.d.ts",
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });
});
