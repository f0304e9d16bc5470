/**
 * For tests of startCentral as a library: its configuration on a test database and a temporary data
 * directory, the fixture certificate, and a GET over real TLS verified against it.
 */
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { fileURLToPath } from "node:url";
import { type CentralConfig, loadConfig } from "../../src/config.ts";

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** The configuration builder: loopback, a free port, a small pool, and whatever `extra` adds. */
export function configOn(databaseUrl: string, dataDir: string) {
  return (extra: Record<string, string> = {}): CentralConfig =>
    loadConfig({
      DATABASE_URL: databaseUrl,
      PLANTLINK_CENTRAL_DATA_DIR: dataDir,
      PLANTLINK_CENTRAL_HOST: "127.0.0.1",
      PLANTLINK_CENTRAL_PORT: "0",
      PLANTLINK_DB_POOL_MAX: "3",
      ...extra,
    });
}

export function httpsGet(
  url: string,
  ca: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    })
      .on("error", reject)
      .end();
  });
}
