/**
 * What each dashboard page costs in JavaScript: its module and everything it imports, statically,
 * gzipped as served. Measured from the files central serves, so a new import anywhere in the graph
 * counts, and an unresolvable one fails here rather than in a browser.
 */
import { createAssets } from "../../src/dashboard/assets.ts";

export const PAGE_MODULES = {
  overview: "overview.js",
  sensor: "sensor.js",
  sites: "sites.js",
  backfill: "backfill.js",
} as const;

const IMPORT = /(?:^|\n)\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/g;
/** The import map of layout.ts. */
const BARE: Record<string, string> = { uplot: "vendor/uPlot.esm.js" };

export async function pageScriptWeights(): Promise<Record<keyof typeof PAGE_MODULES, number>> {
  const assets = await createAssets().all();
  const weigh = (entry: string) => {
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      const asset = assets.get(path);
      if (!asset) throw new Error(`a page imports ${path}, which central does not serve`);
      seen.add(path);
      for (const match of asset.body.toString("utf8").matchAll(IMPORT)) {
        const spec = match[1] ?? "";
        visit(BARE[spec] ?? spec.replace(/^\.\//, ""));
      }
    };
    visit(entry);
    return [...seen].reduce((sum, path) => sum + (assets.get(path)?.gzip.length ?? 0), 0);
  };
  return {
    overview: weigh(PAGE_MODULES.overview),
    sensor: weigh(PAGE_MODULES.sensor),
    sites: weigh(PAGE_MODULES.sites),
    backfill: weigh(PAGE_MODULES.backfill),
  };
}
