/**
 * Whether an error means "the database cannot be reached right now" — stopped, restarting, failed
 * over, or the network to it down — rather than a fault in a query. Those are answered 503 with
 * Retry-After: the client should simply send again (readings are idempotent by identity), and an
 * operator looking at the logs sees an outage, not a bug.
 */

/** postgres.js's own connection failures, and the socket errors it passes through. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that is going away or not accepting sessions yet: class 08 (connection
 * exception), 57P01–57P03 (shut down by the administrator, crashed, cannot connect now), 53300 (too
 * many connections).
 */
function unavailableSqlState(state: string): boolean {
  return (
    state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03" || state === "53300"
  );
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code !== "string") return false;
  if (name === "PostgresError") return unavailableSqlState(code);
  return CONNECTION_CODES.has(code);
}
