/**
 * The dashboard's static files: our own ES modules and stylesheet from `assets/`, and uPlot from
 * central's own node_modules. Plants are often offline, so nothing is ever loaded from a CDN.
 *
 * The files are few and small, so each is read once (on the first request), gzipped once, and served
 * from memory with an ETag; `no-cache` makes browsers revalidate, which costs a 304 and keeps a
 * freshly deployed central from running yesterday's scripts without needing hashed file names.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Context } from "hono";
import { negotiateEncoding } from "../http/accept-encoding.ts";
import { gzipEtagOf, matchesIfNoneMatch } from "../http/conditional.ts";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Public path (under /assets/) → file. The vendor files are named here so nothing else is reachable. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return {
    "vendor/uPlot.esm.js": require.resolve("uplot/dist/uPlot.esm.js"),
    "vendor/uPlot.min.css": require.resolve("uplot/dist/uPlot.min.css"),
  };
}

export const ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
  gzipEtag: string;
}

export interface Assets {
  /** Every served file by public path, e.g. `overview.js`, `vendor/uPlot.esm.js`. */
  all(): Promise<ReadonlyMap<string, Asset>>;
  serve(c: Context, path: string): Promise<Response>;
}

export function createAssets(dir: string = ASSETS_DIR): Assets {
  let loading: Promise<ReadonlyMap<string, Asset>> | undefined;

  const load = async () => {
    const files: Record<string, string> = vendorFiles();
    for (const name of await readdir(dir)) {
      if (TYPES[extname(name)]) files[name] = join(dir, name);
    }
    const map = new Map<string, Asset>();
    for (const [path, file] of Object.entries(files)) {
      const body = await readFile(file);
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
      map.set(path, {
        type: TYPES[extname(path)] ?? "application/octet-stream",
        body,
        gzip: gzipSync(body),
        etag,
        gzipEtag: gzipEtagOf(etag),
      });
    }
    return map;
  };

  const all = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined; // a transient read failure must not stick for the life of the process
      throw error;
    });
    return loading;
  };

  return {
    all,
    async serve(c, path) {
      const asset = (await all()).get(path);
      if (!asset) return c.text(`no asset ${path}`, 404);
      // Negotiated and tagged as the API's answers are (http/conditional.ts): each encoding its tag.
      const gzip = negotiateEncoding(c.req.header("Accept-Encoding")) === "gzip";
      const headers: Record<string, string> = {
        "Content-Type": asset.type,
        ETag: gzip ? asset.gzipEtag : asset.etag,
        "Cache-Control": "no-cache",
        Vary: "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
      };
      if (matchesIfNoneMatch(c.req.header("If-None-Match"), asset)) return c.body(null, 304, headers);
      if (gzip) headers["Content-Encoding"] = "gzip";
      return c.body(new Uint8Array(gzip ? asset.gzip : asset.body), 200, headers);
    },
  };
}
