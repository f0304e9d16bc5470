/** MQTT over TLS and WebSocket reach the same hook: acknowledged after the commit, same auth. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, storedKeys, type TestEdge, tempDir, wire } from "./support/edge.ts";

describe("MQTT transports", () => {
  let edge: TestEdge;
  let password: string;
  let certs: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    certs = tempDir("plantlink-tls-");
    const key = join(certs.dir, "key.pem");
    const cert = join(certs.dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    edge = await startTestEdge({
      PLANTLINK_EDGE_TLS_CERT: cert,
      PLANTLINK_EDGE_TLS_KEY: key,
      PLANTLINK_MQTT_TLS_PORT: "0",
      PLANTLINK_MQTT_WS_PORT: "0",
    });
    password = await edge.addDevice("EQ-TLS");
  });
  afterAll(async () => {
    await edge.stop();
    certs.remove();
  });

  it("accepts QoS 1 over TLS", async () => {
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${edge.ports.mqttTls}`, {
      username: "EQ-TLS",
      password,
      rejectUnauthorized: false,
      reconnectPeriod: 0,
    });
    await client.publishAsync("readings/EQ-TLS", JSON.stringify(wire("EQ-TLS", 1_700_000_000_000)), {
      qos: 1,
    });
    await client.endAsync();
    expect(storedKeys(edge).has("EQ-TLS|1700000000000|125")).toBe(true);
  });

  it("accepts QoS 2 over secure WebSocket", async () => {
    const client = await mqtt.connectAsync(`wss://127.0.0.1:${edge.ports.mqttWs}`, {
      username: "EQ-TLS",
      password,
      rejectUnauthorized: false,
      reconnectPeriod: 0,
    });
    await client.publishAsync("readings/EQ-TLS", JSON.stringify(wire("EQ-TLS", 1_700_000_001_000)), {
      qos: 2,
    });
    await client.endAsync();
    expect(storedKeys(edge).has("EQ-TLS|1700000001000|125")).toBe(true);
  });

  it("serves the HTTP receiver and status over HTTPS", async () => {
    const { Agent, fetch: undiciFetch } = await import("undici");
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    const response = await undiciFetch(`https://127.0.0.1:${edge.ports.http}/healthz`, { dispatcher });
    expect(response.status).toBe(200);
    await dispatcher.close();
  });
});
