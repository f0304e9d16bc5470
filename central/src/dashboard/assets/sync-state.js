// @ts-check
/** Whether an edge site is behind on sync: one rule for the sites page and the overview's figure. */

/** @typedef {import("./api-types.d.ts").EdgeSite} EdgeSite */

/**
 * Behind: nothing heard for 15 minutes, or a reading waiting at the edge for 15 minutes. An edge syncs
 * within seconds when it can reach central, so either means a link or a central problem to look at.
 */
export const BEHIND_MS = 15 * 60_000;

/** How long the oldest unsynced reading has waited, as of now; null when the edge reported none. */
export function unsyncedAge(/** @type {EdgeSite} */ e) {
  if (!e.backlog || e.oldestUnsyncedAt === null) return null;
  return Math.max(0, Date.now() - Date.parse(e.oldestUnsyncedAt));
}

export function isBehind(/** @type {EdgeSite} */ e) {
  return e.sinceLastSyncMs > BEHIND_MS || (unsyncedAge(e) ?? 0) > BEHIND_MS;
}
