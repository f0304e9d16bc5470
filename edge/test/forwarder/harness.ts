/** A real buffer file in a temp dir, a forwarder over it, and helpers to fill and inspect them. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reading } from "@plantlink/shared";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createReadingBuffer, type ReadingBuffer } from "../../src/buffer/buffer.ts";
import { type Db, openDatabase } from "../../src/buffer/database.ts";
import { createQuarantine, type Quarantine } from "../../src/buffer/quarantine.ts";
import { createCentralClient } from "../../src/forwarder/client.ts";
import { type Forwarder, type ForwarderSettings, startForwarder } from "../../src/forwarder/forwarder.ts";
import { createForwarderMetrics } from "../../src/forwarder/metrics.ts";

export interface TestBuffer {
  dir: string;
  db: Db;
  buffer: ReadingBuffer;
  quarantine: Quarantine;
  close(): void;
}

export function openTestBuffer(dir = mkdtempSync(join(tmpdir(), "plantlink-fwd-"))): TestBuffer {
  const db = openDatabase(join(dir, "buffer.sqlite"), { synchronous: "NORMAL", readonly: false });
  const quarantine = createQuarantine(db);
  return {
    dir,
    db,
    buffer: createReadingBuffer(db, quarantine),
    quarantine,
    close: () => db.close(),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const BASE_TS = Date.UTC(2024, 0, 1);

/** Readings `from`..`from+count-1` spread over `sensors` sensors, one per sensor per second. */
export function readings(from: number, count: number, sensors = 10): Reading[] {
  const out: Reading[] = [];
  for (let i = from; i < from + count; i++) {
    out.push({
      equipmentId: `EQ-${i % sensors}`,
      ts: BASE_TS + Math.floor(i / sensors) * 1000,
      centi: i,
    });
  }
  return out;
}

export function fill(
  buffer: ReadingBuffer,
  from: number,
  count: number,
  sensors = 10,
  at = Date.now(),
): void {
  for (let i = 0; i < count; i += 10_000) {
    buffer.commit(readings(from + i, Math.min(10_000, count - i), sensors), [], at);
  }
}

export const silentLog = pino({ level: "silent" });

export function testSettings(url: string, overrides: Partial<ForwarderSettings> = {}): ForwarderSettings {
  return {
    edgeId: "site-1",
    centralUrl: url,
    maxReadings: 500,
    maxBytes: 1_000_000,
    maxInFlight: 3,
    backoffBaseMs: 20,
    backoffCapMs: 200,
    gzipLevel: 1,
    liveLagMs: 10_000,
    pollMs: 20,
    closeGraceMs: 2000,
    ...overrides,
  };
}

export function forward(
  t: TestBuffer,
  url: string,
  overrides: Partial<ForwarderSettings> & { token?: string; requestTimeoutMs?: number } = {},
): { forwarder: Forwarder; registry: Registry } {
  const { token, requestTimeoutMs, ...rest } = overrides;
  const settings = testSettings(url, rest);
  const registry = new Registry();
  const client = createCentralClient({
    url,
    token: token ?? "plt_test",
    ca: undefined,
    clientCert: undefined,
    connections: settings.maxInFlight,
    connectTimeoutMs: 1000,
    requestTimeoutMs: requestTimeoutMs ?? 5000,
  });
  let forwarder: Forwarder | undefined;
  const observer = createForwarderMetrics(registry, () => {
    if (!forwarder) throw new Error("metrics scraped before the forwarder started");
    return forwarder.status();
  });
  forwarder = startForwarder(settings, {
    buffer: t.buffer,
    db: t.db,
    quarantine: t.quarantine,
    client,
    log: silentLog,
    now: Date.now,
    random: Math.random,
    observer,
  });
  return { forwarder, registry };
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
