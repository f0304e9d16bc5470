// @ts-check
/**
 * The overview's table of every sensor: sorted, filtered and paged in the browser. All rows are in
 * memory (2,000 sensors is ~200 KB of JSON) but only one page of 100 is ever in the DOM, so sorting
 * and filtering stay instant and the page stays light at any fleet size.
 */
import { compareText, el, fmtAgo, fmtCount, fmtTime, fmtValue, STATUS_ORDER, statusBadge } from "./format.js";
import { sparkline } from "./sparkline.js";

export const PAGE_SIZE = 100;
const SPARKLINES_KEPT = 300;

/**
 * @typedef {object} SensorRow
 * @property {string} equipmentId
 * @property {string} site
 * @property {string} status
 * @property {string} statusReason
 * @property {number | null} average
 * @property {number | null} min
 * @property {number | null} max
 * @property {number} count
 * @property {number | null} lastValue
 * @property {number | null} lastSeen epoch ms
 */

/** @typedef {{ key: keyof SensorRow, descending: boolean }} Sort */
/** @typedef {{ prefix: string, site: string, status: string }} Filter */

/** @param {SensorRow} row @param {keyof SensorRow} key @returns {string | number | null} */
function sortValue(row, key) {
  if (key === "status") return STATUS_ORDER.indexOf(/** @type {never} */ (row.status));
  return row[key];
}

/** @param {SensorRow[]} rows @param {Sort} sort */
export function sortRows(rows, sort) {
  const sign = sort.descending ? -1 : 1;
  return rows.slice().sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    // Sensors without a value (silent in this window) sink to the bottom whichever way the sort goes.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === "string" ? compareText(x, String(y)) : x - Number(y);
    return order === 0 ? compareText(a.equipmentId, b.equipmentId) : sign * order;
  });
}

/** @param {SensorRow[]} rows @param {Filter} filter */
export function filterRows(rows, filter) {
  const prefix = filter.prefix.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!prefix || r.equipmentId.toLowerCase().startsWith(prefix)) &&
      (!filter.site || r.site === filter.site) &&
      (!filter.status || r.status === filter.status),
  );
}

/**
 * @param {object} parts
 * @param {HTMLTableElement} parts.table
 * @param {HTMLElement} parts.info "page 2 of 20"
 * @param {HTMLButtonElement} parts.prev
 * @param {HTMLButtonElement} parts.next
 * @param {HTMLElement} parts.shown "120 of 2,000 sensors"
 * @param {string} parts.window
 * @param {(state: { sort: Sort, filter: Filter, page: number }) => void} parts.onChange
 */
export function createSensorTable(parts) {
  const tbody = /** @type {HTMLTableSectionElement} */ (parts.table.tBodies[0]);
  /** @type {SensorRow[]} */
  let all = [];
  /** @type {SensorRow[]} */
  let visible = [];
  /** @type {Map<string, (number | null)[]>} */
  let trends = new Map();
  /**
   * Drawn sparklines by sensor, so re-sorting or paging back does not draw them again; bounded, as
   * each canvas holds its pixels (oldest dropped first).
   * @type {Map<string, HTMLCanvasElement>}
   */
  const drawn = new Map();
  const sparklineOf = (/** @type {string} */ id) => {
    const trend = trends.get(id);
    if (!trend) return [];
    let canvas = drawn.get(id);
    if (!canvas) {
      canvas = sparkline(trend, `trend of ${id}`);
      drawn.set(id, canvas);
      if (drawn.size > SPARKLINES_KEPT) drawn.delete(drawn.keys().next().value ?? "");
    }
    return [canvas];
  };
  /** @type {Sort} */
  let sort = { key: "status", descending: false };
  /** @type {Filter} */
  let filter = { prefix: "", site: "", status: "" };
  let page = 0;

  const pages = () => Math.max(1, Math.ceil(visible.length / PAGE_SIZE));

  const renderHead = () => {
    for (const th of parts.table.tHead?.querySelectorAll("th[data-sort]") ?? []) {
      const key = th.getAttribute("data-sort");
      if (key === sort.key) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
  };

  const renderBody = () => {
    page = Math.min(page, pages() - 1);
    const slice = visible.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    const rows = slice.map((r) => {
      const href = `/sensors/${encodeURIComponent(r.equipmentId)}${parts.window === "24h" ? "" : `?window=${parts.window}`}`;
      const cells = [
        el("td", {}, [el("a", { href, text: r.equipmentId })]),
        el("td", { text: r.site || "–" }),
        el("td", { title: r.statusReason }, [statusBadge(r.status)]),
        el("td", { class: "num", text: fmtValue(r.average) }),
        el("td", { class: "num", text: fmtValue(r.min) }),
        el("td", { class: "num", text: fmtValue(r.max) }),
        el("td", { class: "num", text: fmtCount(r.count) }),
        el("td", { class: "num", text: fmtValue(r.lastValue) }),
        el("td", { title: fmtTime(r.lastSeen), text: fmtAgo(r.lastSeen) }),
        el("td", {}, sparklineOf(r.equipmentId)),
      ];
      return el("tr", { "data-id": r.equipmentId }, cells);
    });
    if (rows.length === 0)
      rows.push(el("tr", {}, [el("td", { colspan: "10", class: "muted", text: "No sensor matches." })]));
    tbody.replaceChildren(...rows);
    parts.info.textContent = `Page ${page + 1} of ${pages()}`;
    parts.prev.disabled = page === 0;
    parts.next.disabled = page >= pages() - 1;
    parts.shown.textContent = `${fmtCount(visible.length)} of ${fmtCount(all.length)} sensors`;
  };

  const update = (/** @type {boolean} */ notify) => {
    visible = sortRows(filterRows(all, filter), sort);
    renderHead();
    renderBody();
    if (notify) parts.onChange({ sort, filter, page });
  };

  for (const th of parts.table.tHead?.querySelectorAll("th[data-sort]") ?? []) {
    th.querySelector("button")?.addEventListener("click", () => {
      const key = /** @type {keyof SensorRow} */ (th.getAttribute("data-sort"));
      // Numbers read best largest first; names and statuses (worst first) in their natural order.
      const numeric = th.classList.contains("num") || key === "lastSeen";
      sort = key === sort.key ? { key, descending: !sort.descending } : { key, descending: numeric };
      page = 0;
      update(true);
    });
  }
  parts.prev.addEventListener("click", () => {
    page = Math.max(0, page - 1);
    renderBody();
    parts.onChange({ sort, filter, page });
  });
  parts.next.addEventListener("click", () => {
    page = Math.min(pages() - 1, page + 1);
    renderBody();
    parts.onChange({ sort, filter, page });
  });

  return {
    /** @param {SensorRow[]} rows */
    setRows(rows) {
      all = rows;
      update(false);
    },
    /** @param {Map<string, (number | null)[]>} map */
    setTrends(map) {
      trends = map;
      drawn.clear();
      renderBody();
    },
    /** @param {{ sort?: Sort, filter?: Partial<Filter>, page?: number }} state */
    setState(state, notify = true) {
      if (state.sort) sort = state.sort;
      if (state.filter) filter = { ...filter, ...state.filter };
      page = state.page ?? 0;
      update(notify);
    },
    get filter() {
      return filter;
    },
  };
}
