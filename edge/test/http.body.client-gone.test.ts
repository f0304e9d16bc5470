/**
 * A client that leaves while its request is being authenticated (an scrypt check takes tens of ms)
 * must not leave a body read waiting for ever: the read ends with an error and the request with it.
 */
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { readBodyText } from "../src/http/body.ts";

const outcomes: string[] = [];
const app = new Hono();
app.post("/v1/readings", async (c) => {
  // Stands in for the credential check that runs before the body is read.
  await new Promise((resolve) => setTimeout(resolve, 200));
  try {
    const body = await readBodyText(c, 1_000_000);
    outcomes.push(body.ok ? "read" : body.reason);
  } catch {
    outcomes.push("client gone");
  }
  return c.body(null, 204);
});
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
await new Promise<void>((resolve) => server.once("listening", () => resolve()));
const { port } = server.address() as AddressInfo;
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("reading a body whose client left", () => {
  it("ends the read with an error instead of waiting for ever", async () => {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    // Half the body, then the client gives up.
    socket.write(
      "POST /v1/readings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        'Content-Length: 100\r\n\r\n{"equipmentId":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect.poll(() => outcomes, { timeout: 2_000 }).toEqual(["client gone"]);
  });
});
