// @ts-check
/**
 * How numbers and times read on the dashboard. Values are stored to the hundredth, so two decimals is
 * the most any value ever has; times are shown in the browser's own zone, which is the plant's.
 */

/**
 * The browser's language, if Intl accepts it. Some set-ups report tags Intl rejects (a POSIX locale
 * such as `en-US@posix` from a kiosk's environment), and a throw here would leave every page blank.
 */
const locale = (() => {
  try {
    return new Intl.NumberFormat(navigator.language).resolvedOptions().locale;
  } catch {
    return "en";
  }
})();

const number2 = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const number0 = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const dateTime = new Intl.DateTimeFormat(locale, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
/** Ids sort as people read them: EQ-9 before EQ-10. */
const collator = new Intl.Collator(locale, { numeric: true });
/** @param {string} a @param {string} b */
export const compareText = (a, b) => collator.compare(a, b);

const timeOnly = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });

/** @param {number | null | undefined} value */
export function fmtValue(value) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : number2.format(value);
}

/** @param {number | null | undefined} value */
export function fmtCount(value) {
  return value === null || value === undefined ? "–" : number0.format(value);
}

/** @param {string | number | null | undefined} at an ISO time or epoch milliseconds */
export function fmtTime(at) {
  if (at === null || at === undefined) return "–";
  const date = new Date(at);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? `today ${timeOnly.format(date)}`
    : dateTime.format(date);
}

/** @param {number} ms a length of time */
export function fmtDuration(ms) {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** @param {string | number | null | undefined} at */
export function fmtAgo(at) {
  if (at === null || at === undefined) return "never";
  const ms = Date.now() - new Date(at).getTime();
  return ms < 0 ? "just now" : `${fmtDuration(ms)} ago`;
}

export const STATUS_LABELS = /** @type {const} */ ({
  critical: "Critical",
  warning: "Warning",
  silent: "Silent",
  unknown: "Unknown",
  ok: "OK",
});

/** Worst first: the order tables sort by and the status bar reads in. */
export const STATUS_ORDER = /** @type {const} */ (["critical", "warning", "silent", "unknown", "ok"]);

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** @param {string | undefined} status */
export function statusBadge(status) {
  const key =
    status && status in STATUS_LABELS ? /** @type {keyof typeof STATUS_LABELS} */ (status) : "unknown";
  return el("span", { class: `badge badge-${key}`, text: STATUS_LABELS[key] });
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/** Shows an error where the page keeps them, in words. @param {unknown} error */
export function showError(error) {
  const box = document.getElementById("error");
  if (!box) return;
  box.hidden = false;
  box.textContent = error instanceof Error ? error.message : String(error);
}

/**
 * What a sensor's set-aside readings say about it, in words: "12 error readings (-9999) set aside" or
 * "3 readings outside its valid range set aside (latest 150.2)".
 * @param {{ count: number, lastValue: number, lastReason: string }} setAside
 */
export function fmtSetAside(setAside) {
  const n = fmtCount(setAside.count);
  const plural = setAside.count === 1 ? "" : "s";
  return setAside.lastReason === "sentinel"
    ? `${n} error reading${plural} (${fmtValue(setAside.lastValue)}) set aside`
    : `${n} reading${plural} outside its valid range set aside (latest ${fmtValue(setAside.lastValue)})`;
}
