/**
 * One computation per answer: concurrent and later identical requests share it; a reading stored
 * inside the answer's span (the window, or the status baseline's days before it), or a change of
 * limits, makes the next request compute again, and one stored outside does not. The pruner deletes
 * marks only once no cached snapshot can need them.
 */
import type { Reading } from "@plantlink/shared";
import { beforeEach, describe, expect, it } from "vitest";
import { AnswerCache, type AnswerSpec, PRUNE_LAG_MS } from "../../src/answers/answer-cache.ts";
import { averagesSpec, seriesSpec } from "../../src/answers/answer-specs.ts";
import { writeLimits } from "../../src/equipment/limits.ts";
import { DEFAULT_STATUS_THRESHOLDS } from "../../src/equipment/status.ts";
import { ingest } from "../../src/ingest/ingest.ts";
import { resetReadings } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const { sql } = db;
const context = { sql, thresholds: DEFAULT_STATUS_THRESHOLDS };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const AT = Date.parse("2024-06-01T12:00:00Z");

const at = (ts: number, centi = 100, equipmentId = "EQ-1"): Reading => ({ equipmentId, ts, centi });

/** The spec with its computations counted. */
function counted(spec: AnswerSpec): { spec: AnswerSpec; computations: () => number } {
  let n = 0;
  return {
    spec: {
      ...spec,
      compute: () => {
        n++;
        return spec.compute();
      },
    },
    computations: () => n,
  };
}

const bodyOf = async (cache: AnswerCache, spec: AnswerSpec) =>
  JSON.parse((await cache.answer(spec)).body.toString()) as {
    sensors: { equipmentId: string; count: number; baseline: unknown; status: string }[];
  };

beforeEach(() => resetReadings(sql, "ingest_marks", "equipment_limits"));

describe("one computation per answer", () => {
  it("is shared by concurrent and later identical requests", async () => {
    await ingest(sql, [at(AT - 10 * MINUTE)], "direct");
    const cache = new AnswerCache(sql);
    const { spec, computations } = counted(
      averagesSpec(context, { window: "24h", at: AT, equipmentIds: undefined }),
    );
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.answer(spec)));
    expect(computations()).toBe(1);
    expect(new Set(answers.map((a) => a.etag)).size).toBe(1);
    await cache.answer(spec);
    expect(computations()).toBe(1);
  });

  it("is computed again after an ingest inside the window, not after one outside it", async () => {
    await ingest(sql, [at(AT - 10 * MINUTE)], "direct");
    const cache = new AnswerCache(sql);
    const { spec, computations } = counted(
      averagesSpec(context, { window: "24h", at: AT, equipmentIds: undefined }),
    );
    expect((await bodyOf(cache, spec)).sensors[0]?.count).toBe(1);

    // After `at`, and before the baseline's first day: neither changes this answer.
    // (Separate transactions: a mark spans its transaction's earliest to latest timestamp.)
    await ingest(sql, [at(AT + 1)], "direct");
    await ingest(sql, [at(AT - 30 * DAY)], "direct");
    await ingest(sql, [at(AT + MINUTE, 100, "EQ-2")], "direct");
    expect((await bodyOf(cache, spec)).sensors[0]?.count).toBe(1);
    expect(computations()).toBe(1);

    // Exactly at the window's end, which is inside it.
    await ingest(sql, [at(AT)], "direct");
    expect((await bodyOf(cache, spec)).sensors[0]?.count).toBe(2);
    expect(computations()).toBe(2);
  });

  it("is computed again after an ingest in the status baseline's days before the window", async () => {
    await ingest(sql, [at(AT - 10 * MINUTE)], "direct");
    const cache = new AnswerCache(sql);
    const { spec, computations } = counted(
      averagesSpec(context, { window: "24h", at: AT, equipmentIds: undefined }),
    );
    expect((await bodyOf(cache, spec)).sensors[0]?.baseline).toBeNull();
    await ingest(sql, [at(AT - 3 * DAY), at(AT - 3 * DAY + MINUTE)], "direct");
    expect((await bodyOf(cache, spec)).sensors[0]?.baseline).toEqual({ mean: 1, sd: 0, count: 2 });
    expect(computations()).toBe(2);
  });

  it("is computed again after a change of limits", async () => {
    await ingest(sql, [at(AT - 10 * MINUTE)], "direct");
    const cache = new AnswerCache(sql);
    const { spec, computations } = counted(
      averagesSpec(context, { window: "24h", at: AT, equipmentIds: undefined }),
    );
    expect((await bodyOf(cache, spec)).sensors[0]?.status).not.toBe("critical");
    const limits = {
      warningLow: null,
      warningHigh: null,
      criticalLow: null,
      criticalHigh: 50,
      target: null,
      sentinels: [],
      validMin: null,
      validMax: null,
    };
    await writeLimits(sql, "EQ-1", limits, { tokenId: "1", name: "test" });
    expect((await bodyOf(cache, spec)).sensors[0]?.status).toBe("critical");
    expect(computations()).toBe(2);
  });

  it("keeps a series through ingests outside its window", async () => {
    await ingest(sql, [at(AT - 10 * MINUTE)], "direct");
    const cache = new AnswerCache(sql);
    const known = async () => undefined;
    const { spec, computations } = counted(
      seriesSpec(context, { equipmentId: "EQ-1", window: "24h", at: AT, points: 24 }, known),
    );
    await cache.answer(spec);
    await ingest(sql, [at(AT - 3 * DAY)], "direct");
    await cache.answer(spec);
    expect(computations()).toBe(1);
    await ingest(sql, [at(AT - DAY + 1)], "direct");
    await cache.answer(spec);
    expect(computations()).toBe(2);
  });
});

describe("the mark pruner", () => {
  it("deletes a mark only when a snapshot taken the lag before it already saw it", async () => {
    let now = AT;
    const cache = new AnswerCache(sql, { now: () => now });
    await ingest(sql, [at(AT - MINUTE)], "direct");
    expect(await cache.prune()).toBe(0);
    await ingest(sql, [at(AT - 2 * MINUTE)], "direct");
    now += PRUNE_LAG_MS - 1;
    expect(await cache.prune()).toBe(0);
    now += 1;
    // The first ingest committed before the first round's snapshot; the second did not.
    expect(await cache.prune()).toBe(1);
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from ingest_marks`;
    expect(left?.n).toBe(1);
  });
});
