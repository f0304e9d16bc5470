/**
 * The edge's Prometheus metrics, on a registry of its own (no global default registry, so two edges
 * in one test process do not share counters). Gauges that describe the buffer are read when scraped.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface GaugeSources {
  buffer: () => { rows: number; unsynced: number; oldestUnsyncedAgeMs: number; quarantined: number };
  capacity: () => {
    usedBytes: number;
    maxBytes: number;
    freeDiskBytes: number;
    diskReserveBytes: number;
    refusing: string | undefined;
  };
  connectedDevices: () => number;
}

export interface EdgeMetrics {
  registry: Registry;
  accepted: Counter<"source">;
  rejected: Counter<"source" | "reason">;
  quarantined: Counter<"source" | "reason">;
  refused: Counter<"source" | "reason">;
  commitBatchSize: Histogram<never>;
  commitDuration: Histogram<never>;
  pruned: Counter<never>;
  /** Event-loop delay quantiles in ms since start (for the benchmark and status). */
  eventLoopDelayMs(): { p50: number; p99: number; max: number };
  close(): void;
}

export function createMetrics(sources: GaugeSources): EdgeMetrics {
  const registry = new Registry();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const accepted = new Counter({
    name: "plantlink_edge_readings_accepted_total",
    help: "Readings committed to the buffer, by source (mqtt, http).",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: "plantlink_edge_readings_rejected_total",
    help: "Payloads refused and not stored, with the sender told (HTTP 4xx) or disconnected (MQTT topic not allowed).",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  const quarantined = new Counter({
    name: "plantlink_edge_quarantined_total",
    help: "Payloads or array items acknowledged but kept in the quarantine, by reason.",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: "plantlink_edge_refused_total",
    help: "Publishes and requests refused unacknowledged (buffer_full, disk_reserve, shutting_down, commit_failed).",
    labelNames: ["source", "reason"] as const,
    registers: [registry],
  });
  const commitBatchSize = new Histogram({
    name: "plantlink_edge_commit_batch_size",
    help: "Readings and quarantine entries per group commit.",
    buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 50000],
    registers: [registry],
  });
  const commitDuration = new Histogram({
    name: "plantlink_edge_commit_duration_seconds",
    help: "Time to write and commit one group commit, fsync included.",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const pruned = new Counter({
    name: "plantlink_edge_pruned_total",
    help: "Synced readings pruned from the buffer.",
    registers: [registry],
  });

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge("plantlink_edge_buffer_rows", "Readings in the buffer, synced or not.", () => sources.buffer().rows);
  gauge(
    "plantlink_edge_buffer_unsynced_rows",
    "Readings not yet synced to central.",
    () => sources.buffer().unsynced,
  );
  gauge(
    "plantlink_edge_oldest_unsynced_age_seconds",
    "Age of the oldest unsynced reading (since the edge received it); 0 when none.",
    () => sources.buffer().oldestUnsyncedAgeMs / 1000,
  );
  gauge("plantlink_edge_quarantine_rows", "Entries in the quarantine.", () => sources.buffer().quarantined);
  gauge(
    "plantlink_edge_buffer_bytes",
    "Bytes of the buffer file in use.",
    () => sources.capacity().usedBytes,
  );
  gauge("plantlink_edge_buffer_max_bytes", "The buffer cap.", () => sources.capacity().maxBytes);
  gauge(
    "plantlink_edge_disk_free_bytes",
    "Free bytes on the data directory's filesystem.",
    () => sources.capacity().freeDiskBytes,
  );
  gauge(
    "plantlink_edge_disk_reserve_bytes",
    "Free disk below which readings are refused.",
    () => sources.capacity().diskReserveBytes,
  );
  gauge("plantlink_edge_connected_devices", "MQTT clients connected.", sources.connectedDevices);
  new Gauge({
    name: "plantlink_edge_buffer_refusing",
    help: "ALARM: 1 while new readings are refused, labelled with why (buffer_full, disk_reserve).",
    labelNames: ["reason"] as const,
    registers: [registry],
    collect() {
      const refusing = sources.capacity().refusing;
      this.set({ reason: "buffer_full" }, refusing === "buffer_full" ? 1 : 0);
      this.set({ reason: "disk_reserve" }, refusing === "disk_reserve" ? 1 : 0);
    },
  });
  new Gauge({
    name: "plantlink_edge_event_loop_delay_seconds",
    help: "Event-loop delay since start: p50, p99, max. Group commits run on the loop; this shows their cost.",
    labelNames: ["quantile"] as const,
    registers: [registry],
    collect() {
      this.set({ quantile: "0.5" }, loop.percentile(50) / 1e9);
      this.set({ quantile: "0.99" }, loop.percentile(99) / 1e9);
      this.set({ quantile: "1" }, loop.max / 1e9);
    },
  });

  return {
    registry,
    accepted,
    rejected,
    quarantined,
    refused,
    commitBatchSize,
    commitDuration,
    pruned,
    eventLoopDelayMs: () => ({
      p50: loop.percentile(50) / 1e6,
      p99: loop.percentile(99) / 1e6,
      max: loop.max / 1e6,
    }),
    close: () => loop.disable(),
  };
}
