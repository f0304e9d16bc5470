/**
 * Renders every Mermaid source in docs/diagrams/ (`*.mmd`) to an SVG beside it, so the docs show the
 * picture on any viewer — no Mermaid support needed where they are read.
 *
 * How, with no network: the real Mermaid library (its self-contained `mermaid.min.js` from the npm
 * package) runs in the Chromium that `@sparticuz/chromium` ships inside its npm package, driven by
 * `playwright-core` (which never downloads a browser). That is what @mermaid-js/mermaid-cli does,
 * minus its puppeteer dependency, which would try to download Chrome on install.
 *
 * Each SVG carries the SHA-256 of its source in a comment; test/deploy/docs.test.ts fails when a
 * source changed without re-rendering, so run `node --import tsx tools/docs/render-diagrams.ts` after editing a `.mmd`.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import chromium from "@sparticuz/chromium";
import { chromium as playwright } from "playwright-core";

export const DIAGRAMS_DIR = resolve(import.meta.dirname, "../../docs/diagrams");

export function sourceHash(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}

export const hashComment = (source: string) =>
  `<!-- rendered from its .mmd source, sha256 ${sourceHash(source)} -->`;

async function main(): Promise<void> {
  const files = (await readdir(DIAGRAMS_DIR)).filter((f) => f.endsWith(".mmd"));
  const mermaidJs = await readFile(
    createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js"),
    "utf8",
  );
  const browser = await playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
  try {
    const page = await browser.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ content: mermaidJs });
    for (const file of files) {
      const source = await readFile(join(DIAGRAMS_DIR, file), "utf8");
      const svg = await page.evaluate(async (text) => {
        const { mermaid, document, XMLSerializer } = globalThis as unknown as BrowserGlobals;
        mermaid.initialize({ startOnLoad: false, theme: "neutral", flowchart: { curve: "basis" } });
        const { svg } = await mermaid.render("diagram", text);
        // Through the DOM and back: XMLSerializer writes well-formed XML (`<br/>`, closed tags), which
        // an .svg file must be; the HTML string mermaid returns is not (mermaid-cli does the same).
        const holder = document.createElement("div");
        holder.innerHTML = svg;
        const element = holder.querySelector("svg");
        if (!element) throw new Error("mermaid rendered no <svg>");
        return new XMLSerializer().serializeToString(element);
      }, source);
      const out = join(DIAGRAMS_DIR, file.replace(/\.mmd$/, ".svg"));
      await writeFile(out, `${hashComment(source)}\n${svg}\n`);
      process.stdout.write(`rendered ${out}\n`);
    }
  } finally {
    await browser.close();
  }
}

/** The few browser globals the page code uses (this file compiles without the DOM library). */
interface BrowserGlobals {
  mermaid: {
    initialize(config: object): void;
    render(id: string, text: string): Promise<{ svg: string }>;
  };
  document: {
    createElement(tag: "div"): { innerHTML: string; querySelector(selector: "svg"): object | null };
  };
  XMLSerializer: new () => { serializeToString(node: object): string };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    process.stderr.write(`rendering failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
