/**
 * The dashboard's pages. Each is a server-rendered skeleton — headings, empty tables, labelled
 * controls, all usable before any script runs — plus one ES module that fills it from the same `/v1`
 * API any client uses, authenticated by the session cookie. Only which window and which sensor come
 * from the server, as data attributes; every number on a page comes from an API answer.
 */
import type { Context } from "hono";
import type { Principal } from "../auth/tokens.ts";
import type { AppEnv } from "../http/context.ts";
import type { CentralApp } from "../http/route.ts";
import { type Html, html } from "./html.ts";
import {
  page,
  type Section,
  sectionsFor,
  securityHeaders,
  type WindowId,
  windowFrom,
  windowSwitcher,
} from "./layout.ts";
import type { Sessions } from "./session.ts";

const withWindow = (path: string, w: WindowId) => (w === "24h" ? path : `${path}?window=${w}`);

const figure = (id: string, label: string, kind = "") =>
  html`<div class="figure${kind ? ` ${kind}` : ""}"><span class="label" id="${id}-label">${label}</span><span class="value" id="${id}" aria-labelledby="${id}-label">–</span></div>`;

function overview(w: WindowId): Html {
  return html`<div class="page-head">
  <h1>Overview</h1>
  ${windowSwitcher(w, (x) => withWindow("/", x))}
</div>
<p class="range" id="range" aria-live="polite">Loading…</p>
<p class="error" id="error" role="alert" hidden></p>
<section class="figures" aria-label="Summary">
  ${figure("fig-reporting", "Sensors reporting")}
  ${figure("fig-readings", "Readings in window")}
  ${figure("fig-silent", "Sensors silent")}
  ${figure("fig-behind", "Sites behind on sync")}
</section>
<div class="two-col">
  <section class="panel" aria-labelledby="h-status">
    <h2 id="h-status">Status</h2>
    <div id="status-share" class="status-share" aria-hidden="true"></div>
    <div id="status-bar" class="status-bar" role="group" aria-label="Sensors by status; choose one to filter the table"></div>
    <h3 class="attention-head">Needs attention</h3>
    <ul id="attention" class="attention"><li class="muted">Loading…</li></ul>
    <h3 class="attention-head">Error readings set aside</h3>
    <ul id="set-aside" class="attention"><li class="muted">Loading…</li></ul>
  </section>
  <section class="panel" aria-labelledby="h-dist">
    <h2 id="h-dist">Distribution of sensor averages</h2>
    <div id="histogram" class="chart chart-small" role="img" aria-label="Histogram of the sensors' window averages"></div>
  </section>
</div>
<section class="panel" aria-labelledby="h-sensors">
  <h2 id="h-sensors">Sensors</h2>
  <form class="filters" role="search" id="filters">
    <label>Id starts with <input id="f-prefix" name="prefix" type="search" autocomplete="off" spellcheck="false"></label>
    <label>Site <select id="f-site" name="site"><option value="">All sites</option></select></label>
    <label>Status <select id="f-status" name="status"><option value="">Any status</option>
      <option value="critical">Critical</option><option value="warning">Warning</option><option value="silent">Silent</option>
      <option value="unknown">Unknown</option><option value="ok">OK</option></select></label>
    <span class="shown" id="shown" aria-live="polite"></span>
  </form>
  <div class="table-wrap">
  <table class="sensors" id="sensors">
    <thead><tr>
      <th scope="col" data-sort="equipmentId"><button type="button">Sensor</button></th>
      <th scope="col" data-sort="site"><button type="button">Site</button></th>
      <th scope="col" data-sort="status"><button type="button">Status</button></th>
      <th scope="col" class="num" data-sort="average"><button type="button">Average</button></th>
      <th scope="col" class="num" data-sort="min"><button type="button">Min</button></th>
      <th scope="col" class="num" data-sort="max"><button type="button">Max</button></th>
      <th scope="col" class="num" data-sort="count"><button type="button">Readings</button></th>
      <th scope="col" class="num" data-sort="lastValue"><button type="button">Last value</button></th>
      <th scope="col" data-sort="lastSeen"><button type="button">Last seen</button></th>
      <th scope="col">Trend</th>
    </tr></thead>
    <tbody id="rows"><tr><td colspan="10" class="muted">Loading…</td></tr></tbody>
  </table>
  </div>
  <nav class="pager" aria-label="Table pages">
    <button type="button" id="page-prev">‹ Previous</button>
    <span id="page-info"></span>
    <button type="button" id="page-next">Next ›</button>
  </nav>
</section>`;
}

/** Admins set a sensor's limits here; the form sends PUT /v1/equipment/{id}/limits with the session. */
const limitsForm = html`<details class="limits-edit">
      <summary>Change limits</summary>
      <form id="limits-form" class="limits-form">
        ${(
          [
            ["criticalLow", "Critical below"],
            ["warningLow", "Warning below"],
            ["target", "Target"],
            ["warningHigh", "Warning above"],
            ["criticalHigh", "Critical above"],
            ["validMin", "Valid from"],
            ["validMax", "Valid to"],
          ] as const
        ).map(
          ([name, label]) =>
            html`<label>${label} <input name="${name}" type="number" step="0.01" inputmode="decimal"></label>`,
        )}
        <label>Error values <input name="sentinels" type="text" inputmode="decimal" placeholder="e.g. -1, 999.99" autocomplete="off"></label>
        <button type="submit" class="primary">Save limits</button>
        <p class="muted">Leave a field empty for no limit. Readings equal to an error value (comma-separated;
          -9999 always is one unless the server is configured otherwise) or outside the valid range are set
          aside, not averaged. Changes are recorded with your token's name.</p>
        <p id="limits-message" role="status"></p>
      </form>
    </details>`;

function sensor(id: string, w: WindowId, canEditLimits: boolean): Html {
  const path = `/sensors/${encodeURIComponent(id)}`;
  return html`<p class="crumbs"><a href="${withWindow("/", w)}">Overview</a> › sensor</p>
<div class="page-head">
  <h1><span id="sensor-id">${id}</span> <span class="status" id="status"></span></h1>
  ${windowSwitcher(w, (x) => withWindow(path, x))}
</div>
<p class="range" id="range" aria-live="polite">Loading…</p>
<p class="reason" id="status-reason"></p>
<p class="reason set-aside" id="set-aside" hidden></p>
<p class="error" id="error" role="alert" hidden></p>
<section class="figures" aria-label="Window figures">
  ${figure("fig-average", "Average")}
  ${figure("fig-min", "Min")}
  ${figure("fig-max", "Max")}
  ${figure("fig-count", "Readings")}
  ${figure("fig-first", "First in window", "time")}
  ${figure("fig-last", "Last in window", "time")}
</section>
<section class="panel" aria-labelledby="h-series">
  <h2 id="h-series">Series</h2>
  <div id="chart" class="chart" role="img" aria-label="Average per time bucket with its min–max band, gaps shaded, limits drawn"></div>
  <p class="key" id="chart-key"></p>
</section>
<div class="two-col">
  <section class="panel" aria-labelledby="h-gaps">
    <h2 id="h-gaps">Gaps</h2>
    <p class="muted" id="gaps-note"></p>
    <table class="compact"><thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">Length</th></tr></thead>
    <tbody id="gaps"></tbody></table>
  </section>
  <section class="panel" aria-labelledby="h-limits">
    <h2 id="h-limits">Limits and baseline</h2>
    <dl class="facts" id="limits"></dl>
    ${canEditLimits ? limitsForm : ""}
    <h2>Readings</h2>
    <dl class="facts" id="readings"></dl>
  </section>
</div>
<section class="panel" aria-labelledby="h-conflicts">
  <h2 id="h-conflicts">Recent conflicts</h2>
  <p class="muted">A conflict is a reading sent again for the same instant with a different value; the first value
  stays. <span id="conflicts-note"></span></p>
  <table class="compact"><thead><tr><th scope="col">Reading time</th><th scope="col" class="num">Stored</th>
    <th scope="col" class="num">Refused</th><th scope="col">Source</th><th scope="col">Seen</th></tr></thead>
  <tbody id="conflicts"></tbody></table>
</section>`;
}

function sites(): Html {
  return html`<div class="page-head"><h1>Sites</h1></div>
<p class="range">Each edge site buffers its readings and syncs them here. A site is behind when its oldest unsynced
reading is old or it has not synced recently.</p>
<p class="error" id="error" role="alert" hidden></p>
<section class="figures" aria-label="Summary">
  ${figure("fig-sites", "Sites")}
  ${figure("fig-behind", "Behind on sync")}
  ${figure("fig-backlog", "Readings waiting")}
</section>
<section class="panel" aria-labelledby="h-sites">
  <h2 id="h-sites">Edge sites</h2>
  <div class="table-wrap"><table id="sites">
    <thead><tr><th scope="col">Site</th><th scope="col">State</th><th scope="col">Last sync</th>
      <th scope="col" class="num">Backlog</th><th scope="col">Oldest unsynced</th><th scope="col" class="num">Readings today (UTC)</th>
      <th scope="col" class="num">Readings in total</th></tr></thead>
    <tbody id="rows"><tr><td colspan="7" class="muted">Loading…</td></tr></tbody>
  </table></div>
</section>`;
}

function backfill(canUpload: boolean): Html {
  return html`<div class="page-head"><h1>Backfill</h1></div>
<p class="range">Upload a vendor's CSV with the header <code>equipmentId,timestamp,value</code>. Good rows are stored,
bad rows are listed with their line; uploading the same file again stores nothing twice.</p>
<section class="panel" aria-labelledby="h-upload">
  <h2 id="h-upload">Upload a CSV</h2>
  ${
    canUpload
      ? html`<form id="upload" class="upload">
    <label for="file">CSV file</label> <input id="file" name="file" type="file" accept=".csv,text/csv" required>
    <button type="submit" class="primary">Upload</button>
  </form>`
      : html`<p class="muted">Uploading needs a vendor or admin token; this session can read earlier reports.</p>`
  }
  <div id="progress-box" hidden>
    <label for="progress" id="progress-label">Uploading…</label>
    <progress id="progress" max="100" value="0"></progress>
  </div>
  <p class="error" id="error" role="alert" hidden></p>
</section>
<section class="panel" id="report-panel" aria-labelledby="h-report" hidden>
  <h2 id="h-report">Report</h2>
  <div id="report"></div>
</section>
<section class="panel" aria-labelledby="h-uploads">
  <h2 id="h-uploads">Earlier uploads</h2>
  <div class="table-wrap"><table id="uploads">
    <thead><tr><th scope="col">File</th><th scope="col">When</th><th scope="col">Status</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Inserted</th>
      <th scope="col" class="num">Duplicates</th><th scope="col" class="num">Conflicts</th><th scope="col" class="num">Rejected</th></tr></thead>
    <tbody id="rows"><tr><td colspan="8" class="muted">Loading…</td></tr></tbody>
  </table></div>
</section>`;
}

export function registerPages(app: CentralApp, sessions: Sessions): void {
  /** The signed-in principal allowed on `section`, or the redirect to send instead. */
  const guard = async (c: Context<AppEnv>, section: Section): Promise<Principal | Response> => {
    securityHeaders(c);
    const principal = await sessions.authenticate(c);
    const url = new URL(c.req.url);
    if (!principal) return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    if (!sectionsFor(principal).includes(section)) return c.redirect("/backfill", 303);
    return principal;
  };

  app.get("/", async (c) => {
    const principal = await guard(c, "overview");
    if (principal instanceof Response) return principal;
    const w = windowFrom(c.req.query("window"));
    const body = overview(w);
    return c.html(
      page({
        title: "Overview",
        section: "overview",
        principal,
        window: w,
        script: "overview.js",
        charts: true,
        data: { window: w },
        body,
      }).text,
    );
  });

  app.get("/sensors/:id", async (c) => {
    const principal = await guard(c, "overview");
    if (principal instanceof Response) return principal;
    const w = windowFrom(c.req.query("window"));
    const id = c.req.param("id");
    const body = sensor(id, w, principal.role === "admin");
    return c.html(
      page({
        title: id,
        section: "overview",
        principal,
        window: w,
        script: "sensor.js",
        charts: true,
        data: { window: w, equipment: id, role: principal.role },
        body,
      }).text,
    );
  });

  app.get("/sites", async (c) => {
    const principal = await guard(c, "sites");
    if (principal instanceof Response) return principal;
    return c.html(
      page({ title: "Sites", section: "sites", principal, script: "sites.js", body: sites() }).text,
    );
  });

  app.get("/backfill", async (c) => {
    const principal = await guard(c, "backfill");
    if (principal instanceof Response) return principal;
    const canUpload = principal.role !== "viewer";
    return c.html(
      page({
        title: "Backfill",
        section: "backfill",
        principal,
        script: "backfill.js",
        body: backfill(canUpload),
      }).text,
    );
  });
}
