/**
 * Over HTTPS every answer carries `Strict-Transport-Security: max-age=31536000`, so a browser that has
 * reached central once never again sends its session cookie or a token over plain HTTP. Over plain
 * HTTP the header is absent: it means nothing there, and a central behind a TLS front leaves it to the front.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { startCentral } from "../../src/main.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { configOn, fixture, httpsGet } from "./library-central.ts";

const db = await createTestDatabase();
const dataDir = await mkdtemp(join(tmpdir(), "plantlink-hsts-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));
const ca = await readFile(fixture("test-tls.crt"));
const config = configOn(db.url, dataDir);

const https = await startCentral(
  config({ PLANTLINK_TLS_CERT: fixture("test-tls.crt"), PLANTLINK_TLS_KEY: fixture("test-tls.key") }),
  { log: pino({ level: "silent" }) },
);
const http = await startCentral(config(), { log: pino({ level: "silent" }) });
afterAll(() => Promise.all([https.close(), http.close()]));

const PATHS: [path: string, status: number][] = [
  ["/healthz", 200],
  ["/openapi.json", 200],
  ["/sign-in", 200],
  ["/", 303],
  ["/v1/equipment", 401],
  ["/no/such/route", 404],
  ["/docs/constructor", 404],
];

describe("Strict-Transport-Security", () => {
  it.each(PATHS)("is on every HTTPS answer: %s (%i)", async (path, status) => {
    expect(https.url).toMatch(/^https:/);
    const answer = await httpsGet(`${https.url}${path}`, ca);
    expect(answer.status).toBe(status);
    expect(answer.headers["strict-transport-security"]).toBe("max-age=31536000");
  });

  it.each(PATHS)("is absent over plain HTTP: %s (%i)", async (path, status) => {
    expect(http.url).toMatch(/^http:/);
    const response = await fetch(`${http.url}${path}`, { redirect: "manual" });
    expect(response.status).toBe(status);
    expect(response.headers.get("strict-transport-security")).toBeNull();
  });
});
