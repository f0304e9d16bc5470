/**
 * The cached read answers — averages, the equipment list, one sensor's series, sparklines — as
 * answer-cache.ts needs them: the key naming the answer (every parameter, `at` included), the span of
 * reading timestamps it depends on, and how to compute its JSON afresh. The routes and the property
 * test that proves cached answers equal fresh ones (central/test/answers/) use the same specs.
 */
import { formatTimestamp } from "@plantlink/shared";
import { averages, averagesToJson, baselineDays } from "../averages/averages.ts";
import { type WindowName, windowBounds } from "../averages/windows.ts";
import type { Sql } from "../db/connect.ts";
import { listEquipment } from "../equipment/equipment-list.ts";
import { series } from "../equipment/series.ts";
import type { StatusThresholds } from "../equipment/status.ts";
import { statusThresholdsOf } from "../equipment/thresholds.ts";
import type { AnswerSpec } from "./answer-cache.ts";

export interface AnswerContext {
  sql: Sql;
  thresholds: StatusThresholds;
}

export function answerContext(parts: {
  sql: Sql;
  statusThresholds?: StatusThresholds | undefined;
}): AnswerContext {
  return { sql: parts.sql, thresholds: statusThresholdsOf(parts) };
}

export function averagesSpec(
  { sql, thresholds }: AnswerContext,
  query: { window: WindowName; at: number; equipmentIds: readonly string[] | undefined },
): AnswerSpec {
  const bounds = windowBounds(query.window, query.at);
  return {
    key: JSON.stringify(["averages", query.window, query.at, query.equipmentIds ?? null]),
    // The window's readings, and the baseline's whole days before it (the status is judged on them).
    span: { from: baselineDays(bounds).from, to: bounds.to },
    compute: async () => averagesToJson(await averages(sql, query, thresholds)),
  };
}

export function equipmentSpec(
  { sql, thresholds }: AnswerContext,
  query: { window: WindowName; at: number; prefix: string | undefined },
): AnswerSpec {
  return {
    key: JSON.stringify(["equipment", query.window, query.at, query.prefix ?? ""]),
    // Every stored reading changes its sensor's count, whatever its time.
    span: "everything",
    compute: async () => {
      const list = await listEquipment(sql, query, thresholds);
      return {
        window: query.window,
        from: formatTimestamp(list.bounds.from),
        to: formatTimestamp(list.bounds.to),
        equipment: list.equipment.map((e) => ({
          ...e,
          firstReading: formatTimestamp(e.firstReading),
          lastReading: formatTimestamp(e.lastReading),
          window: e.window && {
            ...e.window,
            first: formatTimestamp(e.window.first),
            last: formatTimestamp(e.window.last),
          },
          setAside: e.setAside && {
            count: e.setAside.count,
            lastValue: e.setAside.lastValue,
            lastTimestamp: formatTimestamp(e.setAside.lastTimestamp),
            lastReason: e.setAside.lastReason,
          },
        })),
      };
    },
  };
}

/**
 * One sensor's series. `known` runs before the computation only: a sensor once known stays known
 * (readings are never deleted one by one), so a cached answer needs no look-up.
 */
export function seriesSpec(
  { sql }: AnswerContext,
  query: { equipmentId: string; window: WindowName; at: number; points: number },
  known: () => Promise<void>,
): AnswerSpec {
  const bounds = windowBounds(query.window, query.at);
  const id = query.equipmentId;
  return {
    key: JSON.stringify(["series", id, query.window, query.at, query.points]),
    span: { from: bounds.from, to: bounds.to },
    compute: async () => {
      await known();
      const answer = await series(sql, { ...query, equipmentIds: [id] });
      const buckets = answer.sensors.get(id) ?? [];
      return {
        equipmentId: id,
        window: query.window,
        from: formatTimestamp(answer.bounds.from),
        to: formatTimestamp(answer.bounds.to),
        bucketMs: answer.bucketMs,
        count: buckets.reduce((total, b) => total + b.count, 0),
        buckets: buckets.map((b) => ({ ...b, start: formatTimestamp(b.start) })),
      };
    },
  };
}

export function sparklinesSpec(
  { sql }: AnswerContext,
  query: { window: WindowName; at: number; points: number; equipmentIds: readonly string[] | undefined },
): AnswerSpec {
  const bounds = windowBounds(query.window, query.at);
  return {
    key: JSON.stringify(["sparklines", query.window, query.at, query.points, query.equipmentIds ?? null]),
    span: { from: bounds.from, to: bounds.to },
    compute: async () => {
      const answer = await series(sql, query);
      return {
        window: query.window,
        from: formatTimestamp(answer.bounds.from),
        to: formatTimestamp(answer.bounds.to),
        bucketMs: answer.bucketMs,
        starts: answer.starts.map(formatTimestamp),
        sensors: [...answer.sensors].map(([equipmentId, buckets]) => ({
          equipmentId,
          count: buckets.map((b) => b.count),
          average: buckets.map((b) => b.average),
          min: buckets.map((b) => b.min),
          max: buckets.map((b) => b.max),
        })),
      };
    },
  };
}
