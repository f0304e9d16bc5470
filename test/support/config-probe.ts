/**
 * Which environment variables a service's config schema reads, found by asking the schema itself:
 * a variable set to a non-string value is rejected by every env schema we use (z.string, coercion to
 * number, enums, byte sizes), and the ConfigError names it — while a variable the schema does not
 * know is ignored. So no schema has to be exported, and the check cannot drift from the code.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadConfig as loadCentralConfig } from "@plantlink/central";
import { loadEdgeConfig } from "@plantlink/edge";
import { ConfigError } from "@plantlink/shared";

type Env = Record<string, string | undefined>;
type Loader = (env: Env) => unknown;

export const loaders: Record<"central" | "edge", Loader> = {
  central: (env) => loadCentralConfig(env),
  edge: (env) => loadEdgeConfig(env),
};

export function configProblems(load: Loader, env: Env): string[] {
  try {
    load(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** True when the service's schema reads `name`. */
export function reads(load: Loader, name: string): boolean {
  const probe = { [name]: {} as unknown as string };
  return configProblems(load, probe).some((problem) => problem.startsWith(`${name}:`));
}

/** `PLANTLINK_…:` keys declared in a package's config source files (checked with `reads` by callers). */
export function declaredVariables(srcDir: string): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/config\.ts$/.test(entry)) {
        for (const m of readFileSync(path, "utf8").matchAll(
          /^\s+((?:PLANTLINK_|DATABASE_URL|LOG_LEVEL)\w*):/gm,
        )) {
          if (m[1]) names.add(m[1]);
        }
      }
    }
  };
  walk(srcDir);
  return [...names].sort();
}
