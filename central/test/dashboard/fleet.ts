/**
 * A fleet for the dashboard tests, sent through the real ingest path (edge batches over HTTP, as edge
 * sites send them): 2,000 sensors on four sites, each reading every 4 hours for the last 10½ days —
 * enough history for a baseline, so statuses are judged — plus a few older readings, so each window
 * gives different numbers. Some sensors jump in the last day (warning, critical against their
 * baseline), a few went quiet four days ago (silent), and one has dense data with a hole for the
 * sensor page.
 */

export const SITES = ["plant-north", "plant-south", "plant-east", "plant-west"] as const;
export const SENSOR_COUNT = 2000;
/** The sensor the test opens: readings every 5 minutes for two days, with a three-hour hole. */
export const DETAILED = "EQ-0001";
export const HOLE_HOURS = { from: 20, to: 17 } as const;

const HOUR = 3_600_000;
/** Hours before now of each sensor's readings: every 4 h for 10½ days, then a few up to a month. */
const OFFSETS_H = [...Array.from({ length: 64 }, (_, k) => 0.5 + 4 * k), 300, 400, 600, 700];

export const sensorId = (i: number) => `EQ-${String(i + 1).padStart(4, "0")}`;
export const siteOf = (i: number) => SITES[i % SITES.length] ?? SITES[0];

/** Sensors whose last reading is four days old: silent. */
export const isQuiet = (i: number) => i >= SENSOR_COUNT - 12;
/** Sensors that jumped in the last day, far from their baseline: 3.8 σ (critical) and 2.4 σ (warning). */
export const isCritical = (i: number) => i % 40 === 7;
export const isWarning = (i: number) => i % 40 === 19;

interface Reading {
  equipmentId: string;
  timestamp: string;
  value: number;
}

/** Deterministic values: each sensor its own level and wave, drifting with age so every window differs. */
function valueAt(i: number, hoursAgo: number): number {
  const level = 20 + (i % 97) * 1.5 + Math.floor(i / 97) * 0.25;
  const jump = hoursAgo < 24 ? (isCritical(i) ? 8 : isWarning(i) ? 5 : 0) : 0;
  return Math.round((level + Math.sin(i + hoursAgo / 7) * 3 + hoursAgo / 200 + jump) * 100) / 100;
}

export function fleetReadings(now: number): Map<string, Reading[]> {
  const bySite = new Map<string, Reading[]>(SITES.map((s) => [s, []]));
  for (let i = 0; i < SENSOR_COUNT; i++) {
    const id = sensorId(i);
    const out = bySite.get(siteOf(i)) ?? [];
    if (id === DETAILED) {
      for (let m = 5; m <= 48 * 60; m += 5) {
        const hoursAgo = m / 60;
        if (hoursAgo < HOLE_HOURS.from && hoursAgo > HOLE_HOURS.to) continue;
        out.push({
          equipmentId: id,
          timestamp: new Date(now - m * 60_000).toISOString(),
          value: valueAt(i, hoursAgo),
        });
      }
    }
    for (const h of OFFSETS_H) {
      if ((isQuiet(i) && h < 96) || (id === DETAILED && h < 48)) continue;
      out.push({ equipmentId: id, timestamp: new Date(now - h * HOUR).toISOString(), value: valueAt(i, h) });
    }
  }
  return bySite;
}

export interface SeedOptions {
  url: string;
  now: number;
  /** Edge token per site. */
  edgeTokens: Record<string, string>;
}

/**
 * Sends the fleet as edge batches of at most 5,000 readings, the four sites at once as real edges
 * would (each site's batches in order); the last site reports a backlog, so it shows as behind.
 */
export async function seedFleet(options: SeedOptions): Promise<number> {
  const sendSite = async (site: string, readings: Reading[]) => {
    let sent = 0;
    for (let start = 0, n = 0; start < readings.length; start += 5000, n++) {
      const behind = site === SITES[SITES.length - 1];
      const body = {
        edgeId: site,
        batchId: `seed-${n}`,
        readings: readings.slice(start, start + 5000),
        backlog: behind ? 48_200 : 0,
        oldestUnsyncedMs: behind ? 5 * HOUR : 0,
      };
      const response = await fetch(`${options.url}/v1/edge/batches`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${options.edgeTokens[site]}` },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`seeding ${site}: ${response.status} ${await response.text()}`);
      const answer = (await response.json()) as { inserted: number; rejected: number };
      if (answer.rejected > 0) throw new Error(`seeding ${site}: ${answer.rejected} readings rejected`);
      sent += answer.inserted;
    }
    return sent;
  };
  const sent = await Promise.all(
    [...fleetReadings(options.now)].map(([site, readings]) => sendSite(site, readings)),
  );
  return sent.reduce((a, b) => a + b, 0);
}
