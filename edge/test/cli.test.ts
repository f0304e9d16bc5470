/**
 * `pnpm edge` commands against a running edge's buffer file, as an operator would use them: the
 * registry changes take effect without a restart, secrets are printed once and stored as hashes, and
 * the quarantine can be exported and replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/child.ts";
import { connectDevice, httpUrl, startTestEdge, type TestEdge, testEnv, wire } from "./support/edge.ts";

describe("pnpm edge CLI", () => {
  let edge: TestEdge;
  let env: Record<string, string>;

  beforeAll(async () => {
    edge = await startTestEdge();
    env = testEnv(edge.dir, { PLANTLINK_EDGE_HTTP_PORT: String(edge.ports.http) });
  });
  afterAll(() => edge.stop());

  it("device add prints a password once, stores only its scrypt hash, and the running edge accepts it", async () => {
    const { code, stdout } = await runCli(["device", "add", "EQ-C1"], env);
    expect(code).toBe(0);
    const password = stdout.trim();
    expect(password).toMatch(/^[\w-]{24}$/);
    const device = edge.parts.registry.device("EQ-C1");
    expect(device?.passwordHash).toMatch(/^scrypt\$/);
    expect(device?.passwordHash).not.toContain(password);
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-C1", password });

    // Disabling it from another process drops its connection within the edge's registry sweep (5 s).
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    expect((await runCli(["device", "disable", "EQ-C1"], env)).code).toBe(0);
    await closed;
    client.end(true);
  }, 30_000);

  it("refuses an invalid device id with a reason", async () => {
    const { code, stderr } = await runCli(["device", "add", "bad id"], env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/device id contains " "/);
  });

  it("gateway add prints a token once; the edge accepts it at once", async () => {
    const { code, stdout } = await runCli(["gateway", "add", "line-7"], env);
    expect(code).toBe(0);
    const token = stdout.trim();
    const stored = edge.parts.db
      .prepare("SELECT token_hash FROM gateways WHERE name = 'line-7'")
      .pluck()
      .get();
    expect(stored).not.toContain(token);
    const response = await fetch(httpUrl(edge, "/v1/readings"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(wire("EQ-GW", 1_700_000_000_000)),
    });
    expect(response.status).toBe(202);
  });

  it("exports the quarantine as JSON lines and replays what passes once a limit is fixed", async () => {
    const password = await edge.addDevice("EQ-C2");
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-C2", password });
    const ahead = Date.now() + 20 * 60_000; // a device clock 20 min fast: beyond the 5 min skew
    await client.publishAsync("readings/EQ-C2", JSON.stringify(wire("EQ-C2", ahead)), { qos: 1 });
    await client.publishAsync("readings/EQ-C2", "garbage", { qos: 1 });
    await client.endAsync();

    const exported = await runCli(["quarantine", "export"], env);
    const lines = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        origin: "readings/EQ-C2",
        reasonCode: "invalid_reading",
        reason: expect.stringMatching(/in the future/),
      }),
      expect.objectContaining({ reasonCode: "invalid_json", payload: "garbage" }),
    ]);

    const replay = await runCli(["quarantine", "replay"], {
      ...env,
      PLANTLINK_MAX_FUTURE_SKEW_SECONDS: "3600",
    });
    expect(replay.stderr).toMatch(/1 payload\(s\) moved into the buffer as 1 reading\(s\); 1 kept/);
    expect(edge.parts.quarantine.count()).toBe(1);
    const seq = edge.parts.db
      .prepare("SELECT count(*) FROM readings WHERE equipment_id = 'EQ-C2' AND ts = ?")
      .pluck()
      .get(ahead);
    expect(seq).toBe(1);
  }, 30_000);

  it("status reads the running edge, and the buffer file when the edge is down", async () => {
    const running = await runCli(["status", "--json"], env);
    expect(JSON.parse(running.stdout)).toMatchObject({ edgeId: "test-edge", running: true, quarantined: 1 });
    const down = await runCli(["status"], { ...env, PLANTLINK_EDGE_HTTP_PORT: "1" });
    expect(down.stdout).toMatch(/NOT RUNNING/);
    expect(down.stdout).toMatch(/quarantined\s+1/);
  });
});
