/**
 * Failed logins are limited per client address (shared LoginThrottle, 10 a minute): after that the
 * address gets 429 with Retry-After on the API and on the dashboard's sign-in — before its token is
 * looked up, even a valid one — while a client on another address goes on as usual.
 */
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { requestFrom } from "../../../shared/test/support/request-from.ts";
import { startDashboardCentral } from "../dashboard/dashboard-central.ts";
import { startTestCentral } from "../http/test-central.ts";

const FAILURES = LOGIN_THROTTLE_DEFAULTS.maxFailures;
const dc = await startDashboardCentral();
const url = new URL(dc.url);

/** One HTTP request to central from loopback address `from`, so tests can play two clients. */
const send = (from: string, method: string, path: string, headers: Record<string, string>, body?: string) =>
  requestFrom(from, { host: url.hostname, port: url.port, method, path, headers }, body);

const api = (from: string, token: string) =>
  send(from, "GET", "/v1/edges", { Authorization: `Bearer ${token}` });

const signIn = (from: string, token: string) =>
  send(
    from,
    "POST",
    "/sign-in",
    { "Content-Type": "application/x-www-form-urlencoded", Origin: url.origin },
    new URLSearchParams({ token, next: "/" }).toString(),
  );

describe("failed-login throttling on central", () => {
  it(`answers 429 with Retry-After to an address after ${FAILURES} unknown bearer tokens, a valid one included`, async () => {
    const viewer = await dc.tokenFor("viewer");
    const from = "127.0.0.2";
    for (let i = 0; i < FAILURES; i++) {
      expect((await api(from, `plt_${"x".repeat(42)}${i % 10}`)).status).toBe(401);
    }
    const blocked = await api(from, viewer);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(59);
    expect(JSON.parse(blocked.body)).toMatchObject({
      status: 429,
      detail: expect.stringMatching(/too many failed logins/),
    });

    expect((await api("127.0.0.3", viewer)).status).toBe(200);
  });

  it("counts malformed tokens as failed logins too", async () => {
    const from = "127.0.0.4";
    for (let i = 0; i < FAILURES; i++) await api(from, "not-a-token");
    expect((await api(from, "not-a-token")).status).toBe(429);
  });

  it("shows the sign-in page with 429 after too many unknown tokens, and signs in from another address", async () => {
    const viewer = await dc.tokenFor("viewer");
    const from = "127.0.0.5";
    for (let i = 0; i < FAILURES; i++) {
      expect((await signIn(from, `plt_wrong${i}`)).status).toBe(401);
    }
    const blocked = await signIn(from, viewer);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(59);
    expect(blocked.body).toMatch(/Too many failed sign-ins from this address/);
    // Signing in and the API share the count.
    expect((await api(from, viewer)).status).toBe(429);

    expect((await signIn("127.0.0.6", viewer)).status).toBe(303);
  });
});

describe("failed-login throttling behind a trusted proxy (PLANTLINK_CENTRAL_TRUST_PROXY)", async () => {
  const proxied = await startTestCentral({ loginThrottle: new LoginThrottle(), trustProxy: true });
  const viaProxy = (forwardedFor: string, token: string) =>
    fetch(`${proxied.url}/v1/edges`, {
      headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": forwardedFor },
    });

  it("counts per the address the proxy appended, so one client's guessing does not block the others", async () => {
    const viewer = await proxied.tokenFor("viewer");
    for (let i = 0; i < FAILURES; i++) expect((await viaProxy("203.0.113.7", "plt_wrong")).status).toBe(401);
    expect((await viaProxy("203.0.113.7", viewer)).status).toBe(429);
    // A client cannot choose its address by sending its own X-Forwarded-For: the proxy's entry is last.
    expect((await viaProxy("203.0.113.8, 203.0.113.7", viewer)).status).toBe(429);
    expect((await viaProxy("203.0.113.8", viewer)).status).toBe(200);
  });
});
