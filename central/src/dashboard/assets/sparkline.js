// @ts-check
/**
 * A sparkline on a plain canvas: one polyline, no library. The table draws one per visible row, so each
 * must cost microseconds; uPlot's axes, cursor and legend would be wasted on a 120-pixel trend.
 */

const WIDTH = 120;
const HEIGHT = 26;

/**
 * @param {ArrayLike<number | null>} values one per bucket, null where the bucket had no reading
 * @param {string} label for screen readers
 */
export function sparkline(values, label) {
  const canvas = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = WIDTH * ratio;
  canvas.height = HEIGHT * ratio;
  canvas.style.width = `${WIDTH}px`;
  canvas.style.height = `${HEIGHT}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const ctx = canvas.getContext("2d");
  if (!ctx || values.length === 0) return canvas;
  ctx.scale(ratio, ratio);

  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Number.POSITIVE_INFINITY) return canvas;
  // A flat series draws as a line through the middle instead of dividing by zero.
  const span = hi - lo || 1;
  const x = (/** @type {number} */ i) =>
    values.length === 1 ? WIDTH / 2 : (i / (values.length - 1)) * (WIDTH - 2) + 1;
  const y = (/** @type {number} */ v) =>
    hi === lo ? HEIGHT / 2 : HEIGHT - 2 - ((v - lo) / span) * (HEIGHT - 4);

  ctx.strokeStyle = "#1758c2";
  ctx.fillStyle = "#1758c2";
  ctx.lineWidth = 1.25;
  ctx.lineJoin = "round";
  ctx.beginPath();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // A bucket without readings breaks the line, so a gap shows as a gap and not as a slope.
    if (v === null || v === undefined) continue;
    const before = i > 0 ? values[i - 1] : null;
    const after = i < values.length - 1 ? values[i + 1] : null;
    const joined = before !== null && before !== undefined;
    if (joined) ctx.lineTo(x(i), y(v));
    else ctx.moveTo(x(i), y(v));
    // A reading alone between two empty buckets would be an invisible zero-length line: draw a dot.
    if (!joined && (after === null || after === undefined)) ctx.fillRect(x(i) - 1, y(v) - 1, 2.5, 2.5);
  }
  ctx.stroke();
  return canvas;
}
