/**
 * `pnpm edge status`: asks the running edge (GET /v1/status on this machine), or — when it does not
 * answer — reads the same figures from the buffer file, saying so.
 */
import { statfsSync } from "node:fs";
import { openStore } from "../buffer/store.ts";
import type { EdgeConfig } from "../config.ts";
import { formatBytes } from "../errors.ts";
import { describeSyncLines } from "../forwarder/status.ts";
import { describeStatus, type EdgeStatus } from "../status/status.ts";

async function fromRunningEdge(config: EdgeConfig): Promise<EdgeStatus | undefined> {
  // Loaded only here: undici costs ~0.3 s of start-up that `serve` should not pay.
  const { Agent, fetch } = await import("undici");
  // Our own edge on loopback: its certificate names the site's host, not 127.0.0.1.
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const response = await fetch(
      `${config.tls ? "https" : "http"}://127.0.0.1:${config.http.port}/v1/status`,
      {
        signal: AbortSignal.timeout(1500),
        dispatcher,
      },
    );
    if (!response.ok) return undefined;
    return (await response.json()) as EdgeStatus;
  } catch {
    return undefined;
  } finally {
    await dispatcher.close();
  }
}

function fromFile(config: EdgeConfig): EdgeStatus {
  const store = openStore(config, { mustExist: true });
  try {
    const s = statfsSync(config.dataDir);
    const stats = store.buffer.stats();
    const freeDiskBytes = s.bavail * s.bsize;
    return describeStatus({
      edgeId: config.edgeId,
      running: false,
      startedAt: undefined,
      now: Date.now(),
      stats,
      quarantined: store.quarantine.count(),
      capacity: {
        maxBytes: config.buffer.maxBytes,
        freeDiskBytes,
        diskReserveBytes: config.buffer.diskReserveBytes,
        refusing:
          stats.usedBytes >= config.buffer.maxBytes
            ? "buffer_full"
            : freeDiskBytes < config.buffer.diskReserveBytes
              ? "disk_reserve"
              : undefined,
      },
      connectedDevices: undefined,
      eventLoopDelayMs: undefined,
    });
  } finally {
    store.close();
  }
}

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export async function printStatus(config: EdgeConfig, options: { json: boolean }): Promise<number> {
  const status = (await fromRunningEdge(config)) ?? fromFile(config);
  if (options.json) {
    console.log(JSON.stringify(status, null, 2));
    return 0;
  }
  const lines = [
    `edge ${status.edgeId}: ${status.running ? `running since ${status.startedAt}` : "NOT RUNNING (figures read from the buffer file)"}`,
    `  buffered (unsynced) ${status.buffered}${status.oldestUnsyncedAgeMs === null ? "" : `, oldest received ${age(status.oldestUnsyncedAgeMs)} ago`}`,
    `  rows in buffer      ${status.bufferedRows}`,
    `  quarantined         ${status.quarantined}${status.quarantined > 0 ? "  (pnpm edge quarantine list)" : ""}`,
    `  last sync           ${status.lastSuccessfulSync ?? "never"}`,
    `  last error          ${status.lastError ? `${status.lastError.at} ${status.lastError.message}` : "none"}`,
    `  buffer              ${formatBytes(status.bufferBytes)} of ${formatBytes(status.bufferMaxBytes)}`,
    `  disk free           ${formatBytes(status.diskFreeBytes)} (reserve ${formatBytes(status.diskReserveBytes)})`,
    `  accepting readings  ${status.refusing === null ? "yes" : `NO: ${status.refusing}`}`,
  ];
  if (status.connectedDevices !== null) lines.push(`  MQTT clients        ${status.connectedDevices}`);
  if (status.sync) lines.push(...describeSyncLines(status.sync));
  console.log(lines.join("\n"));
  // Non-zero when a person must act: readings refused, or forwarding stopped by central.
  return status.refusing === null && !status.sync?.stopped ? 0 : 1;
}
