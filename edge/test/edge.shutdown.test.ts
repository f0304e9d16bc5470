/**
 * Graceful shutdown: on SIGTERM the edge stops accepting, commits what is queued, releases those
 * acknowledgements, closes the database and exits 0. Every acknowledged reading is in the file;
 * nothing is acknowledged that is not.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  generateGatewayToken,
  generatePassword,
  hashPassword,
  hashToken,
} from "../src/buffer/credentials.ts";
import { openStore } from "../src/buffer/store.ts";
import { loadEdgeConfig } from "../src/config.ts";
import { readBufferFile, spawnEdge } from "./support/child.ts";
import { connectDevice, startTestEdge, tempDir, testEnv, wire } from "./support/edge.ts";
import { startLoad } from "./support/load.ts";

describe("shutdown", () => {
  it("on SIGTERM under load: exits 0, and every acknowledged reading is in the file", {
    timeout: 120_000,
  }, async () => {
    const temp = tempDir("plantlink-sigterm-");
    const env = testEnv(temp.dir);
    const devices = [
      { id: "EQ-T1", password: generatePassword() },
      { id: "EQ-T2", password: generatePassword() },
    ];
    const gatewayToken = generateGatewayToken();
    const store = openStore(loadEdgeConfig(env));
    for (const d of devices)
      store.registry.addDevice(d.id, await hashPassword(d.password, "generated"), Date.now());
    store.registry.addGateway("t", hashToken(gatewayToken), Date.now());
    store.close();
    try {
      for (let run = 1; run <= 2; run++) {
        const edge = await spawnEdge(env);
        const load = await startLoad({
          mqttPort: edge.ports.mqtt,
          httpPort: edge.ports.http,
          devices,
          gatewayToken,
          run,
        });
        await load.firstAck;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
        edge.child.kill("SIGTERM");
        const exit = await edge.exited;
        await load.stop();
        expect(exit).toEqual({ code: 0, signal: null });
        expect(edge.logs.some((l) => l.msg === "edge stopped")).toBe(true);
        const stored = readBufferFile(temp.dir);
        const missing = [...load.acked].filter((k) => !stored.has(k));
        expect(load.acked.size).toBeGreaterThan(0);
        expect(missing, `run ${run}: acknowledged but not in the file after SIGTERM`).toEqual([]);
      }
    } finally {
      temp.remove();
    }
  });

  it("commits readings still queued at close() and acknowledges them before the connection ends", async () => {
    // A long group-commit delay holds the publish in the queue when close() is called.
    const edge = await startTestEdge({ PLANTLINK_COMMIT_MAX_DELAY_MS: "1000" });
    const password = await edge.addDevice("EQ-S");
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-S", password });
    const acked = client.publishAsync("readings/EQ-S", JSON.stringify(wire("EQ-S", 1_700_000_000_000)), {
      qos: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(edge.parts.groupCommit.queued()).toBe(1);
    await edge.close();
    await expect(acked).resolves.toBeDefined();
    client.end(true);
    const db = new Database(`${edge.dir}/buffer.sqlite`);
    expect(db.prepare("SELECT count(*) FROM readings WHERE equipment_id = 'EQ-S'").pluck().get()).toBe(1);
    db.close();
    await edge.stop();
  });
});
