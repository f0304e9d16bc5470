/** What other packages (the root `pnpm start`, benchmarks) use of the edge agent. */
export type { BufferedReading, BufferStats, ReadingBuffer } from "./buffer/buffer.ts";
export { generateGatewayToken, generatePassword, hashPassword, hashToken } from "./buffer/credentials.ts";
export { BUFFER_FILE_NAME } from "./buffer/database.ts";
export { openStore, type Store } from "./buffer/store.ts";
export { type EdgeConfig, loadEdgeConfig } from "./config.ts";
export * from "./errors.ts";
export { type Edge, type EdgeDeps, type EdgeParts, startEdge } from "./main.ts";
export type { EdgeStatus } from "./status/status.ts";
