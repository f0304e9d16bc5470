/** Environment configuration: every bad variable is named, with what was expected and what was given. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  envBoolean,
  envBytes,
  envFutureSkewMs,
  envLogLevel,
  envPort,
  parseEnv,
} from "../src/index.ts";

const schema = z.object({
  DATABASE_URL: z.string().optional(),
  PLANTLINK_CENTRAL_PORT: envPort(8080),
  PLANTLINK_ALLOW_ANONYMOUS: envBoolean(false),
  LOG_LEVEL: envLogLevel,
  PLANTLINK_BUFFER_MAX_BYTES: envBytes(4 * 1024 ** 3),
});

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("parseEnv", () => {
  it("gives the defaults for an empty environment", () => {
    expect(parseEnv(schema, {})).toEqual({
      PLANTLINK_CENTRAL_PORT: 8080,
      PLANTLINK_ALLOW_ANONYMOUS: false,
      LOG_LEVEL: "info",
      PLANTLINK_BUFFER_MAX_BYTES: 4 * 1024 ** 3,
    });
  });

  it("parses set variables", () => {
    expect(
      parseEnv(schema, {
        DATABASE_URL: "postgres://localhost/plantlink",
        PLANTLINK_CENTRAL_PORT: "9090",
        PLANTLINK_ALLOW_ANONYMOUS: "yes",
        LOG_LEVEL: "debug",
        PLANTLINK_BUFFER_MAX_BYTES: "500MB",
        UNRELATED: "ignored",
      }),
    ).toEqual({
      DATABASE_URL: "postgres://localhost/plantlink",
      PLANTLINK_CENTRAL_PORT: 9090,
      PLANTLINK_ALLOW_ANONYMOUS: true,
      LOG_LEVEL: "debug",
      PLANTLINK_BUFFER_MAX_BYTES: 500_000_000,
    });
  });

  const bad: [variable: string, value: string, expected: string][] = [
    ["PLANTLINK_CENTRAL_PORT", "http", "expected a port number 0-65535"],
    ["PLANTLINK_CENTRAL_PORT", "70000", "expected a port number 0-65535"],
    ["PLANTLINK_CENTRAL_PORT", "-1", "expected a port number 0-65535"],
    ["PLANTLINK_CENTRAL_PORT", "80.5", "expected a port number 0-65535"],
    ["PLANTLINK_ALLOW_ANONYMOUS", "maybe", "expected true or false"],
    ["LOG_LEVEL", "verbose", "expected one of fatal, error, warn, info, debug, trace, silent"],
    ["PLANTLINK_BUFFER_MAX_BYTES", "4XB", "expected a size such as 500MB, 4GiB or a number of bytes"],
  ];

  it.each(bad)("names %s=%s, what it expected and what it got", (variable, value, expected) => {
    const error = configError({ [variable]: value });
    expect(error.code).toBe("config_invalid");
    expect(error.problems).toEqual([`${variable}: ${expected} (got ${JSON.stringify(value)})`]);
    expect(error.message).toContain(`${variable}: ${expected}`);
  });

  it("names every bad variable at once, not just the first", () => {
    const error = configError({
      PLANTLINK_CENTRAL_PORT: "x",
      LOG_LEVEL: "loud",
      PLANTLINK_BUFFER_MAX_BYTES: "lots",
    });
    expect(error.problems.map((p) => p.split(":")[0])).toEqual([
      "PLANTLINK_CENTRAL_PORT",
      "LOG_LEVEL",
      "PLANTLINK_BUFFER_MAX_BYTES",
    ]);
    expect(error.message).toMatch(/^invalid configuration:\n {2}PLANTLINK_CENTRAL_PORT: /);
  });

  it("names a required variable that is missing", () => {
    const required = z.object({
      PLANTLINK_CENTRAL_URL: z.url({ error: "expected a URL such as https://central:8080" }),
    });
    expect(() => parseEnv(required, {})).toThrow(/PLANTLINK_CENTRAL_URL: expected a URL/);
    expect(() => parseEnv(required, { PLANTLINK_CENTRAL_URL: "central" })).toThrow(
      'PLANTLINK_CENTRAL_URL: expected a URL such as https://central:8080 (got "central")',
    );
  });

  it("treats an empty port variable as unset, never as port 0", () => {
    expect(parseEnv(schema, { PLANTLINK_CENTRAL_PORT: "" }).PLANTLINK_CENTRAL_PORT).toBe(8080);
    expect(parseEnv(schema, { PLANTLINK_CENTRAL_PORT: "  " }).PLANTLINK_CENTRAL_PORT).toBe(8080);
    expect(parseEnv(schema, { PLANTLINK_CENTRAL_PORT: "0" }).PLANTLINK_CENTRAL_PORT).toBe(0);
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["false", false],
    ["0", false],
    ["no", false],
  ])("reads PLANTLINK_ALLOW_ANONYMOUS=%s as %s", (value, expected) => {
    expect(parseEnv(schema, { PLANTLINK_ALLOW_ANONYMOUS: value }).PLANTLINK_ALLOW_ANONYMOUS).toBe(expected);
  });
});

describe("envBytes", () => {
  const bytes = (value: string | undefined) =>
    parseEnv(z.object({ SIZE: envBytes(123) }), { SIZE: value }).SIZE;

  const sizes: [text: string | undefined, bytes: number][] = [
    [undefined, 123],
    ["", 123],
    ["   ", 123],
    ["1000000", 1_000_000],
    ["0", 0],
    ["7b", 7],
    ["1KB", 1_000],
    ["10 KiB", 10_240],
    ["500MB", 500_000_000],
    ["512MiB", 512 * 1024 ** 2],
    ["4GB", 4_000_000_000],
    ["4gb", 4_000_000_000],
    ["4G", 4_000_000_000],
    ["4GiB", 4 * 1024 ** 3],
    ["4gi", 4 * 1024 ** 3],
    ["1.5GB", 1_500_000_000],
    ["2T", 2_000_000_000_000],
    ["1TiB", 1024 ** 4],
    [" 4GiB ", 4 * 1024 ** 3],
  ];

  it.each(sizes)("reads %j as %d bytes", (text, expected) => {
    expect(bytes(text)).toBe(expected);
  });

  const bad: [text: string, expected: string][] = [
    ["4XB", "expected a size such as 500MB, 4GiB or a number of bytes"],
    ["-1GB", "expected a size such as 500MB"],
    ["GB", "expected a size such as 500MB"],
    ["1,5GB", "expected a size such as 500MB"],
    ["4 GB per site", "expected a size such as 500MB"],
    ["9".repeat(400), "expected a size below 2^53 bytes"],
  ];

  it.each(bad)("rejects %j, naming the variable", (text, expected) => {
    expect(() => bytes(text)).toThrow(`SIZE: ${expected}`);
  });
});

describe("envFutureSkewMs", () => {
  const skew = z.object({ PLANTLINK_MAX_FUTURE_SKEW_SECONDS: envFutureSkewMs });
  const parse = (value: string | undefined) =>
    parseEnv(skew, { PLANTLINK_MAX_FUTURE_SKEW_SECONDS: value }).PLANTLINK_MAX_FUTURE_SKEW_SECONDS;

  it("reads seconds and gives milliseconds, 5 minutes when unset or empty", () => {
    expect(parse("90")).toBe(90_000);
    expect(parse("0.5")).toBe(500);
    expect(parse("0")).toBe(0);
    expect(parse(undefined)).toBe(300_000);
    expect(parse("  ")).toBe(300_000);
  });

  it("refuses what is not a number of seconds ≥ 0, naming the variable", () => {
    for (const bad of ["-1", "5m", "Infinity", "NaN"]) {
      expect(() => parse(bad), bad).toThrow(
        /PLANTLINK_MAX_FUTURE_SKEW_SECONDS: expected a number of seconds ≥ 0/,
      );
    }
  });
});
