/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, and a viewer
 * for it. The viewer's files come from the `swagger-ui-dist` package and are served by central itself:
 * plants are often offline, so no page of plantlink may load anything from a CDN.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { CentralApp } from "./route.ts";

// A Map, not an object literal: the file name comes from the URL, and `/docs/constructor` or
// `/docs/__proto__` would find the properties every object inherits.
const ASSETS = new Map<string, string>([
  ["swagger-ui.css", "text/css; charset=utf-8"],
  ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
  ["favicon-32x32.png", "image/png"],
]);

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>plantlink central API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// A separate file rather than an inline script, so the page also works under a strict CSP.
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: false, tryItOutEnabled: false });
`;

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "plantlink central",
    version: "1",
    description:
      "Sensor readings from plant sites, stored exactly once. Every /v1 route needs a bearer token " +
      "(`Authorization: Bearer plt_…`); errors are RFC 9457 application/problem+json.",
  },
} as const;

export function registerDocs(app: CentralApp): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A plantlink token (plt_…), created with `pnpm central token create`",
  });

  // Generated on first request and kept: the routes do not change once the app is built.
  let document: string | undefined;
  app.get("/openapi.json", (c) => {
    document ??= JSON.stringify(app.getOpenAPI31Document(OPENAPI_INFO));
    return c.body(document, 200, { "Content-Type": "application/json; charset=utf-8" });
  });

  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Promise<Buffer>>();
  app.get("/docs", (c) => c.html(PAGE));
  app.get("/docs/init.js", (c) => c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/docs/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS.get(file);
    // Only the listed files: the name comes from the URL and must never reach the file system unchecked.
    if (type === undefined) return c.notFound();
    let content = cache.get(file);
    if (!content) {
      content = readFile(join(dist, file));
      cache.set(file, content);
    }
    return c.body(new Uint8Array(await content), 200, {
      "Content-Type": type,
      "Cache-Control": "public, max-age=86400",
    });
  });
}
