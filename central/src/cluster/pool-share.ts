/**
 * PLANTLINK_DB_POOL_MAX is the whole service's budget of PostgreSQL connections, whatever the number of
 * workers, so raising the worker count never pushes the service past the server's max_connections. Each
 * worker gets an equal share, at least one; the primary keeps two connections of its own for start-up
 * work and partition upkeep (cluster/primary.ts).
 */
export function workerPoolShare(poolMax: number, workers: number): number {
  return Math.max(1, Math.floor(poolMax / workers));
}
