import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Edge, loadEdgeConfig, openStore, startEdge } from "@plantlink/edge";
import { parseCsvHeader, parseCsvRow } from "@plantlink/shared";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateLive } from "../../tools/simulate/simulate.ts";

let dir: string;
let edge: Edge;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "plantlink-sim-"));
  const config = loadEdgeConfig({
    PLANTLINK_EDGE_ID: "sim-test",
    PLANTLINK_EDGE_DATA_DIR: join(dir, "edge"),
    PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
    PLANTLINK_MQTT_PORT: "0",
    PLANTLINK_EDGE_HTTP_PORT: "0",
    PLANTLINK_DISK_RESERVE_BYTES: "0",
  });
  edge = await startEdge(config, { logger: pino({ level: "silent" }) });
});

afterAll(async () => {
  await edge?.close();
  await rm(dir, { recursive: true, force: true });
});

const fleet = (overrides: Partial<Parameters<typeof simulateLive>[0]> = {}) => ({
  devices: 40,
  prefix: "SIM-",
  first: 1,
  seed: "fleet-test",
  faults: 0,
  siteOffsetMinutes: 0,
  mqttUrl: `mqtt://127.0.0.1:${edge.ports.mqtt}`,
  logins: {
    kind: "register" as const,
    edgeDataDir: join(dir, "edge"),
    credentialsFile: join(dir, "devices.json"),
  },
  rate: 5,
  qos: 1 as const,
  connectRate: 400,
  invalidFraction: 0,
  durationMs: 3000,
  ...overrides,
});

describe("pnpm simulate against a real edge", () => {
  it("registers each device with its own password and gets every QoS 1 reading acknowledged, with no errors", async () => {
    const before = edge.parts.buffer.stats().unsynced;
    const summary = await simulateLive(fleet(), new AbortController().signal);

    expect(summary.registered).toBe(40);
    expect(summary.errors).toBe(0);
    // A loaded machine connects slowly; what matters is that every reading sent was acknowledged.
    expect(summary.sent).toBeGreaterThan(40);
    expect(summary.acked).toBe(summary.sent);
    // Acknowledged means committed: the buffer holds exactly what was acknowledged.
    expect(edge.parts.buffer.stats().unsynced - before).toBe(summary.acked);

    const credentials = JSON.parse(await readFile(join(dir, "devices.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(Object.keys(credentials)).toHaveLength(40);
    expect(new Set(Object.values(credentials)).size).toBe(40);
    expect(edge.parts.registry.device("SIM-1")?.enabled).toBe(true);
  });

  it("reuses the registered devices on a second run (nothing re-registered)", async () => {
    const summary = await simulateLive(fleet({ durationMs: 1000 }), new AbortController().signal);
    expect(summary.registered).toBe(0);
    expect(summary.errors).toBe(0);
  });

  it("writes the readings silences held back to a backfill CSV the shared CSV rules accept", async () => {
    const csvFile = join(dir, "backfill.csv");
    const summary = await simulateLive(fleet({ faults: 3000, csvFile }), new AbortController().signal);
    expect(summary.skipped).toBeGreaterThan(0);
    const lines = (await readFile(csvFile, "utf8")).trim().split("\n");
    expect(lines[0]).toBe("equipmentId,timestamp,value");
    expect(lines.length - 1).toBe(summary.skipped);
    expect(summary.csv?.rows).toBe(summary.skipped);
    const header = parseCsvHeader((lines[0] ?? "").split(","));
    if (!header.ok) throw new Error(header.reason);
    for (const line of lines.slice(1))
      expect(parseCsvRow(line.split(","), header.header).ok, line).toBe(true);
  });

  it("counts refused logins as errors: anonymous devices when the edge does not allow them", async () => {
    const summary = await simulateLive(
      fleet({ devices: 3, logins: { kind: "anonymous" }, durationMs: 1500 }),
      new AbortController().signal,
    );
    expect(summary.acked).toBe(0);
    expect(summary.errors).toBeGreaterThan(0);
    expect(Object.keys(summary.errorKinds).join()).toMatch(/Not authorized|not authorized|refused/i);
  });

  it("stops when its signal aborts, before the duration", async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 800);
    const summary = await simulateLive(fleet({ durationMs: 60_000 }), abort.signal);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(summary.acked).toBe(summary.sent);
    // The store still opens: the simulator closed what it opened.
    openStore(loadEdgeConfig({ PLANTLINK_EDGE_DATA_DIR: join(dir, "edge") })).close();
  });
});
