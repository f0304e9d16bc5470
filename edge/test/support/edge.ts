/** In-process edges for tests: a temp data dir, free ports, a silent (or captured) log. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import { generatePassword, hashPassword } from "../../src/buffer/credentials.ts";
import { loadEdgeConfig } from "../../src/config.ts";
import { type Edge, type EdgeDeps, startEdge } from "../../src/main.ts";

export function tempDir(prefix = "plantlink-edge-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment every test edge starts from: its own dir, free ports, a small disk reserve. */
export function testEnv(dir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PLANTLINK_EDGE_ID: "test-edge",
    PLANTLINK_EDGE_DATA_DIR: dir,
    PLANTLINK_MQTT_PORT: "0",
    PLANTLINK_EDGE_HTTP_PORT: "0",
    PLANTLINK_DISK_RESERVE_BYTES: "1MB",
    PLANTLINK_EDGE_LISTEN_HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    ...overrides,
  };
}

export interface TestEdge extends Edge {
  dir: string;
  logs: Record<string, unknown>[];
  /** Registers a device and returns its password. */
  addDevice(id: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestEdge(
  overrides: Record<string, string> = {},
  deps: Partial<EdgeDeps> = {},
): Promise<TestEdge> {
  const temp = tempDir();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadEdgeConfig(testEnv(temp.dir, overrides));
  const edge = await startEdge(config, { logger: pino({ level: "debug" }, sink), ...deps });
  return {
    ...edge,
    dir: temp.dir,
    logs,
    async addDevice(id) {
      const password = generatePassword();
      edge.parts.registry.addDevice(id, await hashPassword(password, "generated"), Date.now());
      return password;
    },
    async stop() {
      await edge.close();
      temp.remove();
    },
  };
}

export function connectDevice(
  port: number,
  options: { username?: string; password?: string; protocolVersion?: 3 | 4 | 5; clientId?: string } = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: options.protocolVersion ?? 4,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
  });
}

/** A wire reading for equipment `id` at instant `ms`. */
export function wire(id: string, ms: number, value = 1.25) {
  return { equipmentId: id, value, timestamp: new Date(ms).toISOString() };
}

/** Every reading in the buffer as "id|ts|centi" strings. */
export function storedKeys(edge: Edge): Set<string> {
  const rows = edge.parts.db.prepare("SELECT equipment_id, ts, centi FROM readings").raw().all() as [
    string,
    number,
    number,
  ][];
  return new Set(rows.map(([id, ts, centi]) => `${id}|${ts}|${centi}`));
}

export function httpUrl(edge: Edge, path: string): string {
  return `http://127.0.0.1:${edge.ports.http}${path}`;
}
