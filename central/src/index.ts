/** What other packages (the `pnpm start` launcher, benchmarks) may use of central. */
export { ROLES, type Role } from "./auth/roles.ts";
export { createTokenStore, type Principal, type TokenRecord, type TokenStore } from "./auth/tokens.ts";
export { baselineDays } from "./averages/averages.ts";
export { WINDOW_NAMES, type WindowName, windowBounds } from "./averages/windows.ts";
export { type CentralConfig, centralEnvSchema, loadConfig } from "./config.ts";
export { createApp } from "./http/app.ts";
export type { Parts } from "./http/context.ts";
export { type Central, type StartOptions, startCentral } from "./main.ts";
export { type CentralService, runCentral } from "./service.ts";
