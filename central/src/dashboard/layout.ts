/**
 * The shell every dashboard page shares: head, header with navigation and sign-out, and the security
 * headers. Pages are server-rendered skeletons; each loads one ES module that fills them from the API.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Principal } from "../auth/tokens.ts";
import { type Html, html, raw } from "./html.ts";

export const WINDOWS = [
  { id: "24h", label: "24 h" },
  { id: "48h", label: "48 h" },
  { id: "1w", label: "1 week" },
  { id: "1m", label: "1 month" },
] as const;
export type WindowId = (typeof WINDOWS)[number]["id"];

/** An unknown window in the URL falls back to 24 h rather than failing: it is a link, not an API call. */
export function windowFrom(value: string | undefined): WindowId {
  return WINDOWS.find((w) => w.id === value)?.id ?? "24h";
}

/**
 * The import map lets the modules write `import uPlot from "uplot"`, which the type checker resolves to
 * the package's own types. It is the page's one inline script, allowed by its hash in the CSP.
 */
const IMPORT_MAP = JSON.stringify({ imports: { uplot: "/assets/vendor/uPlot.esm.js" } });
const IMPORT_MAP_HASH = createHash("sha256").update(IMPORT_MAP).digest("base64");

const CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

export function securityHeaders(c: Context): void {
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  // Pages show live numbers and who is signed in: never from a shared cache.
  c.header("Cache-Control", "no-store");
}

export type Section = "overview" | "sites" | "backfill";

export interface PageOptions {
  title: string;
  section: Section | undefined;
  principal: Principal | undefined;
  window?: WindowId;
  /** The page's module under /assets/, e.g. `overview.js`. */
  script?: string;
  charts?: boolean;
  /** Data for the page's module, as data- attributes of <main>. */
  data?: Record<string, string>;
  body: Html;
}

/** Which pages a role can use: vendors upload and read backfills only (DESIGN.md section 4). */
export function sectionsFor(principal: Principal | undefined): Section[] {
  if (!principal) return [];
  return principal.role === "vendor" ? ["backfill"] : ["overview", "sites", "backfill"];
}

export function page(options: PageOptions): Html {
  const { principal, section } = options;
  const windowQuery = options.window && options.window !== "24h" ? `?window=${options.window}` : "";
  const links: Record<Section, [string, string]> = {
    overview: ["Overview", `/${windowQuery}`],
    sites: ["Sites", "/sites"],
    backfill: ["Backfill", "/backfill"],
  };
  const nav = sectionsFor(principal).map((s) => {
    const [label, href] = links[s];
    return html`<a href="${href}"${s === section ? html` aria-current="page"` : ""}>${label}</a>`;
  });
  const data = Object.entries(options.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · plantlink</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
${options.charts ? html`<link rel="stylesheet" href="/assets/vendor/uPlot.min.css">` : ""}
${
  options.script
    ? html`<script type="importmap">${raw(IMPORT_MAP)}</script>
<script type="module" src="/assets/${options.script}"></script>`
    : ""
}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">plant<b>link</b></a>
  ${
    principal
      ? html`<nav aria-label="Main">${nav}</nav>
  <div class="who"><span title="signed in with token ${principal.tokenId}">${principal.name} · ${principal.role}</span>
    <form method="post" action="/sign-out"><button type="submit" class="link">Sign out</button></form>
  </div>`
      : ""
  }
</header>
<main id="main"${data}>
${options.body}
</main>
</body>
</html>
`;
}

/** Links to the same page at each window, the current one marked for screen readers and styles. */
export function windowSwitcher(current: WindowId, hrefFor: (w: WindowId) => string): Html {
  return html`<nav class="windows" aria-label="Time window">${WINDOWS.map(
    (w) =>
      html`<a href="${hrefFor(w.id)}" data-window="${w.id}"${w.id === current ? html` aria-current="true"` : ""}>${w.label}</a>`,
  )}</nav>`;
}
