/**
 * Where sign-in sends the browser next: only a path of this site. Before, `GET /sign-in?next=/%09/host/x`
 * (signed in) answered `Location: /\t/host/x`, which browsers read as `//host/x` — another site — and
 * a CR or LF in `next` made the redirect throw (500).
 */
import { describe, expect, it } from "vitest";
import { safeNext } from "../../src/dashboard/sign-in.ts";
import { startDashboardCentral } from "./dashboard-central.ts";

const dc = await startDashboardCentral();
const origin = new URL(dc.url).origin;
const token = await dc.tokenFor("viewer");

/** `next` as the server receives it, once the query string or form is decoded. */
const HOSTILE: [name: string, next: string][] = [
  ["a scheme-relative URL", "//evil.example/x"],
  ["three slashes", "///evil.example/x"],
  ["a backslash after the slash", "/\\evil.example/x"],
  ["a backslash later on", "/sites\\..\\\\evil.example"],
  ["a tab between the slashes", "/\t/evil.example/x"],
  ["a percent-encoded tab between the slashes", "/%09/evil.example/x"],
  ["a newline between the slashes", "/\n/evil.example/x"],
  ["CR LF and a header", "/\r\nSet-Cookie: plantlink_session=evil"],
  ["percent-encoded CR LF", "/%0d%0aSet-Cookie:%20plantlink_session=evil"],
  ["a percent-encoded slash", "/%2F/evil.example/x"],
  ["a percent-encoded backslash", "/%5Cevil.example/x"],
  ["a NUL", "/sites\u0000"],
  ["a DEL", "/sites\u007f"],
  ["a dot segment that leaves two slashes", "/.//evil.example/x"],
  ["a dot-dot segment that leaves two slashes", "/..//evil.example/x"],
  ["an absolute URL", "https://evil.example/x"],
  ["an absolute URL without slashes", "https:evil.example"],
  ["javascript:", "javascript:alert(1)"],
  ["data:", "data:text/html,<script>alert(1)</script>"],
  ["a leading space", " /sites"],
  ["a leading tab", "\t//evil.example"],
  ["no leading slash", "sites"],
  ["empty", ""],
  ["malformed percent-encoding", "/%E0%A4%A"],
  ["back to sign-in", "/sign-in?next=//evil.example"],
];

const FRIENDLY: [next: string, location: string][] = [
  ["/sites", "/sites"],
  ["/sensors/EQ-1?window=1w", "/sensors/EQ-1?window=1w"],
  ["/backfill#upload", "/backfill#upload"],
  ["/sensors/EQ%3A1", "/sensors/EQ%3A1"],
];

async function cookie(): Promise<string> {
  const response = await postSignIn("/");
  const value = /plantlink_session=[^;]+/.exec(response.headers.get("Set-Cookie") ?? "")?.[0];
  if (!value) throw new Error(`no session cookie: ${response.status}`);
  return value;
}

function postSignIn(next: string) {
  return fetch(`${dc.url}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
    body: new URLSearchParams({ token, next }),
  });
}

const session = await cookie();
const getSignIn = (next: string) =>
  fetch(`${dc.url}/sign-in?next=${encodeURIComponent(next)}`, {
    redirect: "manual",
    headers: { Cookie: session },
  });

describe("after sign-in, a hostile next", () => {
  it.each(HOSTILE)("(%s) sends a signed-in visitor to / on GET", async (_name, next) => {
    const response = await getSignIn(next);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/");
  });

  it.each(HOSTILE)("(%s) sends a new session to / on POST", async (_name, next) => {
    const response = await postSignIn(next);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/");
  });

  it.each(HOSTILE)("(%s) is never kept: safeNext answers /", (_name, next) => {
    expect(safeNext(next)).toBe("/");
  });

  it("sends the raw query string /%09/host/x to / (the reported case)", async () => {
    const response = await fetch(`${dc.url}/sign-in?next=/%09/evil.example/x`, {
      redirect: "manual",
      headers: { Cookie: session },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/");
  });
});

describe("after sign-in, a path of this site", () => {
  it.each(FRIENDLY)("%s is followed on GET and POST", async (next, location) => {
    for (const response of [await getSignIn(next), await postSignIn(next)]) {
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe(location);
    }
  });
});
