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

  // Consecutive buckets are joined in full colour; a join across empty buckets is drawn faint, so the
  // trend still reads for a sensor that reports less often than the buckets, and a hole still shows.
  ctx.lineWidth = 1.25;
  ctx.lineJoin = "round";
  let previous = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const p = previous >= 0 ? values[previous] : null;
    if (p !== null && p !== undefined) {
      ctx.strokeStyle = i - previous === 1 ? "#1758c2" : "rgba(23, 88, 194, 0.5)";
      ctx.beginPath();
      ctx.moveTo(x(previous), y(p));
      ctx.lineTo(x(i), y(v));
      ctx.stroke();
    }
    previous = i;
  }
  if (previous >= 0) {
    // The latest value as a dot: where the sensor is now.
    const last = values[previous] ?? 0;
    ctx.fillStyle = "#1758c2";
    ctx.beginPath();
    ctx.arc(x(previous), y(last), 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
  return canvas;
}
