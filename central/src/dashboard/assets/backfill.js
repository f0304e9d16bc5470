// @ts-check
/**
 * Uploading a vendor CSV and reading its report. XMLHttpRequest rather than fetch because only XHR
 * reports upload progress, and a month of a plant's data is a file big enough to want a progress bar.
 */
import { getJson } from "./api.js";
import { byId, el, fmtCount, fmtTime, showError } from "./format.js";

/** @param {number} n */
const fmtBytes = (n) => (n < 1e6 ? `${fmtCount(Math.ceil(n / 1000))} kB` : `${(n / 1e6).toFixed(1)} MB`);

/** @typedef {import("./api-types.d.ts").UploadReport} UploadReport */
/** @typedef {import("./api-types.d.ts").UploadSummary} UploadSummary */
/** @typedef {import("./api-types.d.ts").UploadsAnswer} UploadsAnswer */

const STATUS_TEXT = {
  complete: "Complete",
  incomplete: "Incomplete: stopped early",
  failed: "Failed",
};

const main = byId("main");
const errorBox = byId("error");

/** @param {UploadReport} report */
function renderReport(report) {
  const figure = (/** @type {string} */ label, /** @type {number} */ n, /** @type {string} */ key) =>
    el("div", { "data-figure": key }, [
      el("span", { class: "muted", text: label }),
      el("b", { text: fmtCount(n) }),
    ]);
  const children = [
    el("p", {}, [
      el("b", { text: report.fileName }),
      ` · ${STATUS_TEXT[report.status]} · uploaded ${fmtTime(report.startedAt)} · ${fmtBytes(report.bytes)} · id ${report.uploadId}`,
    ]),
    el("div", { class: "report-figures" }, [
      figure("Rows", report.rows, "rows"),
      figure("Inserted", report.inserted, "inserted"),
      figure("Duplicates", report.duplicates, "duplicates"),
      figure("Conflicts", report.conflicts, "conflicts"),
      figure("Rejected", report.rejected, "rejected"),
    ]),
  ];
  if (report.detail) children.push(el("p", { class: "error", text: report.detail }));
  if (report.extraColumns.length > 0) {
    children.push(el("p", { class: "muted", text: `Columns ignored: ${report.extraColumns.join(", ")}.` }));
  }
  if (report.errors.length > 0) {
    const total = report.errorsTotal;
    children.push(
      el("h3", {
        text: `Line errors${total > report.errors.length ? ` (first ${fmtCount(report.errors.length)} of ${fmtCount(total)})` : ""}`,
      }),
      el("div", { class: "table-wrap" }, [
        el("table", { class: "compact", id: "line-errors" }, [
          el("thead", {}, [
            el("tr", {}, [
              el("th", { class: "num", scope: "col", text: "Line" }),
              el("th", { scope: "col", text: "Reason" }),
            ]),
          ]),
          el(
            "tbody",
            {},
            report.errors.map((e) =>
              el("tr", {}, [el("td", { class: "num", text: String(e.line) }), el("td", { text: e.reason })]),
            ),
          ),
        ]),
      ]),
    );
  } else if (report.status === "complete") {
    children.push(el("p", { text: "Every row was accepted." }));
  }
  byId("report").replaceChildren(...children);
  byId("report-panel").hidden = false;
}

/** @param {string} selected */
async function loadUploads(selected = "") {
  const answer = /** @type {UploadsAnswer} */ (await getJson("/v1/backfill"));
  const rows = answer.uploads.map((u) => {
    const link = el("a", { href: `#${u.uploadId}`, text: u.fileName });
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        renderReport(
          /** @type {UploadReport} */ (await getJson(`/v1/backfill/${encodeURIComponent(u.uploadId)}`)),
        );
        for (const tr of byId("rows").querySelectorAll("tr"))
          tr.classList.toggle("selected", tr.dataset.upload === u.uploadId);
        byId("report-panel").scrollIntoView({ block: "nearest" });
      } catch (error) {
        showError(error);
      }
    });
    return el("tr", { "data-upload": u.uploadId, class: u.uploadId === selected ? "selected" : "" }, [
      el("td", {}, [link]),
      el("td", { text: fmtTime(u.startedAt) }),
      el("td", { text: STATUS_TEXT[u.status] }),
      el("td", { class: "num", text: fmtCount(u.rows) }),
      el("td", { class: "num", text: fmtCount(u.inserted) }),
      el("td", { class: "num", text: fmtCount(u.duplicates) }),
      el("td", { class: "num", text: fmtCount(u.conflicts) }),
      el("td", { class: "num", text: fmtCount(u.rejected) }),
    ]);
  });
  if (rows.length === 0)
    rows.push(el("tr", {}, [el("td", { colspan: "8", class: "muted", text: "No uploads yet." })]));
  byId("rows").replaceChildren(...rows);
  main.dataset.loaded = "true";
}

/** @param {File} file @returns {Promise<UploadReport>} */
function upload(file) {
  const bar = /** @type {HTMLProgressElement} */ (byId("progress"));
  const label = byId("progress-label");
  byId("progress-box").hidden = false;
  bar.value = 0;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // The file goes as the raw body (no multipart framing to parse); its name travels in the query.
    xhr.open("POST", `/v1/backfill?fileName=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("Content-Type", "text/csv");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      bar.value = Math.round((event.loaded / event.total) * 100);
      label.textContent = `Uploading ${file.name}: ${bar.value} %`;
    });
    // Sent, but the server is still validating and storing rows: say so rather than sit at 100 %.
    xhr.upload.addEventListener("load", () => {
      label.textContent = `Uploaded ${file.name}; checking and storing rows…`;
    });
    xhr.addEventListener("load", () => {
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else if (xhr.status === 401) location.assign("/sign-in?next=%2Fbackfill");
      else {
        // A file cut short still stored its rows up to a line: the problem carries that report.
        if (body?.report) renderReport(body.report);
        reject(new Error(body?.detail ?? `the upload failed: ${xhr.status} ${xhr.statusText}`));
      }
    });
    xhr.addEventListener("error", () =>
      reject(new Error("the upload was interrupted: the server could not be reached")),
    );
    xhr.send(file);
  });
}

const form = /** @type {HTMLFormElement | null} */ (document.getElementById("upload"));
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("file"));
  const file = input.files?.[0];
  if (!file) return;
  const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
  button.disabled = true;
  errorBox.hidden = true;
  try {
    const report = await upload(file);
    byId("progress-label").textContent = `Uploaded ${file.name}.`;
    renderReport(report);
    await loadUploads(report.uploadId);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

loadUploads().catch(showError);
