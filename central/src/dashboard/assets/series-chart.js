// @ts-check
/**
 * One sensor's series: the bucket averages as a line inside their min–max band, with what it is
 * measured against drawn behind it — the baseline band (mean ± 2σ of the previous week), the warning
 * and critical limits, the target — and the gaps (no readings for longer than the sensor's cadence)
 * shaded, so "where was it off, and where do we not know" reads straight from the picture.
 */
import uPlot from "uplot";
import { fitWidth } from "./chart-size.js";
import { fmtValue } from "./format.js";

export const COLORS = {
  average: "#1758c2",
  band: "rgba(23, 88, 194, 0.16)",
  baseline: "rgba(26, 127, 55, 0.10)",
  target: "#1a7f37",
  warning: "#c98a00",
  critical: "#c42b2b",
  gap: "rgba(120, 130, 145, 0.22)",
};

/**
 * @typedef {object} SeriesInput
 * @property {number[]} times epoch seconds, one per bucket (bucket start)
 * @property {(number | null)[]} average
 * @property {(number | null)[]} min
 * @property {(number | null)[]} max
 * @property {number} from window start, epoch seconds
 * @property {number} to window end, epoch seconds
 * @property {{ from: number, to: number }[]} gaps epoch seconds
 * @property {{ value: number, kind: "target" | "warning" | "critical", label: string }[]} lines
 * @property {{ low: number, high: number } | null} baseline
 */

/**
 * The chart's columns from the series buckets. Empty buckets are left out rather than drawn as holes:
 * a sensor that reads every 4 hours leaves most 30-minute buckets of a week empty, and holes there would
 * leave dots instead of a line. The line is broken only where the gaps answer says readings were
 * missing (a null point in the gap's middle), so a real gap still shows as one. Points sit at their
 * bucket's middle.
 * @param {{ start: string, count: number, average: number | null, min: number | null, max: number | null }[]} buckets
 * @param {number} bucketMs
 * @param {{ from: number, to: number }[]} gaps epoch seconds
 */
export function chartColumns(buckets, bucketMs, gaps) {
  /** @type {{ t: number, average: number | null, min: number | null, max: number | null }[]} */
  const rows = buckets
    .filter((b) => b.count > 0)
    .map((b) => ({
      t: (Date.parse(b.start) + bucketMs / 2) / 1000,
      average: b.average,
      min: b.min,
      max: b.max,
    }));
  for (const gap of gaps) rows.push({ t: (gap.from + gap.to) / 2, average: null, min: null, max: null });
  rows.sort((a, b) => a.t - b.t);
  return {
    times: rows.map((r) => r.t),
    average: rows.map((r) => r.average),
    min: rows.map((r) => r.min),
    max: rows.map((r) => r.max),
  };
}

/**
 * The chart and its resize watcher per container, so drawing again (after an admin changes the limits)
 * replaces the old chart instead of leaving it listening.
 * @type {WeakMap<HTMLElement, { destroy(): void }>}
 */
const drawnIn = new WeakMap();

/**
 * @param {HTMLElement} container
 * @param {SeriesInput} input
 */
export function drawSeries(container, input) {
  drawnIn.get(container)?.destroy();
  container.replaceChildren();
  const height = 340;

  /** @param {uPlot} u */
  const drawBehind = (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    if (input.baseline) {
      const top = u.valToPos(input.baseline.high, "y", true);
      const bottom = u.valToPos(input.baseline.low, "y", true);
      ctx.fillStyle = COLORS.baseline;
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    }
    ctx.fillStyle = COLORS.gap;
    for (const gap of input.gaps) {
      const left = u.valToPos(gap.from, "x", true);
      const right = u.valToPos(gap.to, "x", true);
      ctx.fillRect(left, bbox.top, Math.max(2, right - left), bbox.height);
    }
    ctx.restore();
  };

  /** @param {uPlot} u */
  const drawLines = (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1);
    for (const line of input.lines) {
      const y = Math.round(u.valToPos(line.value, "y", true));
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.strokeStyle = COLORS[line.kind];
      ctx.setLineDash(
        line.kind === "target"
          ? []
          : [6 * (window.devicePixelRatio || 1), 4 * (window.devicePixelRatio || 1)],
      );
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  };

  // The y range takes in the limits and target too, so a line just off the data is not cut away.
  const extras = input.lines.map((l) => l.value);
  if (input.baseline) extras.push(input.baseline.low, input.baseline.high);

  const chart = new uPlot(
    {
      width: Math.max(300, container.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: true, range: () => [input.from, input.to] },
        y: {
          range: (_u, min, max) => {
            const lo = Math.min(min, ...extras);
            const hi = Math.max(max, ...extras);
            const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.05 || 1;
            return [lo - pad, hi + pad];
          },
        },
      },
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => fmtValue(t)) }],
      series: [
        {},
        {
          label: "average",
          stroke: COLORS.average,
          width: 2,
          spanGaps: false,
          value: (_u, v) => fmtValue(v),
        },
        {
          label: "min",
          stroke: "rgba(23, 88, 194, 0.35)",
          width: 1,
          spanGaps: false,
          value: (_u, v) => fmtValue(v),
        },
        {
          label: "max",
          stroke: "rgba(23, 88, 194, 0.35)",
          width: 1,
          spanGaps: false,
          value: (_u, v) => fmtValue(v),
        },
      ],
      bands: [{ series: [3, 2], fill: COLORS.band }],
      hooks: { drawClear: [drawBehind], draw: [drawLines] },
    },
    [input.times, input.average, input.min, input.max],
    container,
  );
  const observer = fitWidth(container, chart, height);
  drawnIn.set(container, {
    destroy() {
      observer.disconnect();
      chart.destroy();
    },
  });
  return chart;
}
