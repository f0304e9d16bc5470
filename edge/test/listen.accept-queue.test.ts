/**
 * A plant's gateways and devices reconnecting at once after an outage, while the edge is busy: all of
 * them are held in the accept queue of the HTTP receiver and of the MQTT broker, and answered as soon
 * as the edge is free, not after TCP's retransmission back-off (a second and more: with Node's default
 * queue of 511, 2,000 simultaneous clients took 1.9 s here).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectStorm, kernelBacklogCap } from "../../shared/test/support/connect-storm.ts";
import { startTestEdge, type TestEdge } from "./support/edge.ts";

const CLIENTS = 2_000;

describe.skipIf(kernelBacklogCap() < CLIENTS)("the edge's listeners", () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge();
  });
  afterAll(() => edge.stop());

  it(`HTTP holds ${CLIENTS} simultaneous connections until it can accept them`, async () => {
    const ms = await connectStorm(edge.ports.http, {
      clients: CLIENTS,
      busyMs: 300,
      request: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    });
    // A dropped handshake is retried after 1 s at the earliest.
    expect(ms).toBeLessThan(1_000);
  }, 30_000);

  it(`MQTT holds ${CLIENTS} simultaneous connections until it can accept them`, async () => {
    const ms = await connectStorm(edge.ports.mqtt, {
      clients: CLIENTS,
      busyMs: 300,
      // PINGREQ before CONNECT: closed at once, with no password to check.
      request: Buffer.from([0xc0, 0]),
    });
    expect(ms).toBeLessThan(1_000);
  }, 30_000);
});
