/**
 * `pnpm simulate` flags, parsed once into a typed value; a bad flag is named with what was expected.
 * Defaults find the system `pnpm start` runs (its data directory holds the addresses and tokens).
 */
import { parseArgs } from "node:util";
import { z } from "zod";

export const USAGE = `usage: pnpm simulate [options]

Live (the default): N devices connect to the edge over MQTT with their own credentials and publish
readings until Ctrl-C or --duration; progress shows on the terminal.

  --devices N          devices (default 2000)
  --rate R             readings per second per device: 1, 0.5, 10/min, 1/s (default 1)
  --duration D         stop after D: 60s, 10m, 1h (default: run until Ctrl-C)
  --mqtt URL           the edge's MQTT address (default: the one pnpm start printed, else mqtt://127.0.0.1:1883)
  --qos 0|1|2          MQTT QoS (default 1: each reading acknowledged after the edge committed it)
  --prefix P           device ids are P<n> (default EQ-)
  --first N            the first n (default 10001)
  --anonymous          connect without credentials (the edge must allow it: PLANTLINK_ALLOW_ANONYMOUS)
  --credentials FILE   device passwords, JSON {"id": "password"} (default DATA/simulate/devices.json);
                       devices missing from it are registered in the edge's registry at DATA/edge
  --edge-data-dir DIR  the edge data directory to register devices in (default DATA/edge)
  --connect-rate N     new connections per second while the fleet comes up (default 300)
  --max-pending N      at most N logins waiting for their CONNACK at once (default 400)
  --faults X           multiply fault rates (silences, stuck values, spikes) by X; 0 turns them off
  --invalid F          fraction of readings sent malformed, to see the quarantine (default 0)
  --seed S             the fleet's seed: same seed, same values (default plantlink)
  --csv FILE           write the readings silences held back as a vendor backfill CSV

History: --history 30d writes that span of past readings straight to central (or an edge's HTTP
receiver), as fast as it takes them, then exits.

  --history SPAN       e.g. 30d, 12h
  --interval I         time between a device's readings in the history (default 1m)
  --central URL        where to post (default: central from pnpm start, else https://127.0.0.1:8080)
  --token T            an ingest token (central) or gateway token (edge); default from pnpm start
  --ca FILE            a CA certificate to trust (default: pnpm start's private CA)

Common: --data-dir DIR (default ./data, as pnpm start), --json (print the summary as JSON), --help.`;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `90s`, `1.5h`, `500ms` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** `1`, `0.5`, `1/s`, `10/min`, `60/h` → readings per second. */
export function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|min|m|h))?$/.exec(text.trim());
  if (!m) return undefined;
  const per = { s: 1, sec: 1, min: 60, m: 60, h: 3600 }[m[2] ?? "s"] ?? 1;
  const rate = Number(m[1]) / per;
  return rate > 0 ? rate : undefined;
}

const duration = (what: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `${what}: expected a span such as 60s, 10m, 2h or 30d` });
      return z.NEVER;
    }
    return ms;
  });

const number = (what: string, check: (n: number) => boolean) =>
  z.string().transform((text, ctx) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || !check(n)) {
      ctx.addIssue({ code: "custom", message: `${what}: got "${text}"` });
      return z.NEVER;
    }
    return n;
  });

const schema = z.object({
  devices: number("--devices expects a whole number ≥ 1", (n) => Number.isInteger(n) && n >= 1).default(2000),
  rate: z
    .string()
    .transform((text, ctx) => {
      const rate = parseRate(text);
      if (rate === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `--rate: expected readings per second such as 1, 0.2 or 10/min`,
        });
        return z.NEVER;
      }
      return rate;
    })
    .default(1),
  duration: duration("--duration").optional(),
  mqtt: z.string().optional(),
  qos: z.enum(["0", "1", "2"], { error: "--qos: expected 0, 1 or 2" }).default("1").transform(Number),
  prefix: z.string().default("EQ-"),
  first: number("--first expects a whole number ≥ 0", (n) => Number.isInteger(n) && n >= 0).default(10001),
  anonymous: z.boolean().default(false),
  credentials: z.string().optional(),
  "edge-data-dir": z.string().optional(),
  "connect-rate": number("--connect-rate expects a number > 0", (n) => n > 0).default(300),
  "max-pending": number(
    "--max-pending expects a whole number ≥ 1",
    (n) => Number.isInteger(n) && n >= 1,
  ).default(400),
  faults: number("--faults expects a number ≥ 0", (n) => n >= 0).default(1),
  invalid: number("--invalid expects a fraction 0-1", (n) => n >= 0 && n <= 1).default(0),
  seed: z.string().default("plantlink"),
  csv: z.string().optional(),
  history: duration("--history").optional(),
  interval: duration("--interval").default(60_000),
  central: z.string().optional(),
  token: z.string().optional(),
  ca: z.string().optional(),
  "data-dir": z.string().default("./data"),
  json: z.boolean().default(false),
  help: z.boolean().default(false),
});

export type SimulateOptions = z.output<typeof schema>;

export class UsageError extends Error {}

export function parseOptions(argv: string[], env: Record<string, string | undefined>): SimulateOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    const text = { type: "string" } as const;
    const flag = { type: "boolean" } as const;
    ({ values } = parseArgs({
      args: argv,
      options: {
        devices: text,
        rate: text,
        duration: text,
        mqtt: text,
        qos: text,
        prefix: text,
        first: text,
        anonymous: flag,
        credentials: text,
        "edge-data-dir": text,
        "connect-rate": text,
        "max-pending": text,
        faults: text,
        invalid: text,
        seed: text,
        csv: text,
        history: text,
        interval: text,
        central: text,
        token: text,
        ca: text,
        "data-dir": text,
        json: flag,
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const parsed = schema.safeParse({
    ...values,
    // The environment fills what a script would rather not put on a command line.
    token: values.token ?? env.PLANTLINK_SIMULATE_TOKEN,
    "data-dir": values["data-dir"] ?? env.PLANTLINK_DATA_DIR,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join("\n"));
  return parsed.data;
}
