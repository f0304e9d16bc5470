/**
 * Group commit: many publishers share one transaction, and no acknowledgement is released before
 * the transaction holding its reading returned — nor at all when it failed.
 */
import type { Reading } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import type { ReadingBuffer } from "../src/buffer/buffer.ts";
import { generateGatewayToken, hashToken } from "../src/buffer/credentials.ts";
import { createGroupCommit } from "../src/buffer/group-commit.ts";
import { BufferFullError, ShuttingDownError } from "../src/errors.ts";
import { connectDevice, startTestEdge, storedKeys, wire } from "./support/edge.ts";

const r = (i: number): Reading => ({ equipmentId: "EQ-G", ts: i, centi: i });

/** A buffer whose commit records what it was given and what had been acknowledged by then. */
function recordingBuffer(fail = false) {
  const commits: { readings: number; ackedBefore: number }[] = [];
  let acked = 0;
  const buffer = {
    commit(readings: readonly Reading[]) {
      commits.push({ readings: readings.length, ackedBefore: acked });
      if (fail) throw new Error("disk I/O error");
      return undefined;
    },
  } as unknown as ReadingBuffer;
  return { buffer, commits, ack: () => acked++, acked: () => acked };
}

function groupCommit(buffer: ReadingBuffer, overrides: { maxReadings?: number; maxDelayMs?: number } = {}) {
  return createGroupCommit({
    buffer,
    maxReadings: overrides.maxReadings ?? 100,
    maxDelayMs: overrides.maxDelayMs ?? 5,
    now: () => 0,
    admission: () => undefined,
    onCommitted: () => {},
    onFailed: () => {},
  });
}

describe("group commit", () => {
  it("writes requests queued within the delay in one transaction, then acknowledges them all", async () => {
    const rec = recordingBuffer();
    const gc = groupCommit(rec.buffer);
    const done = Array.from(
      { length: 30 },
      (_, i) =>
        new Promise<unknown>((resolve) => {
          gc.submit({
            source: "mqtt",
            readings: [r(i)],
            quarantine: [],
            done: (e) => {
              rec.ack();
              resolve(e);
            },
          });
        }),
    );
    expect(rec.acked()).toBe(0);
    expect(await Promise.all(done)).toEqual(Array(30).fill(null));
    expect(rec.commits).toEqual([{ readings: 30, ackedBefore: 0 }]);
  });

  it("commits as soon as the batch is full, in chunks of at most maxReadings", async () => {
    const rec = recordingBuffer();
    const gc = groupCommit(rec.buffer, { maxReadings: 10, maxDelayMs: 10_000 });
    const done = Array.from(
      { length: 25 },
      (_, i) =>
        new Promise((resolve) => {
          gc.submit({ source: "http", readings: [r(i)], quarantine: [], done: resolve });
        }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    gc.close(); // the last 5 would wait 10 s; close() flushes them
    await Promise.all(done);
    expect(rec.commits.map((c) => c.readings)).toEqual([10, 10, 5]);
  });

  it("acknowledges nothing in a batch whose transaction failed", async () => {
    const rec = recordingBuffer(true);
    const gc = groupCommit(rec.buffer);
    const errors = await Promise.all(
      Array.from(
        { length: 3 },
        (_, i) =>
          new Promise<unknown>((resolve) => {
            gc.submit({ source: "mqtt", readings: [r(i)], quarantine: [], done: resolve });
          }),
      ),
    );
    for (const e of errors) expect(e).toMatchObject({ code: "commit_failed" });
  });

  it("refuses without queueing when admission says no, and after close()", () => {
    const rec = recordingBuffer();
    const full = new BufferFullError(10, 10);
    const gc = createGroupCommit({
      buffer: rec.buffer,
      maxReadings: 10,
      maxDelayMs: 1,
      now: () => 0,
      admission: () => full,
      onCommitted: () => {},
      onFailed: () => {},
    });
    let got: unknown;
    gc.submit({
      source: "http",
      readings: [r(1)],
      quarantine: [],
      done: (e) => {
        got = e;
      },
    });
    expect(got).toBe(full);
    const open = groupCommit(rec.buffer);
    open.close();
    open.submit({
      source: "http",
      readings: [r(1)],
      quarantine: [],
      done: (e) => {
        got = e;
      },
    });
    expect(got).toBeInstanceOf(ShuttingDownError);
    expect(rec.commits).toEqual([]);
  });

  it("shares transactions between MQTT connections on a real edge", async () => {
    const edge = await startTestEdge({ PLANTLINK_COMMIT_MAX_DELAY_MS: "20" });
    try {
      const devices = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const id = `EQ-GC${i}`;
          return connectDevice(edge.ports.mqtt, { username: id, password: await edge.addDevice(id) });
        }),
      );
      await Promise.all(
        devices.map((c, i) =>
          c.publishAsync(`readings/EQ-GC${i}`, JSON.stringify(wire(`EQ-GC${i}`, 1_700_000_000_000)), {
            qos: 1,
          }),
        ),
      );
      await Promise.all(devices.map((c) => c.endAsync()));
      const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
      const commits = Number(/plantlink_edge_commit_batch_size_count (\d+)/.exec(metrics)?.[1]);
      expect(metrics).toContain('plantlink_edge_readings_accepted_total{source="mqtt"} 20');
      expect(commits).toBeLessThan(20);
    } finally {
      await edge.stop();
    }
  });

  it("shares transactions between concurrent HTTP requests on a real edge, and answers 202 after them", async () => {
    const edge = await startTestEdge({ PLANTLINK_COMMIT_MAX_DELAY_MS: "20" });
    try {
      const token = generateGatewayToken();
      edge.parts.registry.addGateway("gc-gateway", hashToken(token), Date.now());
      const T = 1_700_000_000_000;
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`http://127.0.0.1:${edge.ports.http}/v1/readings`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify(wire(`EQ-HGC${i}`, T)),
          }).then((response) => {
            // Answered: the reading is in the buffer file already, whatever else is still queued.
            if (response.status === 202) expect(storedKeys(edge).has(`EQ-HGC${i}|${T}|125`)).toBe(true);
            return response.status;
          }),
        ),
      );
      expect(answers).toEqual(Array(40).fill(202));
      const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
      const commits = Number(/plantlink_edge_commit_batch_size_count (\d+)/.exec(metrics)?.[1]);
      expect(metrics).toContain('plantlink_edge_readings_accepted_total{source="http"} 40');
      expect(commits).toBeLessThan(40);
    } finally {
      await edge.stop();
    }
  });
});
