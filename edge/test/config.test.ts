/** Configuration: defaults a plant can start with, and a message naming each bad variable. */
import { ConfigError } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { loadEdgeConfig } from "../src/config.ts";

const problems = (env: Record<string, string>) => {
  try {
    loadEdgeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("edge configuration", () => {
  it("starts from documented defaults", () => {
    const config = loadEdgeConfig({}, { hostname: "plant 7.local" });
    expect(config).toMatchObject({
      edgeId: "plant-7.local",
      mqtt: {
        port: 1883,
        tlsPort: undefined,
        wsPort: undefined,
        allowAnonymous: false,
        allowSubscribe: false,
        maxPayloadBytes: 262_144,
      },
      http: { port: 8081, maxBodyBytes: 4_194_304 },
      tls: undefined,
      buffer: { maxBytes: 4e9, diskReserveBytes: 1e9, synchronous: "FULL", retentionMs: 86_400_000 },
      commit: { maxReadings: 5000, maxDelayMs: 2 },
      maxFutureSkewMs: 300_000,
      logLevel: "info",
    });
    expect(config.dataDir).toMatch(/data\/edge$/);
  });

  it("reads sizes, durations and switches", () => {
    const config = loadEdgeConfig({
      PLANTLINK_BUFFER_MAX_BYTES: "512MiB",
      PLANTLINK_BUFFER_RETENTION_HOURS: "0.5",
      PLANTLINK_BUFFER_SYNCHRONOUS: "NORMAL",
      PLANTLINK_ALLOW_ANONYMOUS: "yes",
      PLANTLINK_MQTT_WS_PORT: "9001",
    });
    expect(config.buffer).toMatchObject({
      maxBytes: 512 * 1024 * 1024,
      retentionMs: 1_800_000,
      synchronous: "NORMAL",
    });
    expect(config.mqtt).toMatchObject({ allowAnonymous: true, wsPort: 9001 });
  });

  it("names every bad variable and what it expected", () => {
    expect(
      problems({
        PLANTLINK_MQTT_PORT: "70000",
        PLANTLINK_BUFFER_SYNCHRONOUS: "OFF",
        PLANTLINK_BUFFER_MAX_BYTES: "lots",
      }),
    ).toEqual([
      expect.stringMatching(/^PLANTLINK_MQTT_PORT: expected a port number/),
      expect.stringMatching(/^PLANTLINK_BUFFER_MAX_BYTES: expected a size/),
      expect.stringMatching(/^PLANTLINK_BUFFER_SYNCHRONOUS: expected FULL, NORMAL or EXTRA/),
    ]);
    expect(problems({ PLANTLINK_EDGE_ID: "bad id" })).toEqual([
      expect.stringMatching(/^PLANTLINK_EDGE_ID: expected 1-128/),
    ]);
  });

  it("requires the TLS certificate and key together, and both for MQTT over TLS", () => {
    expect(problems({ PLANTLINK_EDGE_TLS_CERT: "/c.pem" })).toEqual([
      expect.stringMatching(/^PLANTLINK_EDGE_TLS_KEY: set both/),
    ]);
    expect(problems({ PLANTLINK_MQTT_TLS_PORT: "8883" })).toEqual([
      expect.stringMatching(/^PLANTLINK_MQTT_TLS_PORT: MQTT over TLS needs/),
    ]);
  });

  it("refuses plain http:// to a remote central unless allowed, since the token would cross in clear", () => {
    const forwardTo = (url: string, extra: Record<string, string> = {}) => ({
      PLANTLINK_CENTRAL_URL: url,
      PLANTLINK_CENTRAL_TOKEN: "plt_x",
      ...extra,
    });
    expect(problems(forwardTo("http://central.example.com:8080"))).toEqual([
      expect.stringMatching(/^PLANTLINK_CENTRAL_URL: .*in clear.*PLANTLINK_ALLOW_INSECURE_CENTRAL=true/),
    ]);
    expect(problems(forwardTo("http://10.0.0.5"))).toEqual([expect.stringMatching(/in clear/)]);
    expect(
      loadEdgeConfig(forwardTo("http://central.example.com", { PLANTLINK_ALLOW_INSECURE_CENTRAL: "true" }))
        .forward,
    ).toMatchObject({ url: "http://central.example.com", plainHttp: "allowed" });
    // Loopback never leaves the machine: a local TLS-terminating tunnel or proxy, and the tests.
    for (const url of ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"]) {
      expect(loadEdgeConfig(forwardTo(url)).forward).toMatchObject({ url, plainHttp: "loopback" });
    }
    expect(loadEdgeConfig(forwardTo("https://central.example.com")).forward).toMatchObject({
      plainHttp: undefined,
    });
    expect(problems({ PLANTLINK_ALLOW_INSECURE_CENTRAL: "maybe" })).toEqual([
      expect.stringMatching(/^PLANTLINK_ALLOW_INSECURE_CENTRAL: expected true or false/),
    ]);
  });
});
