/**
 * MQTT 3.1.1 conformance where aedes 1.2 falls short (the Paho interop suite's
 * test_zero_length_clientid among them), over raw TCP so every byte is the test's own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, storedKeys, type TestEdge, wire } from "./support/edge.ts";
import { connectPacket, PUBREL, publishPacket, rawConnect } from "./support/raw-mqtt.ts";

const PUBREC = 5;
const PUBCOMP = 7;
const PUBACK = 4;

describe("MQTT conformance", () => {
  let edge: TestEdge;
  let password: string;

  beforeAll(async () => {
    edge = await startTestEdge();
    password = await edge.addDevice("EQ-C");
  });
  afterAll(() => edge.stop());

  const login = async (fields: Parameters<typeof connectPacket>[0]) => {
    const client = await rawConnect(edge.ports.mqtt);
    client.socket.write(connectPacket(fields));
    return client;
  };

  it("answers a zero-length client id with CleanSession=0 with CONNACK 0x02 (identifier rejected)", async () => {
    const client = await login({ clientId: "", clean: false, username: "EQ-C", password });
    expect(await client.connack()).toEqual({ sessionPresent: false, returnCode: 2 });
    await client.closed;

    const clean = await login({ clientId: "", clean: true, username: "EQ-C", password });
    expect(await clean.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
    clean.end();
  });

  it("says Session Present when the session holds only a QoS 2 message awaiting PUBREL", async () => {
    const first = await login({ clientId: "q2", clean: false, username: "EQ-C", password });
    expect(await first.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
    first.socket.write(publishPacket("readings/EQ-C", JSON.stringify(wire("EQ-C", Date.now() - 1000)), 2, 5));
    await first.received(PUBREC);
    first.end(); // gone before PUBREL
    await first.closed;

    const again = await login({ clientId: "q2", clean: false, username: "EQ-C", password });
    expect(await again.connack()).toEqual({ sessionPresent: true, returnCode: 0 });
    again.socket.write(PUBREL(5));
    await again.received(PUBCOMP);
    again.end();
    await again.closed;

    const done = await login({ clientId: "q2", clean: false, username: "EQ-C", password });
    expect(await done.connack()).toEqual({ sessionPresent: false, returnCode: 0 });
    done.end();
  });

  it("never says Session Present to a refused login", async () => {
    const first = await login({ clientId: "q2-refused", clean: false, username: "EQ-C", password });
    await first.connack();
    first.socket.write(publishPacket("readings/EQ-C", JSON.stringify(wire("EQ-C", Date.now() - 2000)), 2, 9));
    await first.received(PUBREC);
    first.end();
    await first.closed;
    // That session holds a QoS 2 message, but a refused login's CONNACK says no session ([MQTT-3.2.2-4]).
    const wrong = await login({ clientId: "q2-refused", clean: false, username: "EQ-C", password: "wrong" });
    expect(await wrong.connack()).toEqual({ sessionPresent: false, returnCode: 4 });
  });

  it("closes the connection at a QoS 1 PUBLISH with packet id 0: no PUBACK, nothing stored", async () => {
    const client = await login({ clientId: "pid0", username: "EQ-C", password });
    await client.connack();
    const at = Date.now() - 3000;
    client.socket.write(publishPacket("readings/EQ-C", JSON.stringify(wire("EQ-C", at)), 1, 0));
    await client.closed;
    expect(client.bytes().some((byte, i) => i >= 4 && byte >> 4 === PUBACK)).toBe(false);
    expect([...storedKeys(edge)].some((k) => k.startsWith(`EQ-C|${at}|`))).toBe(false);
  });

  it("closes the connection at a CONNECT with will QoS 3, without a CONNACK", async () => {
    const client = await login({
      clientId: "will3",
      username: "EQ-C",
      password,
      will: { topic: "readings/EQ-C", payload: "{}", qos: 3 },
    });
    await expect(client.connack()).rejects.toThrow(/closed/);
  });

  it("closes the connection at a CONNECT with a password but no user name, without a CONNACK", async () => {
    const client = await login({ clientId: "nouser", passwordWithoutUsername: password });
    await expect(client.connack()).rejects.toThrow(/closed/);
  });
});
