// @ts-check
/**
 * One sensor in depth for the chosen window: its figures, its series drawn against its limits and
 * baseline, where readings are missing, and recent conflicting re-sends.
 */
import { getJson, getJsonOrNone } from "./api.js";
import { byId, el, fmtCount, fmtDuration, fmtTime, fmtValue, showError, statusBadge } from "./format.js";
import { COLORS, drawSeries } from "./series-chart.js";

/** @typedef {import("./api-types.d.ts").AveragesAnswer} AveragesAnswer */
/** @typedef {import("./api-types.d.ts").SeriesAnswer} SeriesAnswer */
/** @typedef {import("./api-types.d.ts").GapsAnswer} GapsAnswer */
/** @typedef {import("./api-types.d.ts").Limits} Limits */
/** @typedef {import("./api-types.d.ts").EquipmentAnswer} EquipmentAnswer */
/** @typedef {import("./api-types.d.ts").Conflict} Conflict */

const main = byId("main");
const id = main.dataset.equipment ?? "";
const window_ = main.dataset.window ?? "24h";
const windowLabel = document.querySelector(".windows [aria-current]")?.textContent ?? window_;
const base = `/v1/equipment/${encodeURIComponent(id)}`;
const seconds = (/** @type {string} */ iso) => Date.parse(iso) / 1000;

/**
 * @param {HTMLElement} dl
 * @param {[string, string][]} facts
 */
function facts(dl, facts) {
  dl.replaceChildren(
    ...facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]),
  );
}

/** @param {Limits | undefined} limits */
function limitLines(limits) {
  /** @type {import("./series-chart.js").SeriesInput["lines"]} */
  const lines = [];
  if (!limits) return lines;
  if (limits.target !== null) lines.push({ value: limits.target, kind: "target", label: "target" });
  for (const [value, kind, label] of /** @type {const} */ ([
    [limits.warningLow, "warning", "warning low"],
    [limits.warningHigh, "warning", "warning high"],
    [limits.criticalLow, "critical", "critical low"],
    [limits.criticalHigh, "critical", "critical high"],
  ])) {
    if (value !== null) lines.push({ value, kind, label });
  }
  return lines;
}

/** @param {string} color @param {string} text @param {boolean} [dashed] */
const keyItem = (color, text, dashed = false) => {
  const swatch = el("i", { class: dashed ? "dashed" : "" });
  swatch.style.background = color;
  return el("span", {}, [swatch, text]);
};

async function load() {
  const [averages, series, gaps, limits, equipment, conflicts] = await Promise.all([
    /** @type {Promise<AveragesAnswer>} */ (getJson("/v1/averages", { window: window_, equipmentId: [id] })),
    /** @type {Promise<SeriesAnswer>} */ (getJson(`${base}/series`, { window: window_, points: 300 })),
    /** @type {Promise<GapsAnswer>} */ (getJson(`${base}/gaps`, { window: window_ })),
    /** @type {Promise<Limits | undefined>} */ (getJsonOrNone(`${base}/limits`)),
    /** @type {Promise<EquipmentAnswer>} */ (getJson("/v1/equipment", { equipmentId: [id] })),
    /** @type {Promise<{ conflicts: Conflict[] } | undefined>} */ (
      getJsonOrNone(`${base}/conflicts`, { limit: 20 })
    ),
  ]);
  const figures = averages.sensors.find((s) => s.equipmentId === id);
  const item = equipment.equipment.find((e) => e.equipmentId === id);

  byId("range").textContent = `Last ${windowLabel}: ${fmtTime(averages.from)} to ${fmtTime(averages.to)}`;
  byId("status").replaceChildren(statusBadge(figures?.status ?? item?.status));
  byId("fig-average").textContent = fmtValue(figures?.average);
  byId("fig-min").textContent = fmtValue(figures?.min);
  byId("fig-max").textContent = fmtValue(figures?.max);
  byId("fig-count").textContent = fmtCount(figures?.count ?? 0);
  byId("fig-first").textContent = fmtTime(figures?.first);
  byId("fig-last").textContent = fmtTime(figures?.last);

  const lines = limitLines(limits);
  const baseline = limits?.baseline
    ? {
        low: limits.baseline.mean - 2 * limits.baseline.stddev,
        high: limits.baseline.mean + 2 * limits.baseline.stddev,
      }
    : null;
  drawSeries(byId("chart"), {
    times: series.points.map((p) => seconds(p.t)),
    average: series.points.map((p) => p.average),
    min: series.points.map((p) => p.min),
    max: series.points.map((p) => p.max),
    from: seconds(series.from),
    to: seconds(series.to),
    gaps: gaps.gaps.map((g) => ({ from: seconds(g.from), to: seconds(g.to) })),
    lines,
    baseline,
  });
  byId("chart-key").replaceChildren(
    keyItem(COLORS.average, "average per bucket"),
    keyItem(COLORS.band, "min–max in bucket"),
    keyItem(COLORS.gap, "gap: no readings"),
    ...(baseline ? [keyItem(COLORS.baseline, "baseline: last week's mean ± 2σ")] : []),
    ...(lines.some((l) => l.kind === "target") ? [keyItem(COLORS.target, "target")] : []),
    ...(lines.some((l) => l.kind === "warning") ? [keyItem(COLORS.warning, "warning limits", true)] : []),
    ...(lines.some((l) => l.kind === "critical") ? [keyItem(COLORS.critical, "critical limits", true)] : []),
  );
  byId("chart").dataset.points = String(series.points.length);

  byId("gaps-note").textContent =
    gaps.gaps.length === 0
      ? "No gaps in this window."
      : `${gaps.gaps.length} interval${gaps.gaps.length === 1 ? "" : "s"} without readings${gaps.cadenceMs ? `, longer than the usual cadence of ${fmtDuration(gaps.cadenceMs)}` : ""}.`;
  byId("gaps").replaceChildren(
    ...gaps.gaps.map((g) =>
      el("tr", {}, [
        el("td", { text: fmtTime(g.from) }),
        el("td", { text: fmtTime(g.to) }),
        el("td", { class: "num", text: fmtDuration(g.durationMs) }),
      ]),
    ),
  );

  facts(byId("limits"), [
    ["Target", fmtValue(limits?.target)],
    ["Warning below / above", `${fmtValue(limits?.warningLow)} / ${fmtValue(limits?.warningHigh)}`],
    ["Critical below / above", `${fmtValue(limits?.criticalLow)} / ${fmtValue(limits?.criticalHigh)}`],
    [
      "Baseline (previous week)",
      limits?.baseline
        ? `${fmtValue(limits.baseline.mean)} ± ${fmtValue(limits.baseline.stddev)} (1σ)`
        : "not enough history",
    ],
  ]);
  facts(byId("readings"), [
    ["First reading", fmtTime(item?.firstTs)],
    ["Last reading", fmtTime(item?.lastTs)],
    ["Last value", fmtValue(item?.lastValue)],
    ["Last sent by", item?.lastSource ?? "–"],
  ]);

  const recent = conflicts?.conflicts ?? [];
  byId("conflicts").replaceChildren(
    ...(recent.length === 0
      ? [
          el("tr", {}, [
            el("td", {
              colspan: "5",
              class: "muted",
              text: conflicts ? "No conflicts." : "Conflicts are not available from this server.",
            }),
          ]),
        ]
      : recent.map((c) =>
          el("tr", {}, [
            el("td", { text: fmtTime(c.ts) }),
            el("td", { class: "num", text: fmtValue(c.stored) }),
            el("td", { class: "num", text: fmtValue(c.rejected) }),
            el("td", { text: c.source }),
            el("td", { text: fmtTime(c.at) }),
          ]),
        )),
  );
  main.dataset.loaded = "true";
}

load().catch(showError);
