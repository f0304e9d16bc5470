/**
 * Gateway tokens, checked once per turn of the event loop for every request that arrived in it, not
 * once per request. Under load a registry query per request was a tenth of the edge's CPU: each one
 * opens a read transaction on the buffer file, beside the group commit's writes.
 *
 * Exact all the same: a request's token is looked up after the registry is checked for changes, and
 * that check runs after the request arrived (shared/src/batched-lookups.ts). Another process's commit
 * (`pnpm edge gateway revoke`) moves the file's `data_version`; this process's own writes move the
 * registry's `writes` count. Either empties the cache, so a revocation committed before a request was
 * sent always refuses it.
 */
import { type BatchedLookups, createBatchedLookups } from "@plantlink/shared";
import type { Gateway, Registry } from "../buffer/registry.ts";

/** Gateways remembered at most; a site has a handful, so more means tokens being guessed. */
const MAX_CACHED = 1_000;

/** `dataVersion` reads `PRAGMA data_version` on the connection `registry` uses. */
export function createGatewayLookups(registry: Registry, dataVersion: () => number): BatchedLookups<Gateway> {
  const cache = new Map<string, Gateway>();
  let seen = { version: Number.NaN, writes: Number.NaN };
  return createBatchedLookups((hashes) => {
    const now = { version: dataVersion(), writes: registry.writes() };
    if (now.version !== seen.version || now.writes !== seen.writes || cache.size > MAX_CACHED) cache.clear();
    seen = now;
    for (const hash of hashes) {
      if (cache.has(hash)) continue;
      const gateway = registry.gatewayByTokenHash(hash);
      // Only found ones: an unknown token is a mistake or a guess, and the login throttle meters those.
      if (gateway) cache.set(hash, gateway);
    }
    return cache;
  });
}
