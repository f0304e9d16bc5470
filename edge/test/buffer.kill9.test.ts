/**
 * Acknowledged means durable (DESIGN.md 5.1): the edge runs as a child process under QoS 1 and HTTP
 * load and is killed with SIGKILL at a random moment, again and again on the same buffer file. After
 * each kill, every reading whose PUBACK or 202 a client received must be in the file.
 *
 * The test fails if an acknowledgement ever leaves before its commit: under load a group commit is
 * always forming, so a kill at any moment would lose acknowledged readings (see edge/README.md for
 * the run that proved it). PLANTLINK_KILL9_ITERATIONS raises the count for a soak.
 */
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
import { tempDir, testEnv } from "./support/edge.ts";
import { startLoad } from "./support/load.ts";

const ITERATIONS = Number(process.env.PLANTLINK_KILL9_ITERATIONS ?? 20);

describe("SIGKILL at a random moment", () => {
  it(`loses no acknowledged reading across ${ITERATIONS} kills (MQTT QoS 1 and HTTP 202)`, {
    timeout: Math.max(600_000, ITERATIONS * 30_000),
  }, async () => {
    const temp = tempDir("plantlink-kill9-");
    const env = testEnv(temp.dir);
    const devices = await Promise.all(
      ["EQ-K1", "EQ-K2", "EQ-K3", "EQ-K4"].map(async (id) => ({ id, password: generatePassword() })),
    );
    const gatewayToken = generateGatewayToken();
    const store = openStore(loadEdgeConfig(env));
    for (const d of devices)
      store.registry.addDevice(d.id, await hashPassword(d.password, "generated"), Date.now());
    store.registry.addGateway("kill9", hashToken(gatewayToken), Date.now());
    store.close();

    const allAcked = new Set<string>();
    const perRun: { acked: number; lost: number; killAfterMs: number }[] = [];
    try {
      for (let run = 1; run <= ITERATIONS; run++) {
        const edge = await spawnEdge(env);
        const load = await startLoad({
          mqttPort: edge.ports.mqtt,
          httpPort: edge.ports.http,
          devices,
          gatewayToken,
          run,
        });
        // Kill at a random moment once acknowledgements flow (on a loaded machine start-up varies by
        // seconds, so a fixed delay would often kill before the first reading).
        await load.firstAck;
        const killAfterMs = Math.floor(Math.random() * 400);
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        edge.child.kill("SIGKILL");
        const { signal } = await edge.exited;
        expect(signal).toBe("SIGKILL");
        await load.stop();

        const stored = readBufferFile(temp.dir);
        for (const key of load.acked) allAcked.add(key);
        // Earlier runs' acknowledged readings must survive this run's recovery too.
        const lost = [...allAcked].filter((key) => !stored.has(key));
        perRun.push({ acked: load.acked.size, lost: lost.length, killAfterMs });
        expect(lost, `run ${run}: acknowledged but not in the buffer after SIGKILL`).toEqual([]);
      }
    } finally {
      console.info(
        `kill -9 runs (acked, lost, kill after ms): ${JSON.stringify(perRun.map((r) => [r.acked, r.lost, r.killAfterMs]))}`,
      );
      temp.remove();
    }
    // The test only proves something if readings were in flight when the kills landed.
    expect(allAcked.size).toBeGreaterThan(ITERATIONS * 50);
    expect(perRun.filter((r) => r.acked > 0).length).toBeGreaterThanOrEqual(Math.ceil(ITERATIONS * 0.8));
  });
});
