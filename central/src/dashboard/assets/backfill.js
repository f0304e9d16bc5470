// @ts-check
/**
 * Uploading a vendor CSV and reading its report. XMLHttpRequest rather than fetch because only XHR
 * reports upload progress, and a month of a plant's data is a file big enough to want a progress bar.
 */
import { getJson } from "./api.js";
import { byId, el, fmtCount, fmtTime, showError } from "./format.js";

/** @typedef {import("./api-types.d.ts").UploadReport} UploadReport */
/** @typedef {import("./api-types.d.ts").UploadsAnswer} UploadsAnswer */

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
    el("p", {
      class: "muted",
      text: `Upload ${report.uploadId}${report.fileName ? ` · ${report.fileName}` : ""}${report.at ? ` · ${fmtTime(report.at)}` : ""}`,
    }),
    el("div", { class: "report-figures" }, [
      figure("Rows", report.rows, "rows"),
      figure("Inserted", report.inserted, "inserted"),
      figure("Duplicates", report.duplicates, "duplicates"),
      figure("Conflicts", report.conflicts, "conflicts"),
      figure("Rejected", report.rejected, "rejected"),
    ]),
  ];
  if (report.errors.length > 0) {
    const total = report.errorsTotal ?? report.rejected;
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
  } else {
    children.push(el("p", { text: "Every row was accepted." }));
  }
  byId("report").replaceChildren(...children);
  byId("report-panel").hidden = false;
}

/** @param {string} selected */
async function loadUploads(selected = "") {
  const answer = /** @type {UploadsAnswer} */ (await getJson("/v1/backfill"));
  const rows = answer.uploads.map((u) => {
    const link = el("a", { href: `#${u.uploadId}`, text: u.fileName ?? u.uploadId });
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
      el("td", { text: fmtTime(u.at) }),
      el("td", { class: "num", text: fmtCount(u.rows) }),
      el("td", { class: "num", text: fmtCount(u.inserted) }),
      el("td", { class: "num", text: fmtCount(u.duplicates) }),
      el("td", { class: "num", text: fmtCount(u.conflicts) }),
      el("td", { class: "num", text: fmtCount(u.rejected) }),
    ]);
  });
  if (rows.length === 0)
    rows.push(el("tr", {}, [el("td", { colspan: "7", class: "muted", text: "No uploads yet." })]));
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
    xhr.open("POST", "/v1/backfill");
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
      else reject(new Error(body?.detail ?? `the upload failed: ${xhr.status} ${xhr.statusText}`));
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
    renderReport({ ...report, fileName: report.fileName ?? file.name });
    await loadUploads(report.uploadId);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

loadUploads().catch(showError);
