/**
 * startCentral as a library: HTTPS from a certificate and key, two centrals side by side in one process
 * (nothing is a module singleton), the first admin token made exactly once, and close() releasing all.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore } from "../../src/auth/tokens.ts";
import { startCentral } from "../../src/main.ts";
import { createTestDatabase } from "../support/test-database.ts";
import { configOn, fixture, httpsGet } from "./library-central.ts";

const db = await createTestDatabase();
// The data directory holds generated files (the dashboard's session key); never the checkout's ./data.
const dataDir = await mkdtemp(join(tmpdir(), "plantlink-start-central-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));
const silent = pino({ level: "silent" });

const config = configOn(db.url, dataDir);

describe("startCentral", () => {
  it("makes the first admin token on a database without tokens, and only then", async () => {
    const first = await startCentral(config(), { log: silent });
    const second = await startCentral(config(), { log: silent });
    try {
      expect(first.firstAdminToken).toMatch(/^plt_/);
      expect(second.firstAdminToken).toBeUndefined();
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from tokens where role = 'admin'`;
      expect(row?.n).toBe(1);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("runs two centrals side by side in one process, each with its own port and metrics", async () => {
    const [a, b] = await Promise.all([
      startCentral(config(), { log: silent }),
      startCentral(config(), { log: silent }),
    ]);
    try {
      expect(a.port).not.toBe(b.port);
      const { token: ingest } = await createTokenStore(db.sql).create({
        role: "ingest",
        name: "side by side",
      });
      const post = await fetch(`${a.url}/v1/readings`, {
        method: "POST",
        headers: { Authorization: `Bearer ${ingest}`, "Content-Type": "application/json" },
        body: JSON.stringify({ equipmentId: "SIDE-1", value: 1, timestamp: "2024-01-01T00:00:00Z" }),
      });
      expect(post.status).toBe(202);
      const inserted = async (url: string) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /^plantlink_central_readings_total\{source="direct",outcome="inserted"\} (\d+)$/m.exec(
          text,
        )?.[1];
      };
      expect(await inserted(a.url)).toBe("1");
      expect(await inserted(b.url)).toBe("0");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("serves HTTPS when given a certificate and key, and close() frees the port", async () => {
    const central = await startCentral(
      config({ PLANTLINK_TLS_CERT: fixture("test-tls.crt"), PLANTLINK_TLS_KEY: fixture("test-tls.key") }),
      { log: silent },
    );
    expect(central.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsGet(`${central.url}/healthz`, await readFile(fixture("test-tls.crt")));
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '{"status":"ok"}' });
    await central.close();
    await expect(httpsGet(`${central.url}/healthz`, await readFile(fixture("test-tls.crt")))).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("refuses a certificate without its key, naming the variable", () => {
    expect(() => config({ PLANTLINK_TLS_CERT: fixture("test-tls.crt") })).toThrow(/PLANTLINK_TLS_KEY/);
  });
});
