import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DIAGRAMS_DIR, hashComment } from "../../tools/docs/render-diagrams.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"));

describe("the docs", () => {
  it("render every Mermaid diagram to an SVG that is up to date with its source", () => {
    const sources = readdirSync(DIAGRAMS_DIR).filter((f) => f.endsWith(".mmd"));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const svgFile = join(DIAGRAMS_DIR, source.replace(/\.mmd$/, ".svg"));
      expect(existsSync(svgFile), `${svgFile} exists (node --import tsx tools/docs/render-diagrams.ts)`).toBe(
        true,
      );
      const svg = readFileSync(svgFile, "utf8");
      const [first, ...rest] = svg.split("\n");
      expect(first, `${svgFile} was rendered from the current ${source}`).toBe(
        hashComment(readFileSync(join(DIAGRAMS_DIR, source), "utf8")),
      );
      const body = rest.join("\n").trim();
      expect(body).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(body.endsWith("</svg>")).toBe(true);
      // Well-formed XML, not HTML: void elements closed (an unclosed <br> breaks every SVG viewer).
      expect(body).not.toMatch(/<br>/);
    }
  });

  it("are each linked from the README", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const doc of docs) expect(readme, `README links docs/${doc}`).toContain(`(docs/${doc})`);
  });

  it("link only to files that exist", () => {
    const pages = [
      ...docs.map((d) => join(ROOT, "docs", d)),
      join(ROOT, "deploy/README.md"),
      join(ROOT, "deploy/edge/install.md"),
      join(ROOT, "deploy/central/reverse-proxy.md"),
    ];
    for (const page of pages) {
      for (const m of readFileSync(page, "utf8").matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target)) continue;
        expect(existsSync(resolve(dirname(page), target)), `${page} links ${target}`).toBe(true);
      }
    }
  });
});
