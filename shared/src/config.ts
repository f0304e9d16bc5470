/** Environment configuration: parsed once at start-up, with a message that names each bad variable. */
import { z } from "zod";

export class ConfigError extends Error {
  readonly code = "config_invalid";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** Parses `env` with a schema whose keys are variable names; throws a ConfigError naming each bad one. */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined>,
): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.map(String).join(".");
      const value = env[name];
      return `${name}: ${issue.message}${value === undefined ? "" : ` (got ${JSON.stringify(value)})`}`;
    }),
  );
}

/** Common variable shapes, so every part words its errors the same way. */
export const envPort = (fallback: number) =>
  // An empty variable (`PLANTLINK_MQTT_PORT=` in a .env file) means unset, as for envBytes; without
  // this, coercion turns "" into port 0 and the service silently listens on a random port.
  z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce
      .number({ error: "expected a port number 0-65535" })
      .int({ error: "expected a port number 0-65535" })
      .min(0, { error: "expected a port number 0-65535" })
      .max(65535, { error: "expected a port number 0-65535" })
      .default(fallback),
  );

export const envBoolean = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { error: "expected true or false" })
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");

export const envLogLevel = z
  .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    error: "expected one of fatal, error, warn, info, debug, trace, silent",
  })
  .default("info");

/**
 * `PLANTLINK_MAX_FUTURE_SKEW_SECONDS`, read the same by the edge and central: how far ahead of the
 * receiver's clock a reading's timestamp may be (DESIGN.md section 2); returns milliseconds.
 */
export const envFutureSkewMs = z
  .string()
  .optional()
  .transform((text, ctx) => {
    // Empty is unset (an env file's `NAME=`), not zero: zero would refuse every reading ahead by 1 ms.
    if (text === undefined || text.trim() === "") return 300_000;
    const seconds = Number(text);
    if (!Number.isFinite(seconds) || seconds < 0) {
      ctx.addIssue({ code: "custom", message: "expected a number of seconds ≥ 0, e.g. 300 for 5 minutes" });
      return z.NEVER;
    }
    return Math.round(seconds * 1000);
  });

/** A byte size like `4GB`, `512MiB`, `1000000`; returns bytes. */
export const envBytes = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === "") return fallback;
      const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(text.trim());
      if (!m) {
        ctx.addIssue({ code: "custom", message: "expected a size such as 500MB, 4GiB or a number of bytes" });
        return z.NEVER;
      }
      const unit = (m[2] ?? "b").toLowerCase().replace(/b$/, "");
      const power = { "": 0, k: 1, m: 2, g: 3, t: 4, ki: 1, mi: 2, gi: 3, ti: 4 }[unit] ?? 0;
      const base = unit.endsWith("i") ? 1024 : 1000;
      const bytes = Math.round(Number(m[1]) * base ** power);
      if (!Number.isSafeInteger(bytes)) {
        ctx.addIssue({ code: "custom", message: "expected a size below 2^53 bytes (about 9 PB)" });
        return z.NEVER;
      }
      return bytes;
    });
