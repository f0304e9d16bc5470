/**
 * `pnpm central backfill FILE --url URL --token T`: uploads a CSV file of readings to a running central,
 * with a progress bar on a terminal, and prints the report. Exit status 0 when the whole file was
 * read (rejected rows are listed, not fatal), 1 when the upload failed or stopped early, 2 for usage.
 */
import { parseArgs } from "node:util";
import { type UploadAnswer, uploadCsv } from "./client.ts";
import { createProgressBar, type Terminal } from "./progress.ts";
import type { UploadReport } from "./report.ts";

export const BACKFILL_USAGE = `usage: pnpm central backfill FILE --url URL --token TOKEN [options]

  --url URL       central's address, e.g. https://central.example:8080
  --token TOKEN   a vendor (or admin) token
  --name NAME     the file name reports show (default: FILE's name)
  --gzip          compress the upload on the way
  --ca FILE       the PEM certificate of a private CA that signed central's certificate
  --json          print the report as JSON instead of a summary
  --errors N      how many rejected lines the summary lists (default 20)`;

/** Where the command writes; a terminal on stderr gets the progress bar. */
export interface Io {
  stdout: Pick<NodeJS.WriteStream, "write">;
  stderr: Terminal;
}

const n = (value: number) => value.toLocaleString("en-US");

function isReport(body: unknown): body is UploadReport {
  return typeof body === "object" && body !== null && "uploadId" in body && "rows" in body;
}

export function summarise(report: UploadReport, maxErrors: number): string {
  const lines = [
    `upload ${report.uploadId} (${report.fileName}): ${report.status}, ${n(report.bytes)} bytes`,
    `  rows ${n(report.rows)}: inserted ${n(report.inserted)}, duplicates ${n(report.duplicates)}, ` +
      `conflicts ${n(report.conflicts)}, set aside ${n(report.setAside)}, rejected ${n(report.rejected)}`,
  ];
  if (report.extraColumns.length > 0) lines.push(`  columns ignored: ${report.extraColumns.join(", ")}`);
  if (report.status !== "complete") {
    lines.push(`  read up to line ${n(report.committedLine)} (byte ${n(report.committedBytes)})`);
    if (report.detail) lines.push(`  ${report.detail}`);
  }
  if (report.errorsTotal > 0) {
    const shown = report.errors.slice(0, maxErrors);
    lines.push(
      `  lines not taken (${shown.length} of ${n(report.errorsTotal)}; all kept ones: GET /v1/backfill/${report.uploadId}):`,
    );
    for (const error of shown) lines.push(`    line ${error.line}: ${error.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeFailure(answer: UploadAnswer, maxErrors: number): string {
  const body = answer.body;
  if (typeof body !== "object" || body === null)
    return `central answered ${answer.status}: ${String(body)}\n`;
  const problem = body as {
    title?: string;
    detail?: string;
    report?: unknown;
    errors?: { line?: number; reason: string }[];
  };
  let text = `central answered ${answer.status} ${problem.title ?? ""}: ${problem.detail ?? JSON.stringify(body)}\n`;
  if (isReport(problem.report)) text += summarise(problem.report, maxErrors);
  else
    for (const e of problem.errors ?? [])
      text += `  ${e.line === undefined ? "" : `line ${e.line}: `}${e.reason}\n`;
  return text;
}

/** Runs the command; resolves with the exit status. */
export async function backfillCommand(args: string[], io: Io = process): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${BACKFILL_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [file, ...extra] = positionals;
  const problem = !file
    ? "backfill needs the CSV FILE to upload"
    : extra.length > 0
      ? `unexpected argument "${extra[0]}"`
      : !values.url
        ? "--url is required: central's address"
        : !values.token
          ? "--token is required: a vendor token"
          : undefined;
  const maxErrors = Number(values.errors ?? 20);
  if (problem || !file || !values.url || !values.token || !Number.isInteger(maxErrors) || maxErrors < 0) {
    io.stderr.write(`${problem ?? "--errors must be a whole number"}\n\n${BACKFILL_USAGE}\n`);
    return 2;
  }
  const bar = createProgressBar(io.stderr);
  let answer: UploadAnswer;
  try {
    answer = await uploadCsv({
      url: values.url,
      token: values.token,
      file,
      gzip: values.gzip,
      fileName: values.name,
      caFile: values.ca,
      onProgress: (progress) => bar.update(progress),
    });
  } catch (error) {
    bar.done();
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr.write(`the upload failed: ${(error as Error).message}${code ? ` (${code})` : ""}\n`);
    return 1;
  }
  bar.done();
  if (values.json) io.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  if (answer.status === 201 && isReport(answer.body)) {
    if (!values.json) io.stdout.write(summarise(answer.body, maxErrors));
    return 0;
  }
  io.stderr.write(describeFailure(answer, maxErrors));
  return 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      name: { type: "string" },
      gzip: { type: "boolean" },
      ca: { type: "string" },
      json: { type: "boolean" },
      errors: { type: "string" },
    },
  });
}
