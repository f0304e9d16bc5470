/**
 * The shapes of the API answers the pages read. Provisional until the query routes land; then these
 * become z.output of the routes' own schemas so a change there fails the dashboard's typecheck.
 */
export type Status = "ok" | "warning" | "critical" | "silent" | "unknown";

export interface SensorAverage {
  equipmentId: string;
  average: number | null;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  first: string | null;
  last: string | null;
  status: Status;
}

export interface AveragesAnswer {
  window: string;
  from: string;
  to: string;
  sensors: SensorAverage[];
}

export interface EquipmentItem {
  equipmentId: string;
  firstTs: string;
  lastTs: string;
  lastValue: number;
  count: number;
  lastSource: string;
  status: Status;
}

export interface EquipmentAnswer {
  equipment: EquipmentItem[];
}

export interface SeriesPoint {
  t: string;
  average: number | null;
  min: number | null;
  max: number | null;
  count: number;
}

export interface SeriesAnswer {
  equipmentId: string;
  from: string;
  to: string;
  bucketMs: number;
  points: SeriesPoint[];
}

export interface SeriesBatchAnswer {
  from: string;
  to: string;
  bucketMs: number;
  series: { equipmentId: string; averages: (number | null)[] }[];
}

export interface Gap {
  from: string;
  to: string;
  durationMs: number;
}

export interface GapsAnswer {
  cadenceMs: number | null;
  gaps: Gap[];
}

export interface Limits {
  warningLow: number | null;
  warningHigh: number | null;
  criticalLow: number | null;
  criticalHigh: number | null;
  target: number | null;
  baseline: { mean: number; stddev: number } | null;
}

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

export interface UploadReport {
  uploadId: string;
  rows: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  errors: { line: number; reason: string }[];
  errorsTotal?: number;
  at?: string;
  fileName?: string;
}

export interface UploadsAnswer {
  uploads: UploadReport[];
}

export interface Conflict {
  ts: string;
  stored: number;
  rejected: number;
  source: string;
  at: string;
}
