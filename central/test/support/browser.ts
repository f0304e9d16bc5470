/**
 * A real Chromium for the dashboard tests, from the `@sparticuz/chromium` npm package (the browser ships
 * inside the package; nothing is downloaded at install or test time), driven by playwright-core.
 */
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import chromium from "@sparticuz/chromium";
import { type Browser, chromium as playwright } from "playwright-core";

/** Screenshots and other artefacts a person looks at after a run; gitignored. */
export const TEST_OUTPUT_DIR = fileURLToPath(new URL("../../../test-output/", import.meta.url));

/**
 * The package's flags are tuned for serverless functions. The first three would make the browser less
 * like a user's — no same-origin policy, mixed content allowed, one process for everything — so tests
 * could pass where a real browser refuses. The GPU emulation ones are dropped for plain software
 * drawing (--disable-gpu below), which took full-page screenshots here from ~11 s to ~4 s.
 */
const DROPPED_FLAGS = [
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--single-process",
  "--use-gl=angle",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--in-process-gpu",
  "--ignore-gpu-blocklist",
];

export async function launchBrowser(): Promise<Browser> {
  await mkdir(TEST_OUTPUT_DIR, { recursive: true });
  const args = chromium.args.filter((flag) => !DROPPED_FLAGS.includes(flag));
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    headless: true,
    // A machine without a locale (LANG=C) makes Chromium report "en-US@posix", which Intl, and so uPlot,
    // rejects; a user's browser always has a real one.
    env: { ...process.env, LANG: "en_US.UTF-8" },
    args: [
      ...args,
      // We run as root in CI containers, where Chromium's sandbox cannot start.
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-dev-shm-usage",
      "--mute-audio",
    ],
  });
}
