// @ts-check
/**
 * One sensor in depth for the chosen window: its figures, its series drawn against its limits and
 * baseline, where readings are missing, and recent conflicting re-sends.
 */
import { getJson, getJsonOrNone, sendJson } from "./api.js";
import {
  byId,
  el,
  fmtCount,
  fmtDuration,
  fmtSetAside,
  fmtTime,
  fmtValue,
  showError,
  statusBadge,
} from "./format.js";
import { COLORS, chartColumns, drawSeries } from "./series-chart.js";

/** @typedef {import("./api-types.d.ts").AveragesAnswer} AveragesAnswer */
/** @typedef {import("./api-types.d.ts").SeriesAnswer} SeriesAnswer */
/** @typedef {import("./api-types.d.ts").GapsAnswer} GapsAnswer */
/** @typedef {import("./api-types.d.ts").LimitsAnswer} LimitsAnswer */
/** @typedef {import("./api-types.d.ts").EquipmentAnswer} EquipmentAnswer */
/** @typedef {import("./api-types.d.ts").ConflictsAnswer} ConflictsAnswer */

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

/** @param {LimitsAnswer["limits"] | undefined} limits */
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
    getJson("/v1/averages", { window: window_, equipmentId: [id] }).then(
      (a) => /** @type {AveragesAnswer} */ (a),
    ),
    getJson(`${base}/series`, { window: window_, points: 300 }).then((s) => /** @type {SeriesAnswer} */ (s)),
    getJson(`${base}/gaps`, { window: window_ }).then((g) => /** @type {GapsAnswer} */ (g)),
    getJsonOrNone(`${base}/limits`).then((l) => /** @type {LimitsAnswer | undefined} */ (l)),
    // The list filtered by prefix is the one place with a sensor's whole-life figures; the exact id is
    // picked out below (a prefix also matches longer ids).
    getJson("/v1/equipment", { window: window_, prefix: id }).then((e) => /** @type {EquipmentAnswer} */ (e)),
    getJsonOrNone(`${base}/conflicts`, { limit: 20 }).then(
      (c) => /** @type {ConflictsAnswer | undefined} */ (c),
    ),
  ]);
  const figures = averages.sensors.find((s) => s.equipmentId === id);
  const item = equipment.equipment.find((e) => e.equipmentId === id);

  byId("range").textContent = `Last ${windowLabel}: ${fmtTime(averages.from)} to ${fmtTime(averages.to)}`;
  const status = figures?.status ?? item?.status;
  byId("status").replaceChildren(statusBadge(status));
  byId("status-reason").textContent = figures?.statusReason ?? item?.statusReason ?? "";
  const setAside = byId("set-aside");
  setAside.hidden = !item?.setAside;
  setAside.textContent = item?.setAside
    ? `${fmtSetAside(item.setAside)}, the latest at ${fmtTime(item.setAside.lastTimestamp)}: the sensor is reporting faults. They are kept apart and not in these figures or the chart.`
    : "";
  byId("fig-average").textContent = fmtValue(figures?.average);
  byId("fig-min").textContent = fmtValue(figures?.min);
  byId("fig-max").textContent = fmtValue(figures?.max);
  byId("fig-count").textContent = fmtCount(figures?.count ?? 0);
  byId("fig-first").textContent = fmtTime(figures?.first);
  byId("fig-last").textContent = fmtTime(figures?.last);

  const lines = limitLines(limits?.limits);
  const base_ = figures?.baseline;
  const baseline = base_ ? { low: base_.mean - 2 * base_.sd, high: base_.mean + 2 * base_.sd } : null;
  const windowEnd = seconds(series.to);
  // A gap still open at the window's end (no reading since) is shaded up to now.
  const gapSpans = gaps.gaps.map((g) => ({
    from: seconds(g.from),
    to: g.to === null ? windowEnd : seconds(g.to),
  }));
  drawSeries(byId("chart"), {
    ...chartColumns(series.buckets, series.bucketMs, gapSpans),
    from: seconds(series.from),
    to: windowEnd,
    gaps: gapSpans,
    lines,
    baseline,
  });
  byId("chart-key").replaceChildren(
    keyItem(COLORS.average, "average per bucket"),
    keyItem(COLORS.band, "min–max in bucket"),
    keyItem(COLORS.gap, "gap: no readings"),
    ...(baseline ? [keyItem(COLORS.baseline, "baseline: previous week's mean ± 2σ")] : []),
    ...(lines.some((l) => l.kind === "target") ? [keyItem(COLORS.target, "target")] : []),
    ...(lines.some((l) => l.kind === "warning") ? [keyItem(COLORS.warning, "warning limits", true)] : []),
    ...(lines.some((l) => l.kind === "critical") ? [keyItem(COLORS.critical, "critical limits", true)] : []),
  );
  byId("chart").dataset.points = String(series.buckets.length);

  const usual = gaps.usualIntervalMs;
  byId("gaps-note").textContent =
    gaps.gaps.length === 0
      ? `No gaps in this window${usual ? ` (usual interval ${fmtDuration(usual)})` : ""}.`
      : `${gaps.gaps.length} interval${gaps.gaps.length === 1 ? "" : "s"} without readings${
          gaps.thresholdMs ? `, each longer than ${fmtDuration(gaps.thresholdMs)}` : ""
        }${usual ? ` (usual interval ${fmtDuration(usual)})` : ""}.`;
  byId("gaps").replaceChildren(
    ...gaps.gaps.map((g) =>
      el("tr", {}, [
        el("td", { text: fmtTime(g.from) }),
        el("td", { text: g.to === null ? "no reading since" : fmtTime(g.to) }),
        el("td", { class: "num", text: fmtDuration(g.ms) }),
      ]),
    ),
  );

  const l = limits?.limits;
  facts(byId("limits"), [
    ["Target", fmtValue(l?.target)],
    ["Warning below / above", `${fmtValue(l?.warningLow)} / ${fmtValue(l?.warningHigh)}`],
    ["Critical below / above", `${fmtValue(l?.criticalLow)} / ${fmtValue(l?.criticalHigh)}`],
    [
      "Limits last set",
      limits?.updatedAt ? `${fmtTime(limits.updatedAt)} by ${limits.updatedBy ?? "?"}` : "never",
    ],
    [
      "Baseline (previous week)",
      base_
        ? `${fmtValue(base_.mean)} ± ${fmtValue(base_.sd)} (1σ, ${fmtCount(base_.count)} readings)`
        : "not enough history",
    ],
  ]);
  facts(byId("readings"), [
    ["First reading", fmtTime(item?.firstReading)],
    ["Last reading", fmtTime(item?.lastReading)],
    ["Last value", fmtValue(item?.lastValue)],
    ["Last sent by", item ? `${item.lastSource} (${item.lastSourceKind})` : "–"],
    ["Readings stored", fmtCount(item?.readingCount)],
    ["Set aside (not measurements)", item?.setAside ? fmtSetAside(item.setAside) : "none"],
  ]);

  const recent = conflicts?.conflicts ?? [];
  byId("conflicts-note").textContent = conflicts
    ? `${fmtCount(conflicts.total)} conflict${conflicts.total === 1 ? "" : "s"} recorded${conflicts.total > recent.length ? `; the last ${recent.length} are listed` : ""}.`
    : "Conflicts are not available from this server.";
  byId("conflicts").replaceChildren(
    ...recent.map((c) =>
      el("tr", {}, [
        el("td", { text: fmtTime(c.timestamp) }),
        el("td", { class: "num", text: fmtValue(c.storedValue) }),
        el("td", { class: "num", text: fmtValue(c.rejectedValue) }),
        el("td", { text: c.source }),
        el("td", { text: fmtTime(c.at) }),
      ]),
    ),
  );
  fillLimitsForm(limits?.limits);
  main.dataset.loaded = "true";
}

const LIMIT_FIELDS = /** @type {const} */ ([
  "warningLow",
  "warningHigh",
  "criticalLow",
  "criticalHigh",
  "target",
  "validMin",
  "validMax",
]);

/** @param {LimitsAnswer["limits"] | undefined} limits */
function fillLimitsForm(limits) {
  const form = /** @type {HTMLFormElement | null} */ (document.getElementById("limits-form"));
  if (!form) return;
  for (const field of LIMIT_FIELDS) {
    const input = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(field));
    const value = limits?.[field];
    if (input) input.value = value === null || value === undefined ? "" : String(value);
  }
  // PUT replaces every field: the sensor's error values go back with the rest, or saving would clear them.
  const sentinels = /** @type {HTMLInputElement | null} */ (form.elements.namedItem("sentinels"));
  if (sentinels) sentinels.value = (limits?.sentinels ?? []).join(", ");
}

document.getElementById("limits-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const message = byId("limits-message");
  /** @type {Record<string, number | null | number[]>} */
  const body = {};
  for (const field of LIMIT_FIELDS) {
    const input = /** @type {HTMLInputElement} */ (form.elements.namedItem(field));
    body[field] = input.value.trim() === "" ? null : Number(input.value);
  }
  const sentinels = /** @type {HTMLInputElement} */ (form.elements.namedItem("sentinels"));
  // A typo stays a typo (NaN is sent as null and refused with a reason) rather than being dropped.
  body.sentinels = sentinels.value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  message.className = "";
  message.textContent = "Saving…";
  try {
    await sendJson("PUT", `${base}/limits`, body);
    message.textContent = "Saved. Redrawing…";
    // Limits change the status and the chart: load the page's data again rather than patch it.
    await load();
    message.textContent = "Saved.";
  } catch (error) {
    message.className = "error";
    message.textContent = error instanceof Error ? error.message : String(error);
  }
});

load().catch(showError);
