/**
 * What the primary and its workers say to each other over the cluster's IPC channel. The primary sends
 * the configuration (with the database it started or was given) rather than letting workers read the
 * environment again: `pnpm start` and tests hand central a config that is not process.env.
 */
import type { CentralConfig } from "../config.ts";

export type ToWorker =
  | { type: "plantlink:start"; config: CentralConfig; poolMax: number; logFile: string | undefined }
  | { type: "plantlink:stop" }
  | { type: "plantlink:metrics"; id: number; text?: string; error?: string };

export type ToPrimary =
  /** Sent once the worker listens for messages: anything sent before that would be lost. */
  | { type: "plantlink:ready" }
  | { type: "plantlink:listening"; port: number; url: string }
  | { type: "plantlink:failed"; reason: string }
  | { type: "plantlink:metrics"; id: number };

const TYPES = new Set([
  "plantlink:start",
  "plantlink:stop",
  "plantlink:metrics",
  "plantlink:ready",
  "plantlink:listening",
  "plantlink:failed",
]);

/** The channel also carries prom-client's and Node's own messages; these are ours. */
export function isOurs<T extends { type: string }>(message: unknown): message is T {
  return (
    typeof message === "object" && message !== null && TYPES.has(String((message as { type?: unknown }).type))
  );
}
