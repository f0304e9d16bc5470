// @ts-check
/** Each edge site's sync state, behind ones first, so a site that stopped syncing cannot hide. */
import { getJson } from "./api.js";
import { byId, compareText, el, fmtAgo, fmtCount, fmtDuration, fmtTime, showError } from "./format.js";
import { isBehind, unsyncedAge } from "./sync-state.js";

/** @typedef {import("./api-types.d.ts").EdgesAnswer} EdgesAnswer */

async function load() {
  const answer = /** @type {EdgesAnswer} */ (await getJson("/v1/edges"));
  const edges = answer.edges
    .map((e) => ({ ...e, behind: isBehind(e), age: unsyncedAge(e) }))
    .sort((a, b) => Number(b.behind) - Number(a.behind) || compareText(a.edgeId, b.edgeId));
  const behind = edges.filter((e) => e.behind).length;
  byId("fig-sites").textContent = fmtCount(edges.length);
  byId("fig-behind").textContent = fmtCount(behind);
  byId("fig-behind").parentElement?.classList.toggle("alert", behind > 0);
  byId("fig-backlog").textContent = fmtCount(edges.reduce((sum, e) => sum + (e.backlog ?? 0), 0));

  const rows = edges.map((e) =>
    el("tr", { class: e.behind ? "behind" : "", "data-edge": e.edgeId }, [
      el("td", { text: e.edgeId }),
      el("td", {}, [
        el("span", {
          class: `badge badge-${e.behind ? "warning" : "ok"}`,
          text: e.behind ? "⚠ Behind" : "In sync",
        }),
      ]),
      el("td", { title: fmtTime(e.lastSyncAt), text: fmtAgo(e.lastSyncAt) }),
      el("td", { class: "num", text: fmtCount(e.backlog) }),
      el("td", {
        title: e.oldestUnsyncedAt ? fmtTime(e.oldestUnsyncedAt) : "",
        text: e.age === null ? "–" : fmtDuration(e.age),
      }),
      el("td", { class: "num", text: fmtCount(e.readingsToday) }),
      el("td", { class: "num", text: fmtCount(e.readingsTotal) }),
    ]),
  );
  if (rows.length === 0)
    rows.push(
      el("tr", {}, [el("td", { colspan: "7", class: "muted", text: "No edge site has synced yet." })]),
    );
  byId("rows").replaceChildren(...rows);
  byId("main").dataset.loaded = "true";
}

load().catch(showError);
