/**
 * The forwarder's Prometheus metrics, registered on the edge's registry. Counters count events as
 * they happen; gauges are read from the forwarder's status at scrape time, so they are never stale.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ForwarderObserver, ForwarderState, ForwarderStatus } from "./status.ts";

const STATES: readonly ForwarderState[] = ["idle", "sending", "retrying", "stopped", "disabled", "closed"];

export function createForwarderMetrics(registry: Registry, status: () => ForwarderStatus): ForwarderObserver {
  const registers = [registry];
  const batches = new Counter({
    name: "plantlink_edge_forwarder_batches_total",
    help: "Batches central acknowledged with a 2xx",
    labelNames: ["lane"],
    registers,
  });
  const readings = new Counter({
    name: "plantlink_edge_forwarder_readings_total",
    help: "Readings marked synced, by what central did with them",
    labelNames: ["result"],
    registers,
  });
  const failures = new Counter({
    name: "plantlink_edge_forwarder_failures_total",
    help: "Attempts that did not end in a 2xx, by cause (connection_refused, timeout, http_503, auth, split…)",
    labelNames: ["code"],
    registers,
  });
  const bytes = new Counter({
    name: "plantlink_edge_forwarder_sent_bytes_total",
    help: "Compressed batch bodies sent, retries included",
    registers,
  });
  const duration = new Histogram({
    name: "plantlink_edge_forwarder_batch_duration_seconds",
    help: "From encoding a batch to central's 2xx",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const inFlight = new Gauge({
    name: "plantlink_edge_forwarder_in_flight",
    help: "Batches sent and not yet answered",
    registers,
  });
  new Gauge({
    name: "plantlink_edge_forwarder_state",
    help: "1 for the forwarder's current state; stopped means central refused the edge token",
    labelNames: ["state"],
    registers,
    collect() {
      const current = status().state;
      for (const state of STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: "plantlink_edge_forwarder_auth_failed",
    help: "1 while forwarding is stopped because central answered 401/403 to the edge token",
    registers,
    collect() {
      this.set(status().stopped ? 1 : 0);
    },
  });
  new Gauge({
    name: "plantlink_edge_forwarder_retry_attempts",
    help: "Consecutive failed attempts; 0 after a success",
    registers,
    collect() {
      this.set(status().retry?.attempts ?? 0);
    },
  });
  new Gauge({
    name: "plantlink_edge_forwarder_last_sync_timestamp_seconds",
    help: "When central last acknowledged a batch (0: never)",
    registers,
    collect() {
      this.set((status().lastSyncAt ?? 0) / 1000);
    },
  });
  new Gauge({
    name: "plantlink_edge_forwarder_wire_bytes",
    help: "HTTP bytes on the connections to central since start, by direction (TLS framing not included)",
    labelNames: ["direction"],
    registers,
    collect() {
      const { sent, received } = status().wire;
      this.set({ direction: "sent" }, sent);
      this.set({ direction: "received" }, received);
    },
  });
  new Gauge({
    name: "plantlink_edge_forwarder_drain_rate",
    help: "Readings synced per second over the last 10 s",
    registers,
    collect() {
      this.set(status().drainRate);
    },
  });

  return {
    synced(batch, answer, seconds) {
      batches.inc({ lane: batch.lane });
      readings.inc({ result: "inserted" }, answer.inserted);
      readings.inc({ result: "duplicate" }, answer.duplicates);
      readings.inc({ result: "conflict" }, answer.conflicts);
      readings.inc({ result: "rejected" }, answer.rejected);
      duration.observe(seconds);
    },
    outcome: (code) => failures.inc({ code }),
    bytesSent: (n) => bytes.inc(n),
    inFlight: (n) => inFlight.set(n),
  };
}
