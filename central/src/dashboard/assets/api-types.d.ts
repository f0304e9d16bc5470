/**
 * The API answers the pages read, derived from the routes' own zod schemas (the ones that also write
 * the OpenAPI document), so a change of shape on the server fails the dashboard's typecheck instead of
 * a page in the field. Only the few answers whose schema is private to its route are spelled out here.
 */
import type { z } from "@hono/zod-openapi";
import type { sensorAverageSchema } from "../../averages/routes.ts";
import type { uploadReportSchema, uploadSummarySchema } from "../../backfill/report.ts";
import type { conflictsAnswerSchema } from "../../conflicts/routes.ts";
import type {
  equipmentEntrySchema,
  gapsAnswerSchema,
  limitsAnswerSchema,
  seriesAnswerSchema,
  sparklinesAnswerSchema,
} from "../../equipment/schemas.ts";

export type SensorAverage = z.output<typeof sensorAverageSchema>;
export type EquipmentEntry = z.output<typeof equipmentEntrySchema>;
export type SeriesAnswer = z.output<typeof seriesAnswerSchema>;
export type SparklinesAnswer = z.output<typeof sparklinesAnswerSchema>;
export type GapsAnswer = z.output<typeof gapsAnswerSchema>;
export type LimitsAnswer = z.output<typeof limitsAnswerSchema>;
export type ConflictsAnswer = z.output<typeof conflictsAnswerSchema>;
export type UploadReport = z.output<typeof uploadReportSchema>;
export type UploadSummary = z.output<typeof uploadSummarySchema>;

interface WindowAnswer {
  window: string;
  from: string;
  to: string;
}

/** GET /v1/averages (averages/routes.ts). */
export interface AveragesAnswer extends WindowAnswer {
  sensors: SensorAverage[];
}

/** GET /v1/equipment (equipment/routes.ts). */
export interface EquipmentAnswer extends WindowAnswer {
  equipment: EquipmentEntry[];
}

/** GET /v1/edges (edges/routes.ts). */
export interface EdgeSite {
  edgeId: string;
  lastSyncAt: string;
  sinceLastSyncMs: number;
  backlog: number | null;
  oldestUnsyncedMs: number | null;
  oldestUnsyncedAt: string | null;
  readingsToday: number;
  readingsTotal: number;
}

export interface EdgesAnswer {
  edges: EdgeSite[];
}

/** GET /v1/backfill (backfill/routes.ts). */
export interface UploadsAnswer {
  uploads: UploadSummary[];
}
