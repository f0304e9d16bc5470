/**
 * docker compose's variable interpolation and .env reading, for checking docker-compose.yml without
 * Docker: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`.
 */
import { readFileSync } from "node:fs";

/** KEY=value lines of an env file; comments and blank lines skipped, as compose reads .env. */
export function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = (m[2] ?? "").trim();
  }
  return env;
}

export class InterpolationError extends Error {}

export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^}]|\}(?!$))*?))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      match,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (match === "$$") return "$";
      const name = braced ?? bare ?? "";
      const value = vars[name];
      const unset = value === undefined;
      const empty = unset || value === "";
      switch (op) {
        case ":-":
          return empty ? interpolate(arg ?? "", vars) : (value ?? "");
        case "-":
          return unset ? interpolate(arg ?? "", vars) : (value ?? "");
        case ":?":
          if (empty) throw new InterpolationError(`${name}: ${arg}`);
          return value ?? "";
        case "?":
          if (unset) throw new InterpolationError(`${name}: ${arg}`);
          return value ?? "";
        default:
          return value ?? "";
      }
    },
  );
}

/** Every string in a parsed YAML value, interpolated. */
export function interpolateAll(value: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof value === "string") return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)]));
  }
  return value;
}
