import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseReadings } from "@plantlink/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateHistory } from "../../tools/simulate/simulate.ts";

// A stand-in for central's POST /v1/readings: validates with the shared rules, dedupes by identity,
// fails the first request with a 503 to prove the writer retries. Central itself is exercised by
// test/start (pnpm start --demo is not needed for that).
let server: Server;
let url: string;
let dir: string;
const stored = new Map<string, number>();
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "plantlink-history-"));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests += 1;
      if (req.headers.authorization !== "Bearer good") {
        res.writeHead(401, { "content-type": "application/problem+json" }).end('{"title":"Unauthorized"}');
        return;
      }
      if (requests === 1) {
        res.writeHead(503).end();
        return;
      }
      const body: unknown = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString("utf8"));
      const { readings, rejections } = parseReadings(body, {});
      if (rejections.length > 0) {
        res.writeHead(400).end(JSON.stringify(rejections));
        return;
      }
      let inserted = 0;
      let duplicates = 0;
      let conflicts = 0;
      let setAside = 0;
      for (const r of readings) {
        const key = `${r.equipmentId}@${r.ts}`;
        // Central sets the sensors' -9999 error value aside; the first time it is new, like any reading.
        if (r.centi === -999_900 && !stored.has(key)) {
          stored.set(key, r.centi);
          setAside += 1;
          continue;
        }
        const before = stored.get(key);
        if (before === undefined) {
          stored.set(key, r.centi);
          inserted += 1;
        } else if (before === r.centi) duplicates += 1;
        else conflicts += 1;
      }
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted: readings.length, inserted, duplicates, conflicts, setAside }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const spec = (overrides: Partial<Parameters<typeof simulateHistory>[0]> = {}) => ({
  devices: 6,
  prefix: "EQ-",
  first: 500,
  seed: "history-test",
  faults: 20,
  siteOffsetMinutes: 60,
  spanMs: 2 * 86_400_000,
  intervalMs: 5 * 60_000,
  endAt: Date.UTC(2025, 5, 1, 12, 3, 17),
  target: { url, token: "good" },
  ...overrides,
});

describe("pnpm simulate --history", () => {
  it("posts every reading of the span except those silences held back, which go to the backfill CSV", async () => {
    const csvFile = join(dir, "skipped.csv");
    const summary = await simulateHistory(spec({ csvFile }));
    const perDevice = (2 * 86_400_000) / (5 * 60_000);
    expect(summary.total).toBe(6 * perDevice);
    expect(summary.posted + summary.skipped).toBe(summary.total);
    expect(summary.skipped).toBeGreaterThan(0);
    // The simulated sensors send the -9999 error value now and then; central's answers count them.
    expect(summary.setAside).toBeGreaterThan(0);
    expect(summary.inserted + summary.setAside).toBe(summary.posted);
    expect(stored.size).toBe(summary.posted);
    const rows = (await readFile(csvFile, "utf8")).trim().split("\n").slice(1);
    expect(rows).toHaveLength(summary.skipped);
    // Posted and held-back readings are disjoint: the backfill fills gaps, it does not overwrite.
    for (const row of rows) {
      const [id, timestamp] = row.split(",");
      expect(stored.has(`${id}@${Date.parse(timestamp ?? "")}`)).toBe(false);
    }
  });

  it("is deterministic: the same span again is all duplicates, no conflicts", async () => {
    const summary = await simulateHistory(spec());
    expect(summary.inserted).toBe(0);
    expect(summary.conflicts).toBe(0);
    expect(summary.duplicates).toBe(summary.posted);
  });

  it("puts readings on the interval grid, so a later run overlapping the span agrees on values", async () => {
    const later = await simulateHistory(spec({ endAt: Date.UTC(2025, 5, 1, 18, 0, 0) }));
    expect(later.conflicts).toBe(0);
    expect(later.inserted).toBeGreaterThan(0);
  });

  it("stops with the status and problem when the target refuses the token", async () => {
    await expect(simulateHistory(spec({ target: { url, token: "bad" } }))).rejects.toThrow(
      /401.*Unauthorized/,
    );
  });
});
