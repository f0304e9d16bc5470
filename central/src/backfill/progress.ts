/**
 * The upload progress bar: bytes sent of the file's size, and rows per second over the last few
 * seconds, redrawn in place on a terminal at most ten times a second. Not a terminal (a pipe, a CI
 * log): nothing is drawn, so logs do not fill with carriage returns.
 */
import type { UploadProgress } from "./client.ts";

const WIDTH = 24;
const WINDOW_MS = 3000;

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const thousands = (n: number) => Math.round(n).toLocaleString("en-US");

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export interface ProgressBar {
  update(progress: UploadProgress): void;
  /** Clears the bar so the report prints on a clean line. */
  done(): void;
}

/** What the bar needs of a stream: whether it is a terminal, and its width. */
export type Terminal = Pick<NodeJS.WriteStream, "write" | "isTTY" | "columns">;

export function createProgressBar(out: Terminal, now: () => number = () => performance.now()): ProgressBar {
  if (!out.isTTY) return { update() {}, done() {} };
  const samples: { at: number; lines: number }[] = [];
  let drawnAt = -Infinity;
  let drawn = false;
  return {
    update(progress) {
      const at = now();
      if (at - drawnAt < 100 && progress.bytes < progress.totalBytes) return;
      drawnAt = at;
      samples.push({ at, lines: progress.lines });
      while (samples.length > 2 && at - (samples[0]?.at ?? at) > WINDOW_MS) samples.shift();
      const first = samples[0] ?? { at, lines: 0 };
      const rate = at > first.at ? ((progress.lines - first.lines) * 1000) / (at - first.at) : 0;
      const fraction = progress.totalBytes > 0 ? Math.min(1, progress.bytes / progress.totalBytes) : 1;
      const filled = Math.round(fraction * WIDTH);
      const bytesPerLine = progress.lines > 0 ? progress.bytes / progress.lines : 0;
      const left =
        rate > 0 && bytesPerLine > 0 ? (progress.totalBytes - progress.bytes) / bytesPerLine / rate : NaN;
      const line =
        `${String(Math.floor(fraction * 100)).padStart(3)}% [${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}] ` +
        `${megabytes(progress.bytes)} / ${megabytes(progress.totalBytes)}  ${thousands(rate)} rows/s  ` +
        `${thousands(Math.max(0, progress.lines - 1))} rows${Number.isFinite(left) ? `  ${clock(left)} left` : ""}`;
      out.write(`\r${line.slice(0, Math.max(20, (out.columns ?? 120) - 1))}\u001b[K`);
      drawn = true;
    },
    done() {
      if (drawn) out.write("\r\u001b[K");
    },
  };
}
