/**
 * `pnpm central <command>`: serve, migrate, and token management. Command output (a new token, the
 * token list) goes to standard output alone so scripts can capture it; logs go to standard error.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError } from "@plantlink/shared";
import { ROLES, roleSchema } from "./auth/roles.ts";
import type { TokenRecord, TokenStore } from "./auth/tokens.ts";
import { type CentralConfig, loadConfig } from "./config.ts";

// The service and the database code are imported when a command needs them: a usage or configuration
// error is then reported in a fraction of the time loading all of central would take.
const load = {
  main: () => import("./main.ts"),
  service: () => import("./service.ts"),
  database: () => import("./database.ts"),
  connect: () => import("./db/connect.ts"),
  migrate: () => import("./db/migrate.ts"),
  tokens: () => import("./auth/tokens.ts"),
  pino: () => import("pino"),
  backfill: () => import("./backfill/command.ts"),
};

/** Errors whose message is the whole story for the operator: no stack trace. */
const PLAIN_ERRORS = new Set(["token_invalid", "database_in_use", "command_failed"]);

const USAGE = `usage: pnpm central <command>

  serve [--migrate]                                  run the central service
  migrate                                            apply database migrations
  token create --role ROLE --name NAME [--edge ID]   create a token (printed once)
  token list                                         list tokens (never prints a token)
  token revoke ID                                    revoke a token
  backfill FILE --url URL --token T [--gzip]         upload a CSV file of readings (docs/backfill.md)

roles: ${ROLES.join(", ")}; an edge token needs --edge, the edge id it may send batches for.
configuration: environment variables, see central/README.md.`;

class UsageError extends Error {}

/** parseArgs, with its complaints (unknown option, missing value) worded as usage errors. */
function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function stderrLog(config: CentralConfig) {
  const { pino } = await load.pino();
  return pino({ level: config.logLevel, base: { service: "central" } }, pino.destination(2));
}

async function serve(config: CentralConfig): Promise<void> {
  const { runCentral } = await load.service();
  const central = await runCentral(config);
  if (central.firstAdminToken) {
    process.stdout.write(
      `\nplantlink central: this is a fresh install; the first admin token (shown once, store it now):\n\n` +
        `  ${central.firstAdminToken}\n\n` +
        `Create more with: pnpm central token create --role <${ROLES.join("|")}> --name <who>\n\n`,
    );
  }
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second signal: the operator does not want to wait
    central.close().then(
      () => process.exit(signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** Runs `work` against the configured database, starting (or borrowing) the embedded one if needed. */
async function withTokens<T>(config: CentralConfig, work: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const [{ openDatabase }, { connectDatabase }, { migrate }, { createTokenStore }, { shouldMigrate }] =
    await Promise.all([load.database(), load.connect(), load.migrate(), load.tokens(), load.main()]);
  const database = await openDatabase(config, await stderrLog(config), { share: true });
  const sql = connectDatabase(database.url, { max: 2 });
  try {
    if (shouldMigrate(config, database)) await migrate(sql);
    return await work(createTokenStore(sql));
  } finally {
    await sql.end({ timeout: 5 });
    await database.stop();
  }
}

function describe(record: TokenRecord): string {
  const edge = record.edgeId === null ? "" : `, edge ${record.edgeId}`;
  return `token ${record.tokenId} (${record.role}${edge}, "${record.name}")`;
}

async function tokenCommand(config: CentralConfig, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values, positionals } = parse({
      args: rest,
      options: { role: { type: "string" }, name: { type: "string" }, edge: { type: "string" } },
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const role = roleSchema.safeParse(values.role);
    if (!role.success) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    if (!values.name) throw new UsageError("--name is required: say who or what holds the token");
    const { token, record } = await withTokens(config, (tokens) =>
      tokens.create({ role: role.data, name: values.name ?? "", edgeId: values.edge }),
    );
    process.stderr.write(`created ${describe(record)}; it is shown only this once:\n`);
    process.stdout.write(`${token}\n`);
    return;
  }
  if (sub === "list") {
    if (rest.length > 0) throw new UsageError("token list takes no arguments");
    const records = await withTokens(config, (tokens) => tokens.list());
    const rows = records.map((r) => [
      r.tokenId,
      r.role,
      r.name,
      r.edgeId ?? "",
      r.createdAt.toISOString(),
      r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : "active",
    ]);
    process.stdout.write(table([["id", "role", "name", "edge", "created", "status"], ...rows]));
    return;
  }
  if (sub === "revoke") {
    const [id, ...extra] = rest;
    if (!id || extra.length > 0) throw new UsageError("usage: token revoke ID (the id from token list)");
    const record = await withTokens(config, (tokens) => tokens.revoke(id));
    if (!record) throw new CommandError(`no token has id ${id}; see pnpm central token list`);
    process.stdout.write(`revoked ${describe(record)}\n`);
    return;
  }
  throw new UsageError(
    sub ? `unknown token command "${sub}"` : "token needs a command: create, list or revoke",
  );
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}

class CommandError extends Error {
  readonly code = "command_failed";
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === "serve") {
    const { values } = parse({ args: rest, options: { migrate: { type: "boolean" } } });
    const config = loadConfig();
    await serve(values.migrate ? { ...config, migrate: "always" } : config);
    return;
  }
  if (command === "migrate") {
    if (rest.length > 0) throw new UsageError("migrate takes no arguments");
    const config = loadConfig();
    // `migrate` always migrates, whatever PLANTLINK_CENTRAL_MIGRATE says about start-up.
    await withTokens({ ...config, migrate: "always" }, async () => undefined);
    process.stderr.write("the database is migrated\n");
    return;
  }
  if (command === "token") return tokenCommand(loadConfig(), rest);
  if (command === "backfill") {
    process.exitCode = await (await load.backfill()).backfillCommand(rest);
    return;
  }
  throw new UsageError(`unknown command "${command}"`);
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && PLAIN_ERRORS.has(code)) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `central failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
