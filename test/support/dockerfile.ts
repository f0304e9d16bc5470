/**
 * Just enough of a Dockerfile parser for the deploy tests: instructions grouped by stage, with line
 * continuations joined and exec-form (JSON) arguments decoded. No Docker engine is needed.
 */
import { readFileSync } from "node:fs";

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(path: string): Stage[] {
  const stages: Stage[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  let pending = "";
  let startLine = 0;
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trim().startsWith("#"))) return;
    if (pending === "") startLine = index + 1;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const text = (pending + line).trim();
    pending = "";
    const match = /^(\w+)\s+(.*)$/s.exec(text);
    if (!match) return;
    const keyword = (match[1] ?? "").toUpperCase();
    const args = (match[2] ?? "").trim();
    if (keyword === "FROM") {
      const [image, as, name] = args.split(/\s+/);
      stages.push({
        from: image ?? "",
        name: as?.toUpperCase() === "AS" ? name : undefined,
        instructions: [],
      });
      return;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push({ keyword, args, line: startLine });
  });
  return stages;
}

export const instructions = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword);

/** `["node", "x"]` → ["node", "x"]; throws on shell form, which the deploy tests refuse. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string"))
    throw new Error(`not exec form: ${args}`);
  return parsed;
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) → { A: "1", B: "2" }. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions(stage, "ENV")) {
    if (!args.includes("=")) {
      const [key, ...rest] = args.split(/\s+/);
      if (key) env[key] = rest.join(" ");
      continue;
    }
    for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
      const value = m[2] ?? "";
      env[m[1] ?? ""] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
    }
  }
  return env;
}

/** The HEALTHCHECK's command (exec form), without its options. */
export function healthcheck(stage: Stage): string[] | undefined {
  const found = instructions(stage, "HEALTHCHECK")[0];
  if (!found) return undefined;
  const cmd = /\bCMD\s+(\[.*\])\s*$/s.exec(found.args);
  return cmd?.[1] ? execForm(cmd[1]) : undefined;
}
