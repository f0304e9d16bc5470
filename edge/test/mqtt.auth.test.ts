/**
 * Closed by default (DESIGN.md 5.6): devices log in with the password registered for them, publish
 * only to their own topic, subscribe to nothing; anonymous clients only when configured.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, startTestEdge, storedKeys, type TestEdge, wire } from "./support/edge.ts";

describe("MQTT authentication and authorisation (default configuration)", () => {
  let edge: TestEdge;
  let passwordA: string;

  beforeAll(async () => {
    edge = await startTestEdge();
    passwordA = await edge.addDevice("EQ-A");
    await edge.addDevice("EQ-B");
  });
  afterAll(() => edge.stop());

  it("refuses a wrong password at CONNECT with 'bad user name or password'", async () => {
    await expect(connectDevice(edge.ports.mqtt, { username: "EQ-A", password: "wrong" })).rejects.toThrow(
      /bad user ?name or password/i,
    );
  });

  it("refuses an unknown device at CONNECT", async () => {
    await expect(
      connectDevice(edge.ports.mqtt, { username: "EQ-NOPE", password: passwordA }),
    ).rejects.toThrow(/bad user ?name or password/i);
  });

  it("refuses anonymous clients at CONNECT", async () => {
    await expect(connectDevice(edge.ports.mqtt)).rejects.toThrow(/not authori[sz]ed/i);
  });

  it("refuses a disabled device at CONNECT", async () => {
    const password = await edge.addDevice("EQ-OFF");
    edge.parts.registry.setDeviceEnabled("EQ-OFF", false, Date.now());
    await expect(connectDevice(edge.ports.mqtt, { username: "EQ-OFF", password })).rejects.toThrow(
      /bad user ?name or password/i,
    );
  });

  it("accepts the right password and stores the device's own readings", async () => {
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-A", password: passwordA });
    await client.publishAsync("readings/EQ-A", JSON.stringify(wire("EQ-A", 1_700_000_000_000)), { qos: 1 });
    await client.endAsync();
    expect(storedKeys(edge).has("EQ-A|1700000000000|125")).toBe(true);
  });

  it("does not let device A publish to readings/EQ-B: no PUBACK, connection closed, nothing stored", async () => {
    const before = storedKeys(edge).size;
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-A", password: passwordA });
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    let acked = false;
    client.publish("readings/EQ-B", JSON.stringify(wire("EQ-B", 1_700_000_001_000)), { qos: 1 }, (error) => {
      if (!error) acked = true;
    });
    await closed;
    client.end(true);
    expect(acked).toBe(false);
    expect(storedKeys(edge).size).toBe(before);
    const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
    expect(metrics).toMatch(
      /plantlink_edge_readings_rejected_total\{source="mqtt",reason="topic_not_allowed"\} 1/,
    );
  });

  it("refuses publishes outside readings/<id>", async () => {
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-A", password: passwordA });
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.publish("readings/EQ-A/extra", "{}", { qos: 1 });
    await closed;
    client.end(true);
  });

  it("grants no subscriptions (SUBACK 128)", async () => {
    const client = await connectDevice(edge.ports.mqtt, { username: "EQ-A", password: passwordA });
    // mqtt.js turns a SUBACK with return code 0x80 into this error; the connection stays up.
    await expect(client.subscribeAsync("readings/#", { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it("keeps device A from taking over device B's session by reusing B's client id", async () => {
    const passwordB = await edge.addDevice("EQ-B2");
    const b = await connectDevice(edge.ports.mqtt, {
      username: "EQ-B2",
      password: passwordB,
      clientId: "sensor-1",
    });
    let bClosed = false;
    b.on("close", () => {
      bClosed = true;
    });
    const a = await connectDevice(edge.ports.mqtt, {
      username: "EQ-A",
      password: passwordA,
      clientId: "sensor-1",
    });
    await b.publishAsync("readings/EQ-B2", JSON.stringify(wire("EQ-B2", 1_700_000_002_000)), { qos: 1 });
    expect(bClosed).toBe(false);
    await a.endAsync();
    await b.endAsync();
  });

  it("refuses MQTT 5 clients at CONNECT: aedes 1.2 speaks MQTT 3.1/3.1.1 only (see README)", async () => {
    await expect(
      connectDevice(edge.ports.mqtt, { username: "EQ-A", password: passwordA, protocolVersion: 5 }),
    ).rejects.toThrow(/unacceptable protocol version|unsupported protocol version/i);
  });
});

describe("MQTT anonymous access (PLANTLINK_ALLOW_ANONYMOUS=true)", () => {
  it("lets clients without credentials publish, and says so loudly in the log", async () => {
    const edge = await startTestEdge({ PLANTLINK_ALLOW_ANONYMOUS: "true" });
    try {
      const client = await connectDevice(edge.ports.mqtt);
      await client.publishAsync("readings/EQ-X", JSON.stringify(wire("EQ-X", 1_700_000_000_000)), { qos: 1 });
      await client.endAsync();
      expect(storedKeys(edge).has("EQ-X|1700000000000|125")).toBe(true);
      expect(edge.logs.some((l) => l.level === 40 && /ANONYMOUS ACCESS IS ON/.test(String(l.msg)))).toBe(
        true,
      );
    } finally {
      await edge.stop();
    }
  });
});
