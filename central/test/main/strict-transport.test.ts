/**
 * Over HTTPS every answer carries `Strict-Transport-Security: max-age=31536000`, so a browser that has
 * reached central once never again sends its session cookie or a token over plain HTTP. Over plain
 * HTTP the header is absent: it means nothing there, and a central behind a TLS front leaves it to the front.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { startCentral } from "../../src/main.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const dataDir = await mkdtemp(join(tmpdir(), "plantlink-hsts-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const ca = await readFile(fixture("test-tls.crt"));

const config = (extra: Record<string, string> = {}) =>
  loadConfig({
    DATABASE_URL: db.url,
    PLANTLINK_CENTRAL_DATA_DIR: dataDir,
    PLANTLINK_CENTRAL_HOST: "127.0.0.1",
    PLANTLINK_CENTRAL_PORT: "0",
    PLANTLINK_DB_POOL_MAX: "3",
    ...extra,
  });

const https = await startCentral(
  config({ PLANTLINK_TLS_CERT: fixture("test-tls.crt"), PLANTLINK_TLS_KEY: fixture("test-tls.key") }),
  { log: pino({ level: "silent" }) },
);
const http = await startCentral(config(), { log: pino({ level: "silent" }) });
afterAll(() => Promise.all([https.close(), http.close()]));

/** A GET over real TLS, verified against the fixture's certificate; the status and the HSTS header. */
function httpsGet(url: string): Promise<{ status: number; hsts: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      response.resume();
      response.on("end", () => {
        const hsts = response.headers["strict-transport-security"];
        resolve({ status: response.statusCode ?? 0, hsts: typeof hsts === "string" ? hsts : undefined });
      });
    })
      .on("error", reject)
      .end();
  });
}

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
    expect(await httpsGet(`${https.url}${path}`)).toEqual({ status, hsts: "max-age=31536000" });
  });

  it.each(PATHS)("is absent over plain HTTP: %s (%i)", async (path, status) => {
    expect(http.url).toMatch(/^http:/);
    const response = await fetch(`${http.url}${path}`, { redirect: "manual" });
    expect(response.status).toBe(status);
    expect(response.headers.get("strict-transport-security")).toBeNull();
  });
});
