/**
 * Connection timeouts: a client dribbling headers, a silent or idle connection and a stalled body are
 * cut off, while a slow upload that keeps moving runs as long as it needs.
 */
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { bearer, startTestCentral, TEST_NOW } from "./test-central.ts";

const timeouts = { headersMs: 800, keepAliveMs: 400, idleMs: 800 };
const central = await startTestCentral({ timeouts });
const vendor = await central.tokenFor("vendor");
const { port } = new URL(central.url);

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Milliseconds until the server closes `socket`; what it sent meanwhile. */
function closed(socket: Socket, started: number): Promise<{ ms: number; received: string }> {
  let received = "";
  socket.on("data", (chunk) => {
    received += chunk.toString();
  });
  socket.on("error", () => {});
  return new Promise((resolve) =>
    socket.once("close", () => resolve({ ms: performance.now() - started, received })),
  );
}

describe("connection timeouts", () => {
  it("cuts off a client that sends its headers a byte at a time, forever", async () => {
    const socket = await open();
    const started = performance.now();
    const end = closed(socket, started);
    const dribble = setInterval(() => socket.write("X"), 50);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const { ms, received } = await end;
    clearInterval(dribble);
    expect(ms).toBeGreaterThanOrEqual(timeouts.headersMs - 50);
    expect(ms).toBeLessThan(timeouts.headersMs + 2_000);
    expect(received).toMatch(/^HTTP\/1.1 408/);
  });

  it("closes a connection that never sends a request", async () => {
    const socket = await open();
    const { ms } = await closed(socket, performance.now());
    expect(ms).toBeLessThan(timeouts.idleMs + 2_000);
  });

  it("closes an idle keep-alive connection after its answer", async () => {
    const socket = await open();
    const end = closed(socket, performance.now());
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const { ms, received } = await end;
    expect(received).toMatch(/^HTTP\/1.1 200/);
    expect(ms).toBeLessThan(timeouts.keepAliveMs + 1_500);
  });

  it("cuts off a request whose body stops coming", async () => {
    const socket = await open();
    const end = closed(socket, performance.now());
    socket.write(
      `POST /v1/backfill HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${vendor}\r\n` +
        "Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\nequipmentId,timestamp,value\r\n",
    );
    const { ms } = await end;
    expect(ms).toBeLessThan(timeouts.idleMs + 2_000);
  });

  it("lets a slow upload that keeps moving run far past every timeout", async () => {
    const rows = 40;
    const lines = Array.from(
      { length: rows },
      (_, i) => `SLOW-1,${new Date(TEST_NOW - (i + 1) * 60_000).toISOString()},${i}\n`,
    );
    let sent = 0;
    const started = performance.now();
    // A row every 100 ms: 4 s in all, five times the idle timeout and the headers timeout.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode("equipmentId,timestamp,value\n"));
        await new Promise((resolve) => setTimeout(resolve, 100));
        controller.enqueue(new TextEncoder().encode(lines[sent++]));
        if (sent === rows) controller.close();
      },
    });
    const response = await fetch(`${central.url}/v1/backfill`, {
      method: "POST",
      headers: { ...bearer(vendor), "Content-Type": "text/csv" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(201);
    expect(((await response.json()) as { inserted: number }).inserted).toBe(rows);
    expect(performance.now() - started).toBeGreaterThan(4 * timeouts.idleMs);
  }, 20_000);
});
