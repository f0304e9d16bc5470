// @ts-check
/**
 * The distribution of the sensors' window averages as a bar chart: where most of the fleet sits, and
 * which sensors are far from the rest. Bins follow the square-root rule, bounded so a few sensors still
 * get several bars and two thousand do not get hair-thin ones.
 */
import uPlot from "uplot";
import { fitWidth } from "./chart-size.js";
import { fmtValue } from "./format.js";

/** @param {number[]} values */
export function bins(values) {
  if (values.length === 0) return { centers: [], counts: [], width: 0 };
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const n = Math.min(40, Math.max(5, Math.ceil(Math.sqrt(values.length))));
  const width = (hi - lo) / n || 1;
  const counts = new Array(n).fill(0);
  for (const v of values) counts[Math.min(n - 1, Math.floor((v - lo) / width))]++;
  const centers = counts.map((_, i) => lo + (i + 0.5) * width);
  return { centers, counts, width };
}

/**
 * @param {HTMLElement} container
 * @param {number[]} values
 */
export function drawHistogram(container, values) {
  container.replaceChildren();
  if (values.length === 0) {
    container.textContent = "No sensor reported in this window.";
    return undefined;
  }
  const { centers, counts, width } = bins(values);
  const bars = uPlot.paths.bars?.({ size: [0.92, 80], align: 0 });
  const chart = new uPlot(
    {
      width: Math.max(300, container.clientWidth),
      height: 200,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: (_u, min, max) => [min - width / 2, max + width / 2] },
        // Bars are read against zero; an axis starting at 20 would make 21 look like nothing.
        y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.08] },
      },
      axes: [
        { label: "window average", values: (_u, ticks) => ticks.map((t) => fmtValue(t)), size: 44 },
        { label: "sensors", size: 50 },
      ],
      series: [
        {},
        {
          label: "sensors",
          stroke: "#1758c2",
          fill: "rgba(23, 88, 194, 0.55)",
          width: 1,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
        },
      ],
    },
    [centers, counts],
    container,
  );
  fitWidth(container, chart, 200);
  container.setAttribute(
    "aria-label",
    `Histogram of ${values.length} sensor averages from ${fmtValue(centers[0] ?? 0)} to ${fmtValue(centers.at(-1) ?? 0)}`,
  );
  return chart;
}
