/**
 * `pnpm edge <command>`: run the edge, manage its devices and gateways, look at its status and
 * quarantine. Commands other than `serve` work on the buffer file directly, so they work whether or
 * not the edge is running (SQLite WAL lets both share the file).
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@plantlink/shared";
import pino from "pino";
import { generateGatewayToken, generatePassword, hashPassword, hashToken } from "./buffer/credentials.ts";
import { openStore } from "./buffer/store.ts";
import { quarantineExport, quarantineList, quarantineReplay } from "./cli/quarantine.ts";
import { printStatus } from "./cli/status.ts";
import { type EdgeConfig, loadEdgeConfig } from "./config.ts";
import { BufferSchemaError, RegistryError } from "./errors.ts";

const USAGE = `usage: pnpm edge <command>

  serve                              run the edge (MQTT broker, HTTP receiver, buffer)
  status [--json]                    the running edge's status, or the buffer file's when it is down
  device add ID [--password P]       register a device; prints a generated password when none is given
  device passwd ID [--password P]    give a device a new password (and enable it)
  device list                        registered devices
  device disable ID | enable ID      refuse or allow a device's logins (disable also drops its connection)
  gateway add NAME                   register an HTTP gateway; prints its token once
  gateway list                       registered gateways
  gateway revoke NAME                delete a gateway and its token
  quarantine list [--limit N]        the newest quarantined payloads with their reasons
  quarantine export                  every quarantined payload as JSON lines on stdout
  quarantine replay                  re-check quarantined payloads; store those that now pass

Configuration is by environment variables; see edge/README.md.`;

async function run(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: "string" },
      json: { type: "boolean" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const config = loadEdgeConfig(env);

  switch (command) {
    case "serve":
      return serve(config);
    case "status":
      return printStatus(config, { json: values.json ?? false });
    case "device":
      return device(config, sub, arg, values.password);
    case "gateway":
      return gateway(config, sub, arg);
    case "quarantine": {
      if (sub === "list") return quarantineList(config, Number(values.limit ?? 20));
      if (sub === "export") return quarantineExport(config);
      if (sub === "replay") return quarantineReplay(config);
      break;
    }
  }
  console.error(`unknown command: ${positionals.join(" ")}\n\n${USAGE}`);
  return 2;
}

async function serve(config: EdgeConfig): Promise<number> {
  const logger = pino({ level: config.logLevel });
  // Imported here so the registry and quarantine commands skip loading the broker and HTTP stacks.
  const { startEdge } = await import("./main.ts");
  const edge = await startEdge(config, { logger });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      logger.info(
        { signal },
        "shutting down: refusing new readings, committing and acknowledging queued ones",
      );
      // If something refuses to close, do not hang a service manager's stop forever.
      setTimeout(() => {
        logger.fatal("shutdown took over 15 s; exiting");
        process.exit(1);
      }, 15_000).unref();
      edge.close().then(resolve, (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exitCode = 1;
        resolve();
      });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return process.exitCode === 1 ? 1 : 0;
}

async function device(
  config: EdgeConfig,
  sub: string | undefined,
  id: string | undefined,
  password?: string,
) {
  const store = openStore(config);
  try {
    if (sub === "list") {
      const devices = store.registry.devices();
      for (const d of devices) {
        console.log(
          `${d.id}\t${d.enabled ? "enabled" : "DISABLED"}\tadded ${new Date(d.createdAt).toISOString()}`,
        );
      }
      console.error(`${devices.length} device(s)`);
      return 0;
    }
    if (id === undefined)
      throw new RegistryError("invalid_name", `usage: pnpm edge device ${sub ?? "add"} ID`);
    if (sub === "add" || sub === "passwd") {
      const secret = password ?? generatePassword();
      const hash = await hashPassword(secret, password === undefined ? "generated" : "chosen");
      store.registry.addDevice(id, hash, Date.now(), { replace: sub === "passwd" });
      if (password === undefined) {
        console.log(secret);
        console.error(
          `device ${id}: MQTT username ${id}, the password above (shown once; only its hash is kept)`,
        );
      } else {
        if (password.length < 12) console.error("warning: a password under 12 characters is easy to guess");
        console.error(`device ${id}: password set`);
      }
      return 0;
    }
    if (sub === "disable" || sub === "enable") {
      store.registry.setDeviceEnabled(id, sub === "enable", Date.now());
      console.error(`device ${id} ${sub}d`);
      return 0;
    }
  } finally {
    store.close();
  }
  console.error(`unknown device command "${sub}"\n\n${USAGE}`);
  return 2;
}

async function gateway(config: EdgeConfig, sub: string | undefined, name: string | undefined) {
  const store = openStore(config);
  try {
    if (sub === "list") {
      for (const g of store.registry.gateways()) {
        console.log(`${g.name}\tadded ${new Date(g.createdAt).toISOString()}`);
      }
      return 0;
    }
    if (name === undefined)
      throw new RegistryError("invalid_name", `usage: pnpm edge gateway ${sub ?? "add"} NAME`);
    if (sub === "add") {
      const token = generateGatewayToken();
      store.registry.addGateway(name, hashToken(token), Date.now());
      console.log(token);
      console.error(
        `gateway ${name}: send "Authorization: Bearer <the token above>" (shown once; only its hash is kept)`,
      );
      return 0;
    }
    if (sub === "revoke") {
      store.registry.revokeGateway(name);
      console.error(`gateway ${name} revoked`);
      return 0;
    }
  } finally {
    store.close();
  }
  console.error(`unknown gateway command "${sub}"\n\n${USAGE}`);
  return 2;
}

run(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof ConfigError ||
      error instanceof RegistryError ||
      error instanceof BufferSchemaError
    ) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    // System and SQLite errors carry a code (EADDRINUSE, SQLITE_CANTOPEN…) and a message that says
    // what failed; a stack trace would only bury it.
    const code = (error as { code?: unknown } | null)?.code;
    console.error(typeof code === "string" && error instanceof Error ? `${code}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
