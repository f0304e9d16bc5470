/**
 * The shared answer cache never serves an answer that differs from a fresh computation, property-based
 * against a real PostgreSQL: random sequences of ingests (inside and outside the cached windows, at
 * their exact edges, duplicates and conflicts), CSV-style backfills of old data (the backfill's
 * all-new path), limit changes, ingests racing a lookup, and queries of every cached answer with `at`
 * drawn from a few instants (so keys repeat and entries are reused). Each cached answer must deep-equal
 * the answer computed afresh right after it.
 */
import type { Reading } from "@plantlink/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnswerCache, type AnswerSpec } from "../../src/answers/answer-cache.ts";
import {
  type AnswerContext,
  averagesSpec,
  equipmentSpec,
  seriesSpec,
  sparklinesSpec,
} from "../../src/answers/answer-specs.ts";
import { WINDOW_NAMES, WINDOWS } from "../../src/averages/windows.ts";
import { writeLimits } from "../../src/equipment/limits.ts";
import { DEFAULT_STATUS_THRESHOLDS } from "../../src/equipment/status.ts";
import { ingest, ingestInTransaction } from "../../src/ingest/ingest.ts";
import { resetReadings } from "../support/rollups.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const { sql } = db;
const context: AnswerContext = { sql, thresholds: DEFAULT_STATUS_THRESHOLDS };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = Date.parse("2024-06-01T12:00:00Z");
const SENSORS = ["EQ-1", "EQ-2", "EQ-3"];
/** The `at` of every query: few, so the same key comes back and cached entries are reused. */
const ATS = [T0, T0 - 30 * MINUTE, T0 - 2 * DAY - 7 * MINUTE];

/**
 * Instants on the cached windows' edges (and a millisecond off them), in the baselines before them, or
 * anywhere in 45 days.
 */
const instantArb = fc.oneof(
  fc
    .record({
      at: fc.constantFrom(...ATS),
      // The windows' edges, and days in the status baseline before a window (3, 5, 9 and 38 days back).
      back: fc.constantFrom(
        0,
        ...WINDOW_NAMES.map((w) => WINDOWS[w].ms),
        3 * DAY,
        5 * DAY,
        9 * DAY,
        38 * DAY,
      ),
      nudge: fc.constantFrom(-1, 0, 1),
    })
    .map(({ at, back, nudge }) => at - back + nudge),
  fc.integer({ min: T0 - 45 * DAY, max: T0 + 60 * MINUTE }),
);

const readingArb = fc.record({
  equipmentId: fc.constantFrom(...SENSORS),
  ts: instantArb,
  // Few values, so a repeated identity is as often a duplicate as a conflict.
  centi: fc.constantFrom(100, 250, -75),
});

const readingsArb = fc.array(readingArb, { minLength: 1, maxLength: 6 });

const queryArb = fc.record({
  kind: fc.constantFrom("averages", "averages-one", "equipment", "series", "sparklines"),
  window: fc.constantFrom(...WINDOW_NAMES),
  at: fc.constantFrom(...ATS),
  sensor: fc.constantFrom(...SENSORS),
  points: fc.constantFrom(24, 300),
});
type Query = typeof queryArb extends fc.Arbitrary<infer Q> ? Q : never;

const actionArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ action: fc.constant("ingest" as const), readings: readingsArb }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant("backfill" as const), readings: readingsArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      action: fc.constant("limits" as const),
      sensor: fc.constantFrom(...SENSORS),
      warningHigh: fc.constantFrom(null, 120, 300),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ action: fc.constant("race" as const), readings: readingsArb, query: fc.nat() }),
  },
  { weight: 6, arbitrary: fc.record({ action: fc.constant("query" as const), query: fc.nat() }) },
);

function specOf(query: Query): AnswerSpec {
  const { window, at, points } = query;
  switch (query.kind) {
    case "averages":
      return averagesSpec(context, { window, at, equipmentIds: undefined });
    case "averages-one":
      return averagesSpec(context, { window, at, equipmentIds: [query.sensor] });
    case "equipment":
      return equipmentSpec(context, { window, at, prefix: undefined });
    case "series":
      return seriesSpec(context, { equipmentId: query.sensor, window, at, points }, async () => undefined);
    default:
      return sparklinesSpec(context, { window, at, points, equipmentIds: undefined });
  }
}

const fresh = async (spec: AnswerSpec) => JSON.parse(JSON.stringify(await spec.compute())) as unknown;

describe("the answer cache", () => {
  it("serves only answers equal to a fresh computation, whatever was ingested before", async () => {
    let reused = 0;
    await fc.assert(
      // A run's queries come from a few (like a few open dashboards), so the same keys come back.
      fc.asyncProperty(
        fc.array(queryArb, { minLength: 1, maxLength: 4 }),
        fc.array(actionArb, { minLength: 5, maxLength: 30 }),
        async (queries, actions) => {
          const queryOf = (n: number) => queries[n % queries.length]!;
          await resetReadings(sql, "ingest_marks", "equipment_limits");
          const cache = new AnswerCache(sql, { onLookup: (outcome) => outcome === "hit" && reused++ });
          let upload = 0;
          for (const step of actions) {
            if (step.action === "ingest") await ingest(sql, step.readings as Reading[], "direct");
            else if (step.action === "backfill") {
              // The CSV path: the lane expects new rows and takes the plain insert first.
              const old = step.readings.map((r) => ({ ...r, ts: r.ts - 20 * DAY }));
              await sql.begin((tx) =>
                ingestInTransaction(tx, old, `upload-${++upload}`, { expectNew: true }),
              );
            } else if (step.action === "limits") {
              const limits = {
                warningLow: null,
                warningHigh: step.warningHigh,
                criticalLow: null,
                criticalHigh: null,
              };
              await writeLimits(
                sql,
                step.sensor,
                { ...limits, target: null, sentinels: [], validMin: null, validMax: null },
                { tokenId: "1", name: "test" },
              );
            } else if (step.action === "race") {
              // Either state may be answered while the ingest is in flight; what follows must be exact.
              await Promise.all([
                cache.answer(specOf(queryOf(step.query))),
                ingest(sql, step.readings as Reading[], "direct"),
              ]);
            } else {
              const spec = specOf(queryOf(step.query));
              const cached = JSON.parse((await cache.answer(spec)).body.toString()) as unknown;
              expect(cached, spec.key).toEqual(await fresh(spec));
            }
          }
          cache.close();
        },
      ),
      { numRuns: 60 },
    );
    // Reuse happened: equality was not bought by computing every answer afresh.
    expect(reused).toBeGreaterThan(50);
  }, 240_000);
});
