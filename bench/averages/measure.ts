/**
 * The measurement: GET /v1/averages through central's real app (routing, validation, auth, the query,
 * status, JSON, ETag — everything but the socket), at random `now` values in the data's last day,
 * windows taking turns so each sees the same mix of quiet and busy moments on a shared machine, timed
 * once warm-up calls have brought the server to where a running one is (its first calls are shown
 * too, as "cold"); then
 * the plain GROUP BY with avg() over the raw rows (the exactness tests' oracle), a few times per
 * window, each compared with our answer for the same `now`. Prints one markdown table and the 1m query's plan summary.
 */
import { pino } from "pino";
import { createTokenStore } from "../../central/src/auth/tokens.ts";
import { averagesStatement } from "../../central/src/averages/averages.ts";
import { WINDOW_NAMES, WINDOWS, type WindowName, windowBounds } from "../../central/src/averages/windows.ts";
import type { Sql } from "../../central/src/db/connect.ts";
import { createApp } from "../../central/src/http/app.ts";
import { createMetrics } from "../../central/src/status/metrics.ts";
import { createReadiness } from "../../central/src/status/readiness.ts";
import { answerFigures, type RawFigures, rawFigures } from "../../central/test/averages/raw-figures.ts";
import { ms, quantile, sortedCopy, table } from "../support/stats.ts";

const DAY_MS = 86_400_000;

/** One sensor in the answer's JSON: the oracle's figures, with instants as text. */
type AnswerFigures = Omit<RawFigures, "first" | "last"> & { first: string; last: string };

export async function measure(
  sql: Sql,
  options: { end: number; calls: number; warmUp: number; rawCalls: number },
): Promise<void> {
  const tokens = createTokenStore(sql);
  const app = createApp({
    sql,
    tokens,
    metrics: createMetrics({ sql, poolMax: 4 }),
    log: pino({ level: "silent" }),
    limits: { bodyBytes: 1_000_000, decompressedBytes: 4_000_000 },
    validation: { now: Date.now },
    readiness: createReadiness(sql),
  });
  const { token } = await tokens.create({ role: "viewer", name: "bench averages" });
  const randomNow = () => options.end - 1 - Math.floor(Math.random() * DAY_MS);
  const call = async (window: WindowName, now: number) => {
    const t = performance.now();
    const response = await app.request(`/v1/averages?window=${window}&at=${new Date(now).toISOString()}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    // Timed to the last byte of the answer; decoding and parsing it is the client's work.
    const bytes = await response.arrayBuffer();
    const ms = performance.now() - t;
    if (response.status !== 200) throw new Error(`GET /v1/averages answered ${response.status}`);
    const text = Buffer.from(bytes).toString("utf8");
    return { ms, sensors: (JSON.parse(text) as { sensors: AnswerFigures[] }).sensors };
  };

  const cold = new Map<WindowName, number[]>(WINDOW_NAMES.map((w) => [w, []]));
  for (let i = 0; i < options.warmUp; i++) {
    for (const window of WINDOW_NAMES) cold.get(window)!.push((await call(window, randomNow())).ms);
  }
  const firstTen = (window: WindowName) => sortedCopy(cold.get(window)!.slice(0, 10));
  const ours = new Map<WindowName, number[]>(WINDOW_NAMES.map((w) => [w, []]));
  let sensors = 0;
  for (let i = 0; i < options.calls; i++) {
    for (const window of WINDOW_NAMES) {
      const result = await call(window, randomNow());
      ours.get(window)!.push(result.ms);
      sensors = Math.max(sensors, result.sensors.length);
    }
  }
  console.error(`timed ${options.calls} calls per window; now the raw baseline`);

  // The plain query as PostgreSQL plans it out of the box: with the parallel workers central's own
  // sessions do without (central/src/db/connect.ts), which make this big scan faster.
  const oracle = await sql.reserve();
  await oracle`set max_parallel_workers_per_gather = 2`; // PostgreSQL's default
  const raw = new Map<WindowName, number[]>(WINDOW_NAMES.map((w) => [w, []]));
  const equal = new Map<WindowName, boolean>(WINDOW_NAMES.map((w) => [w, true]));
  for (let i = 0; i < options.rawCalls; i++) {
    for (const window of WINDOW_NAMES) {
      const now = randomNow();
      const t = performance.now();
      const expected = await rawFigures(oracle, now - WINDOWS[window].ms, now);
      raw.get(window)!.push(performance.now() - t);
      const answer = await call(window, now);
      const got = answerFigures(answer.sensors);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        equal.set(window, false);
        console.error(`DIFFERENT answers for ${window} at ${new Date(now).toISOString()}`);
      }
    }
  }

  await oracle`reset max_parallel_workers_per_gather`;
  oracle.release();

  const rows = WINDOW_NAMES.map((window) => {
    const o = sortedCopy(ours.get(window)!);
    const r = sortedCopy(raw.get(window)!);
    const ratio = quantile(r, 0.5) / quantile(o, 0.5);
    return [
      window,
      ms(quantile(o, 0.5)),
      ms(quantile(o, 0.99)),
      cold.get(window)!.length > 0 ? ms(quantile(firstTen(window), 0.5)) : "—",
      ms(quantile(r, 0.5)),
      `${Math.round(ratio).toLocaleString("en-US")}×`,
      equal.get(window) ? `yes (${options.rawCalls}/${options.rawCalls})` : "NO",
    ];
  });
  console.log(
    `${sensors.toLocaleString("en-US")} sensors in every answer; ${options.calls} calls per window ` +
      `after ${options.warmUp} to warm up (the first 10 of those: "cold p50")\n`,
  );
  console.log(
    table(
      ["window", "/v1/averages p50", "p99", "cold p50", "raw avg() p50", "raw ÷ ours", "equal answers"],
      rows,
    ),
  );
  await planSummary(sql, randomNow());
}

/** The 1m query's plan: which scans it uses (no sequential scan of readings) and its time. */
async function planSummary(sql: Sql, now: number): Promise<void> {
  const statement = averagesStatement(sql, windowBounds("1m", now), undefined);
  const plan = await sql<{ "QUERY PLAN": string }[]>`explain (analyze, buffers) ${statement}`;
  const lines = plan.map((row) => row["QUERY PLAN"]);
  const scans = new Map<string, number>();
  for (const line of lines) {
    const scan = /(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan) (?:using \S+ )?on (\w+)/.exec(line);
    if (scan) scans.set(`${scan[1]} on ${scan[2]}`, (scans.get(`${scan[1]} on ${scan[2]}`) ?? 0) + 1);
  }
  console.log(`\n1m plan (EXPLAIN ANALYZE): ${[...scans].map(([k, n]) => `${n}× ${k}`).join(", ")}`);
  console.log(lines.filter((l) => /Execution Time|Planning Time/.test(l)).join("; "));
}
