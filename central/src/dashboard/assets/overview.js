// @ts-check
/**
 * The overview: the fleet at one glance for the chosen window. Its data is three requests whatever the
 * fleet size: the equipment list for the window (every sensor's exact window figures and status in one
 * statement — the averages answer plus the sensors silent all window, their last value and source),
 * one batched series request for every sparkline, and the sites list.
 */
import { getJson } from "./api.js";
import {
  byId,
  compareText,
  el,
  fmtCount,
  fmtSetAside,
  fmtTime,
  STATUS_LABELS,
  STATUS_ORDER,
  showError,
  statusBadge,
} from "./format.js";
import { drawHistogram } from "./histogram.js";
import { createSensorTable } from "./sensor-table.js";
import { isBehind } from "./sync-state.js";

/** @typedef {import("./api-types.d.ts").EquipmentAnswer} EquipmentAnswer */
/** @typedef {import("./api-types.d.ts").EquipmentEntry} EquipmentEntry */
/** @typedef {import("./api-types.d.ts").SparklinesAnswer} SparklinesAnswer */
/** @typedef {import("./api-types.d.ts").EdgesAnswer} EdgesAnswer */
/** @typedef {import("./sensor-table.js").SensorRow} SensorRow */

const SPARK_POINTS = 24;
const main = byId("main");
const window_ = main.dataset.window ?? "24h";
const windowLabel = document.querySelector(".windows [aria-current]")?.textContent ?? window_;

/** Table state in the URL, so a filtered, sorted view can be bookmarked or sent to a colleague. */
function readUrlState() {
  const q = new URLSearchParams(location.search);
  const sortText = q.get("sort") ?? "status";
  const descending = sortText.startsWith("-");
  return {
    filter: { prefix: q.get("prefix") ?? "", site: q.get("site") ?? "", status: q.get("status") ?? "" },
    sort: { key: /** @type {keyof SensorRow} */ (sortText.replace(/^-/, "")), descending },
    page: Math.max(0, Number(q.get("page") ?? "1") - 1) || 0,
  };
}

/** @param {{ sort: import("./sensor-table.js").Sort, filter: import("./sensor-table.js").Filter, page: number }} state */
function writeUrlState(state) {
  const q = new URLSearchParams();
  if (window_ !== "24h") q.set("window", window_);
  for (const [name, value] of Object.entries(state.filter)) if (value) q.set(name, value);
  const sort = `${state.sort.descending ? "-" : ""}${state.sort.key}`;
  if (sort !== "status") q.set("sort", sort);
  if (state.page > 0) q.set("page", String(state.page + 1));
  const search = q.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
  // The window links keep the table's state, so switching windows does not lose the filter.
  for (const a of document.querySelectorAll(".windows a")) {
    const link = /** @type {HTMLAnchorElement} */ (a);
    const params = new URLSearchParams(q);
    const w = link.dataset.window ?? "24h";
    if (w === "24h") params.delete("window");
    else params.set("window", w);
    const text = params.toString();
    link.href = text ? `/?${text}` : "/";
  }
}

const table = createSensorTable({
  table: /** @type {HTMLTableElement} */ (byId("sensors")),
  info: byId("page-info"),
  prev: /** @type {HTMLButtonElement} */ (byId("page-prev")),
  next: /** @type {HTMLButtonElement} */ (byId("page-next")),
  shown: byId("shown"),
  window: window_,
  onChange: (state) => {
    writeUrlState(state);
    syncControls();
  },
});

const prefixInput = /** @type {HTMLInputElement} */ (byId("f-prefix"));
const siteSelect = /** @type {HTMLSelectElement} */ (byId("f-site"));
const statusSelect = /** @type {HTMLSelectElement} */ (byId("f-status"));

function syncControls() {
  const f = table.filter;
  if (prefixInput.value !== f.prefix) prefixInput.value = f.prefix;
  siteSelect.value = f.site;
  statusSelect.value = f.status;
  for (const b of byId("status-bar").querySelectorAll("button")) {
    b.setAttribute("aria-pressed", String(b.dataset.status === f.status));
  }
}

prefixInput.addEventListener("input", () => table.setState({ filter: { prefix: prefixInput.value } }));
siteSelect.addEventListener("change", () => table.setState({ filter: { site: siteSelect.value } }));
statusSelect.addEventListener("change", () => table.setState({ filter: { status: statusSelect.value } }));
byId("filters").addEventListener("submit", (event) => event.preventDefault());

/** @param {Record<string, number>} counts */
function renderStatusBar(counts) {
  const buttons = STATUS_ORDER.map((s) => {
    const button = el(
      "button",
      { type: "button", class: `s-${s}`, "data-status": s, "aria-pressed": "false" },
      [el("span", { class: "n", text: fmtCount(counts[s] ?? 0) }), el("span", { text: STATUS_LABELS[s] })],
    );
    button.addEventListener("click", () =>
      table.setState({ filter: { status: table.filter.status === s ? "" : s } }),
    );
    return button;
  });
  byId("status-bar").replaceChildren(...buttons);
  // The same counts as one bar of proportions: how much of the fleet is off, at a glance.
  const total = STATUS_ORDER.reduce((n, s) => n + (counts[s] ?? 0), 0) || 1;
  byId("status-share").replaceChildren(
    ...STATUS_ORDER.filter((s) => (counts[s] ?? 0) > 0).map((s) => {
      const part = el("span", { class: `s-${s}`, title: `${STATUS_LABELS[s]}: ${counts[s]}` });
      part.style.flexGrow = String((counts[s] ?? 0) / total);
      return part;
    }),
  );
}

/**
 * Where a sensor's readings come from, for the site column and filter: the edge site that last sent
 * one, or how it arrived when not through an edge.
 * @param {EquipmentEntry} e
 */
function siteOf(e) {
  return e.lastSourceKind === "edge" ? e.lastSource : e.lastSourceKind;
}

/** @param {EquipmentEntry} e @returns {SensorRow} */
function toRow(e) {
  return {
    equipmentId: e.equipmentId,
    site: siteOf(e),
    status: e.status,
    statusReason: e.statusReason,
    average: e.window?.average ?? null,
    min: e.window?.min ?? null,
    max: e.window?.max ?? null,
    count: e.window?.count ?? 0,
    lastValue: e.lastValue,
    lastSeen: Date.parse(e.lastReading),
  };
}

const ATTENTION_SHOWN = 5;

/** The worst sensors first, each with the reason in words: what to look at before the table. */
function renderAttention(/** @type {SensorRow[]} */ rows) {
  const off = rows
    .filter((r) => r.status === "critical" || r.status === "warning" || r.status === "silent")
    .sort(
      (a, b) =>
        STATUS_ORDER.indexOf(/** @type {never} */ (a.status)) -
          STATUS_ORDER.indexOf(/** @type {never} */ (b.status)) || compareText(a.equipmentId, b.equipmentId),
    );
  const href = (/** @type {string} */ id) =>
    `/sensors/${encodeURIComponent(id)}${window_ === "24h" ? "" : `?window=${window_}`}`;
  const items = off
    .slice(0, ATTENTION_SHOWN)
    .map((r) =>
      el("li", { title: r.statusReason }, [
        statusBadge(r.status),
        " ",
        el("a", { href: href(r.equipmentId), text: r.equipmentId }),
        ` ${r.statusReason}`,
      ]),
    );
  if (off.length > ATTENTION_SHOWN) {
    items.push(
      el("li", {
        class: "muted",
        text: `and ${fmtCount(off.length - ATTENTION_SHOWN)} more: choose a status above`,
      }),
    );
  }
  if (items.length === 0) items.push(el("li", { class: "muted", text: nothingOffText(rows) }));
  byId("attention").replaceChildren(...items);
}

/**
 * Why the attention list is empty. "Nothing needs attention" is only true of sensors that were judged:
 * without limits and a baseline week a sensor is `unknown`, and a window where every sensor is unknown
 * (a young installation, or a month view without the week before it) has judged nothing at all.
 */
function nothingOffText(/** @type {SensorRow[]} */ rows) {
  const unknown = rows.filter((r) => r.status === "unknown").length;
  if (rows.length === 0) return "Nothing: no sensor has sent a reading yet.";
  if (unknown === rows.length)
    return `No sensor could be judged: ${fmtCount(unknown)} unknown (no baseline yet).`;
  const judged = "Nothing: every judged sensor is within its limits and baseline";
  return unknown > 0 ? `${judged}; ${fmtCount(unknown)} unknown (no baseline yet).` : `${judged}.`;
}

/**
 * Sensors reporting faults in-band (error values, impossible values): those readings are kept out of
 * the figures, so without this list the sensor would simply look quieter.
 * @param {EquipmentEntry[]} entries
 */
function renderSetAside(entries) {
  const faulty = entries
    .filter((e) => e.setAside !== null)
    .sort(
      (a, b) =>
        (b.setAside?.count ?? 0) - (a.setAside?.count ?? 0) || compareText(a.equipmentId, b.equipmentId),
    );
  const href = (/** @type {string} */ id) =>
    `/sensors/${encodeURIComponent(id)}${window_ === "24h" ? "" : `?window=${window_}`}`;
  const items = faulty
    .slice(0, ATTENTION_SHOWN)
    .map((e) =>
      el("li", {}, [
        el("a", { href: href(e.equipmentId), text: e.equipmentId }),
        ` ${e.setAside ? fmtSetAside(e.setAside) : ""}, latest ${fmtTime(e.setAside?.lastTimestamp)}`,
      ]),
    );
  if (faulty.length > ATTENTION_SHOWN) {
    items.push(
      el("li", { class: "muted", text: `and ${fmtCount(faulty.length - ATTENTION_SHOWN)} more sensors` }),
    );
  }
  if (items.length === 0)
    items.push(el("li", { class: "muted", text: "None: no sensor sent an error value." }));
  byId("set-aside").replaceChildren(...items);
}

async function load() {
  const [equipment, edges] = await Promise.all([
    getJson("/v1/equipment", { window: window_ }).then((e) => /** @type {EquipmentAnswer} */ (e)),
    getJson("/v1/edges").then(
      (e) => /** @type {EdgesAnswer} */ (e),
      () => undefined, // the sites figure is a courtesy; the overview stands without it
    ),
  ]);
  byId("range").textContent = `Last ${windowLabel}: ${fmtTime(equipment.from)} to ${fmtTime(equipment.to)}`;

  const rows = equipment.equipment.map(toRow);
  /** @type {Record<string, number>} */
  const counts = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const reporting = rows.filter((r) => r.count > 0);
  byId("fig-reporting").textContent = `${fmtCount(reporting.length)} of ${fmtCount(rows.length)}`;
  byId("fig-readings").textContent = fmtCount(reporting.reduce((sum, r) => sum + r.count, 0));
  byId("fig-silent").textContent = fmtCount(counts.silent ?? 0);
  const behind = edges ? edges.edges.filter(isBehind).length : undefined;
  byId("fig-behind").textContent =
    behind === undefined ? "–" : `${fmtCount(behind)} of ${fmtCount(edges?.edges.length ?? 0)}`;
  byId("fig-silent").parentElement?.classList.toggle("alert", (counts.silent ?? 0) > 0);
  byId("fig-behind").parentElement?.classList.toggle("alert", (behind ?? 0) > 0);

  const sites = [...new Set(rows.map((r) => r.site))].sort(compareText);
  siteSelect.append(...sites.map((s) => el("option", { value: s, text: s })));
  renderStatusBar(counts);
  renderAttention(rows);
  renderSetAside(equipment.equipment);
  drawHistogram(
    byId("histogram"),
    reporting.map((r) => r.average ?? 0),
  );
  table.setRows(rows);
  table.setState(readUrlState(), false);
  syncControls();
  main.dataset.loaded = "true";

  // Sparklines last: the table is usable before they arrive.
  const batch = /** @type {SparklinesAnswer} */ (
    await getJson("/v1/series", { window: window_, points: SPARK_POINTS })
  );
  table.setTrends(new Map(batch.sensors.map((s) => [s.equipmentId, s.average])));
  main.dataset.trends = "true";
}

load().catch(showError);
