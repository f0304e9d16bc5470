/** The answers of the equipment routes, as zod schemas: they document the OpenAPI and type the handlers. */
import { z } from "@hono/zod-openapi";
import { windowQuery } from "../averages/params.ts";
import { setAsideReasons } from "../db/schema.ts";
import { statusSchema } from "./status.ts";

const instant = z.string().meta({ example: "2026-02-15T06:29:58.123Z" });

export const equipmentEntrySchema = z
  .object({
    equipmentId: z.string(),
    firstReading: instant,
    lastReading: instant,
    lastValue: z.number(),
    readingCount: z.number().int().meta({ description: "readings stored for the sensor, ever" }),
    lastSource: z
      .string()
      .meta({ description: "who sent the last reading: an edge id, `direct`, or an upload id" }),
    lastSourceKind: z.enum(["edge", "direct", "backfill"]),
    window: z
      .object({
        average: z.number(),
        count: z.number().int(),
        min: z.number(),
        max: z.number(),
        first: instant,
        last: instant,
      })
      .nullable()
      .meta({ description: "the window's figures, as /v1/averages gives them; null without readings in it" }),
    status: statusSchema,
    statusReason: z.string(),
    setAside: z
      .object({
        count: z.number().int(),
        lastValue: z.number(),
        lastTimestamp: instant.meta({ description: "the latest set-aside reading's own timestamp" }),
        lastReason: z.enum(setAsideReasons),
      })
      .nullable()
      .meta({
        description:
          "readings of this sensor set aside as not measurements, ever (a sentinel error value such as " +
          "-9999, or outside its valid range), and the latest; null when none",
      }),
  })
  .meta({ id: "EquipmentEntry" });

const bounds = {
  window: windowQuery,
  from: instant.meta({ description: "the window's start, exclusive" }),
  to: instant.meta({ description: "the window's end, inclusive" }),
};

export const seriesAnswerSchema = z
  .object({
    equipmentId: z.string(),
    ...bounds,
    bucketMs: z.number().int().meta({ description: "bucket length in milliseconds" }),
    count: z.number().int().meta({ description: "readings in the window: the sum of the buckets' counts" }),
    buckets: z.array(
      z.object({
        start: instant,
        count: z.number().int(),
        average: z.number().nullable(),
        min: z.number().nullable(),
        max: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: "SeriesAnswer" });

export const sparklinesAnswerSchema = z
  .object({
    ...bounds,
    bucketMs: z.number().int(),
    starts: z
      .array(instant)
      .meta({ description: "the buckets' starts; every array below is aligned with it" }),
    sensors: z.array(
      z.object({
        equipmentId: z.string(),
        count: z.array(z.number().int()),
        average: z.array(z.number().nullable()),
        min: z.array(z.number().nullable()),
        max: z.array(z.number().nullable()),
      }),
    ),
  })
  .meta({ id: "SparklinesAnswer" });

export const gapsAnswerSchema = z
  .object({
    equipmentId: z.string(),
    ...bounds,
    usualIntervalMs: z
      .number()
      .nullable()
      .meta({ description: "median interval between readings in the window; null below three readings" }),
    thresholdMs: z.number().nullable(),
    gaps: z.array(
      z.object({
        from: instant.meta({ description: "the last reading before the gap (may lie before the window)" }),
        to: instant
          .nullable()
          .meta({ description: "the first reading after it; null: silent until the window's end" }),
        ms: z.number(),
      }),
    ),
  })
  .meta({ id: "GapsAnswer" });

const limitValue = z.number().nullable();

export const limitsSchema = z
  .object({
    warningLow: limitValue,
    warningHigh: limitValue,
    criticalLow: limitValue,
    criticalHigh: limitValue,
    target: limitValue,
    sentinels: z.array(z.number()).meta({
      description: "the sensor's own error values, set aside like PLANTLINK_SENTINEL_VALUES",
    }),
    validMin: limitValue.meta({ description: "readings below it are set aside; null: no bound" }),
    validMax: limitValue.meta({ description: "readings above it are set aside; null: no bound" }),
  })
  .meta({ id: "Limits" });

export const limitsAnswerSchema = z
  .object({
    equipmentId: z.string(),
    limits: limitsSchema,
    updatedAt: instant.nullable(),
    updatedBy: z.string().nullable().meta({ description: "the name of the token that made the last change" }),
    history: z
      .array(z.object({ at: instant, by: z.string(), before: limitsSchema, after: limitsSchema }))
      .meta({ description: "the last changes, newest first" }),
  })
  .meta({ id: "LimitsAnswer" });
