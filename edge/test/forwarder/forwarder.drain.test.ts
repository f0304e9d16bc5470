import { afterEach, describe, expect, it } from "vitest";
import { type FakeCentral, identity, startFakeCentral } from "./fake-central.ts";
import { fill, forward, openTestBuffer, removeDir, type TestBuffer, until } from "./harness.ts";

let central: FakeCentral;
let t: TestBuffer;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

async function setup() {
  central = await startFakeCentral();
  t = openTestBuffer();
  cleanups.push(
    () => central.close(),
    () => removeDir(t.dir),
    () => t.close(),
  );
}

describe("forwarder drain", () => {
  it("sends every unsynced reading once, oldest first, gzip-encoded with the edge token, then marks it synced", async () => {
    await setup();
    fill(t.buffer, 0, 3000);
    const { forwarder } = forward(t, central.url, { token: "plt_edge_token", maxInFlight: 1 });
    await until(() => t.buffer.countUnsynced() === 0, 10_000, "drain");
    await forwarder.close();

    expect(central.stored.size).toBe(3000);
    expect(central.requests.every((r) => r.authorization === "Bearer plt_edge_token")).toBe(true);
    expect(central.requests.every((r) => r.encoding === "gzip")).toBe(true);
    // One batch in flight: arrival order is seq order, so the oldest readings went first.
    const values = central.requests.flatMap((r) => r.readings.map((x) => x.value));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(central.requests.every((r) => r.batch.edgeId === "site-1")).toBe(true);
    const first = central.requests[0]?.batch;
    expect(first?.backlog).toBe(3000);
    expect(first?.oldestUnsyncedMs).toBeGreaterThanOrEqual(0);
    expect(forwarder.status().totals).toMatchObject({ readings: 3000, inserted: 3000, duplicates: 0 });
  });

  it("keeps several batches in flight, up to the limit", async () => {
    await setup();
    fill(t.buffer, 0, 4000);
    let open = 0;
    let peak = 0;
    central.setAnswer(() => {
      open += 1;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open -= 1;
      }, 100);
      return { delayMs: 100 };
    });
    const { forwarder } = forward(t, central.url, { maxInFlight: 3, maxReadings: 250 });
    await until(() => t.buffer.countUnsynced() === 0, 15_000, "drain");
    await forwarder.close();
    expect(central.stored.size).toBe(4000);
    expect(peak).toBe(3);
  }, 20_000);

  it("marks nothing synced until central answers 2xx, and retries 5xx with backoff until it does", async () => {
    await setup();
    fill(t.buffer, 0, 1000);
    central.setAnswer((_, n) => (n <= 4 ? { status: 503, body: { detail: "restarting" } } : undefined));
    const { forwarder, registry } = forward(t, central.url);
    await until(() => central.requests.length >= 2, 5000, "retries");
    expect(t.buffer.countUnsynced()).toBe(1000);
    await until(() => t.buffer.countUnsynced() === 0, 10_000, "drain");
    await forwarder.close();
    expect(central.stored.size).toBe(1000);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/plantlink_edge_forwarder_failures_total\{code="http_503"\} [1-9]/);
    expect(forwarder.status().lastError?.message).toContain("503");
  });

  it("resends a batch whose answer was lost as the same batch id, and central counts it once", async () => {
    await setup();
    fill(t.buffer, 0, 1000);
    central.setAnswer((_, n) => (n === 1 ? { drop: true } : undefined));
    const { forwarder } = forward(t, central.url, { maxInFlight: 1 });
    await until(() => t.buffer.countUnsynced() === 0, 10_000, "drain");
    await forwarder.close();
    const lost = central.requests[0]?.batch.batchId;
    expect(central.requests.filter((r) => r.batch.batchId === lost).length).toBe(2);
    expect(central.stored.size).toBe(1000);
    expect(forwarder.status().totals.inserted + forwarder.status().totals.duplicates).toBe(1000);
  });

  it("rebuilds the same batch ids after a restart, so central replays instead of storing twice", async () => {
    await setup();
    fill(t.buffer, 0, 2000);
    // The first run's batches all commit at central but no answer ever comes back.
    central.setAnswer(() => ({ drop: true }));
    const first = forward(t, central.url, { maxInFlight: 2 });
    await until(() => central.answers.size >= 2, 5000, "first run's batches");
    await first.forwarder.close();
    const firstIds = new Set(central.requests.map((r) => r.batch.batchId));
    expect(t.buffer.countUnsynced()).toBe(2000);

    central.setAnswer(undefined);
    const before = central.requests.length;
    const second = forward(t, central.url, { maxInFlight: 2 });
    await until(() => t.buffer.countUnsynced() === 0, 10_000, "drain");
    await second.forwarder.close();
    const secondIds = central.requests.slice(before).map((r) => r.batch.batchId);
    expect(secondIds.length).toBe(4);
    // The batches the first run got through (unanswered) are rebuilt identically by the second run.
    expect(secondIds.filter((id) => firstIds.has(id)).length).toBe(firstIds.size);
    expect(second.forwarder.status().totals).toMatchObject({ readings: 2000, inserted: 2000 });
    expect(central.stored.size).toBe(2000);
  });

  it("splits a batch central refuses as too large (413) and sends the halves", async () => {
    await setup();
    fill(t.buffer, 0, 800);
    central.setAnswer((r) =>
      r.readings.length > 150 ? { status: 413, body: { detail: "too big" } } : undefined,
    );
    const { forwarder } = forward(t, central.url, { maxReadings: 400 });
    await until(() => t.buffer.countUnsynced() === 0, 10_000, "drain");
    await forwarder.close();
    expect(central.stored.size).toBe(800);
    expect(forwarder.status().totals.splits).toBeGreaterThanOrEqual(2);
    expect(forwarder.status().limits.maxReadings).toBeLessThanOrEqual(150);
  });

  it("quarantines the readings central rejected, with central's reason, and marks them synced", async () => {
    await setup();
    fill(t.buffer, 0, 10);
    central.setAnswer((r) => ({
      status: 200,
      body: {
        received: r.readings.length,
        inserted: r.readings.length - 2,
        duplicates: 0,
        conflicts: 0,
        rejected: 2,
        errors: [
          { index: 3, field: "timestamp", reason: "timestamp is 2 h in the future" },
          { index: 7, field: "value", reason: "value is out of range" },
        ],
      },
    }));
    const { forwarder } = forward(t, central.url);
    await until(() => t.buffer.countUnsynced() === 0, 5000, "drain");
    await forwarder.close();
    const entries = t.quarantine.page(0, 10);
    expect(entries.map((e) => e.itemIndex)).toEqual([3, 7]);
    expect(entries[0]?.reason).toContain("timestamp is 2 h in the future");
    expect(entries[0]?.source).toBe("central");
    const raw = JSON.parse(Buffer.from(entries[1]?.raw ?? []).toString("utf8")) as { value: number };
    expect(raw.value).toBe(0.07);
    expect(forwarder.status().totals.rejected).toBe(2);
  });

  it("does not mark a batch synced on an answer that does not account for every reading", async () => {
    await setup();
    fill(t.buffer, 0, 10);
    // Two readings rejected, one named: the other would be neither at central nor in the quarantine.
    central.setAnswer((r) => ({
      status: 200,
      body: {
        received: r.readings.length,
        inserted: r.readings.length - 2,
        duplicates: 0,
        conflicts: 0,
        rejected: 2,
        errors: [{ index: 3, field: "timestamp", reason: "too far ahead" }],
      },
    }));
    const { forwarder } = forward(t, central.url);
    await until(() => forwarder.status().lastError !== undefined, 5000, "the refusal");
    expect(forwarder.status().lastError).toMatchObject({ code: "answer_mismatch" });
    expect(forwarder.status().lastError?.message).toContain("named 1 of them");
    expect(forwarder.status().state).toBe("retrying");
    expect(t.buffer.countUnsynced()).toBe(10);
    expect(t.quarantine.count()).toBe(0);
    await forwarder.close();
  });

  it("stops on 401, says so in status and metrics, and sends nothing more", async () => {
    await setup();
    fill(t.buffer, 0, 500);
    central.setAnswer(() => ({ status: 401, body: { detail: "the token is unknown or revoked" } }));
    const { forwarder, registry } = forward(t, central.url);
    await until(() => forwarder.status().state === "stopped", 5000, "stop");
    const seen = central.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(central.requests.length).toBe(seen);
    const status = forwarder.status();
    expect(status.stopped?.code).toBe("unauthorized");
    expect(status.lastError?.message).toContain("PLANTLINK_CENTRAL_TOKEN");
    expect(t.buffer.stats().lastError?.message).toContain("revoked");
    expect(await registry.metrics()).toMatch(/plantlink_edge_forwarder_auth_failed 1/);
    expect(t.buffer.countUnsynced()).toBe(500);
    await forwarder.close();
  });

  it("sends live readings in their own lane while an old backlog drains", async () => {
    await setup();
    fill(t.buffer, 0, 20_000, 10, Date.now() - 3_600_000);
    // Slow central: the backlog takes a while, which is when live data must not wait behind it.
    central.setAnswer(() => undefined);
    const { forwarder } = forward(t, central.url, { maxReadings: 500, maxInFlight: 2 });
    await until(() => central.requests.length >= 2, 5000, "first batches");
    fill(t.buffer, 1_000_000, 50, 10);
    const liveKeys = new Set(
      Array.from({ length: 50 }, (_, i) => {
        const n = 1_000_000 + i;
        return `EQ-${n % 10}@${Date.UTC(2024, 0, 1) + Math.floor(n / 10) * 1000}`;
      }),
    );
    await until(() => [...liveKeys].every((k) => central.stored.has(k)), 5000, "live readings at central");
    expect(t.buffer.countUnsynced()).toBeGreaterThan(0);
    await until(() => t.buffer.countUnsynced() === 0, 20_000, "drain");
    await forwarder.close();
    expect(central.stored.size).toBe(20_050);
    const sent = central.requests.flatMap((r) => r.readings.map(identity));
    expect(new Set(sent).size).toBe(sent.length);
  });
});
