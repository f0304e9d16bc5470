// @ts-check
/** Keeps a uPlot chart as wide as its container when the window is resized. */

/**
 * @param {HTMLElement} container
 * @param {{ setSize(size: { width: number, height: number }): void }} chart
 * @param {number} height
 */
export function fitWidth(container, chart, height) {
  let last = container.clientWidth;
  const observer = new ResizeObserver(() => {
    const width = container.clientWidth;
    // uPlot's own root is inside the container: react only to real width changes, not to our redraws.
    if (width === last || width < 100) return;
    last = width;
    chart.setSize({ width, height });
  });
  observer.observe(container);
  return observer;
}
