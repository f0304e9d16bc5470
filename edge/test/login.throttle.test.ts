/**
 * Failed logins are limited per client address (shared LoginThrottle, 10 a minute): after that the
 * address is refused on MQTT (CONNACK 5) and HTTP (429 with Retry-After) before any password is
 * checked, even with the right credentials — while a device on another address logs in as usual.
 */
import { LOGIN_THROTTLE_DEFAULTS } from "@plantlink/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requestFrom } from "../../shared/test/support/request-from.ts";
import { startTestEdge, type TestEdge, wire } from "./support/edge.ts";
import { connectPacket, rawConnect } from "./support/raw-mqtt.ts";

const ATTACKER = "127.0.0.1";
const OTHER = "127.0.0.2";
const FAILURES = LOGIN_THROTTLE_DEFAULTS.maxFailures;

async function mqttLogin(edge: TestEdge, from: string, username: string, password: string) {
  const client = await rawConnect(edge.ports.mqtt, from);
  client.socket.write(connectPacket({ clientId: `c${Math.random()}`, username, password }));
  try {
    return (await client.connack()).returnCode;
  } finally {
    client.end();
  }
}

function post(edge: TestEdge, from: string, authorization: string) {
  return requestFrom(
    from,
    {
      host: "127.0.0.1",
      port: edge.ports.http,
      method: "POST",
      path: "/v1/readings",
      headers: { authorization, "content-type": "application/json" },
    },
    JSON.stringify(wire("EQ-T", Date.now() - 1000)),
  );
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("failed-login throttling on the edge", () => {
  let edge: TestEdge;
  let password: string;

  beforeEach(async () => {
    edge = await startTestEdge();
    password = await edge.addDevice("EQ-T");
  });
  afterEach(() => edge.stop());

  it(`refuses MQTT logins from an address after ${FAILURES} failures, right password included; other addresses log in`, async () => {
    for (let i = 0; i < FAILURES; i++) {
      expect(await mqttLogin(edge, ATTACKER, "EQ-T", `guess-${i}`)).toBe(4);
    }
    expect(await mqttLogin(edge, ATTACKER, "EQ-T", password)).toBe(5);
    expect(
      edge.logs.some((l) => /too many failed logins/.test(String(l.msg)) && l.address === ATTACKER),
    ).toBe(true);
    expect(await mqttLogin(edge, OTHER, "EQ-T", password)).toBe(0);
  });

  it("answers 429 with Retry-After on HTTP once an address failed too often, and the MQTT side shares the block", async () => {
    for (let i = 0; i < FAILURES; i++) {
      expect((await post(edge, ATTACKER, `Bearer wrong-${i}`)).status).toBe(401);
    }
    const blocked = await post(edge, ATTACKER, basic("EQ-T", password));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(59);
    expect(JSON.parse(blocked.body).detail).toMatch(/too many failed logins/);
    expect(await mqttLogin(edge, ATTACKER, "EQ-T", password)).toBe(5);

    expect((await post(edge, OTHER, basic("EQ-T", password))).status).toBe(202);
  });

  it("a successful login clears the address's failures", async () => {
    for (let i = 0; i < FAILURES - 1; i++) await mqttLogin(edge, ATTACKER, "EQ-T", `guess-${i}`);
    expect(await mqttLogin(edge, ATTACKER, "EQ-T", password)).toBe(0);
    for (let i = 0; i < FAILURES - 1; i++) {
      expect(await mqttLogin(edge, ATTACKER, "EQ-T", `again-${i}`)).toBe(4);
    }
    expect(await mqttLogin(edge, ATTACKER, "EQ-T", password)).toBe(0);
  });
});
