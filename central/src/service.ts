/**
 * Central as configured: with PLANTLINK_CENTRAL_WORKERS=1 this process serves (main.ts), otherwise it
 * becomes the primary of a cluster of workers (cluster/primary.ts). Both answer the same handle, which
 * is what `pnpm central serve` and `pnpm start` need.
 */
import type { Logger } from "pino";
import type { TokenStore } from "./auth/tokens.ts";
import { startCentralCluster } from "./cluster/primary.ts";
import type { CentralConfig } from "./config.ts";
import { startCentral } from "./main.ts";

export interface CentralService {
  url: string;
  port: number;
  /** Worker processes serving; 1 means this process itself. */
  workers: number;
  firstAdminToken: string | undefined;
  tokens: TokenStore;
  close(): Promise<void>;
}

export async function runCentral(
  config: CentralConfig,
  options: { log?: Logger } = {},
): Promise<CentralService> {
  if (config.workers > 1) return startCentralCluster(config, options);
  const central = await startCentral(config, options);
  return { ...central, workers: 1 };
}
