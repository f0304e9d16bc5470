/**
 * The images' commands run: each service is installed the way its Dockerfile installs it (the same
 * `pnpm deploy` line, tsx linked beside it), then started with the image's CMD, ENV and the compose
 * file's environment — paths and host names mapped to this machine — and probed with the image's
 * HEALTHCHECK. The only substitution: central uses its embedded PostgreSQL instead of the compose
 * `postgres` service (DATABASE_URL unset), since no Docker engine runs here.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort } from "../../central/src/db/free-port.ts";
import { interpolateAll, readEnvFile } from "../support/compose.ts";
import { envOf, execForm, healthcheck, instructions, parseDockerfile } from "../support/dockerfile.ts";
import { baseEnv, expectGroupGone, run, type Service, startService, waitFor } from "../support/process.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
})();

interface Image {
  app: string;
  cmd: string[];
  health: string[];
  env: Record<string, string>;
}

/** Installs a service as its Dockerfile does, into `dir`, and returns how the image runs it. */
async function install(name: "central" | "edge", dir: string): Promise<Image> {
  const stages = parseDockerfile(join(ROOT, `deploy/${name}/Dockerfile`));
  const [build, runtime] = [stages[0], stages.at(-1)];
  if (!build || !runtime) throw new Error("no stages");
  const app = join(dir, `${name}-app`);
  const deploy = instructions(build, "RUN").find((r) => r.args.includes(" deploy /out"));
  if (!deploy) throw new Error("no pnpm deploy step");
  const [command, ...args] = deploy.args.replace(" deploy /out", ` deploy ${app}`).split(/\s+/);
  await run(command ?? "pnpm", args, { cwd: ROOT, env: { ...baseEnv(), CI: "true" } });
  // RUN ln -s /opt/tsx/node_modules/tsx /app/node_modules/tsx — tsx here is the checkout's own.
  symlinkSync(realpathSync(join(ROOT, "node_modules/tsx")), join(app, "node_modules/tsx"));
  const cmd = execForm(instructions(runtime, "CMD")[0]?.args ?? "[]");
  const health = healthcheck(runtime);
  if (!health) throw new Error("no HEALTHCHECK");
  expect(instructions(runtime, "WORKDIR").at(-1)?.args).toBe("/app");
  return { app, cmd, health, env: envOf(runtime) };
}

const compose = interpolateAll(parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")), {
  ...readEnvFile(join(ROOT, ".env.example")),
  PLANTLINK_EDGE_TOKEN: "set-below",
}) as { services: Record<string, { environment: Record<string, string> }> };
const composeEnv = (name: string) => ({ ...(compose.services[name]?.environment ?? {}) });

let dir: string;
const services: Service[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "plantlink-images-"));
  // The embedded PostgreSQL runs as the postgres user when we are root: it must reach its directory.
  chmodSync(dir, 0o755);
});

afterAll(async () => {
  for (const s of services) {
    try {
      process.kill(-s.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)("the images' commands", () => {
  it("start central and an edge that forwards to it over HTTPS; health checks pass; SIGTERM stops both cleanly", async () => {
    const certs = join(dir, "certs");
    // What the compose `certs` step runs.
    execFileSync("sh", [
      join(ROOT, "deploy/tls/make-certs.sh"),
      certs,
      "central",
      "localhost",
      "127.0.0.1",
      "--edge",
      "plant-1",
    ]);
    const mapPath = (value: string) => value.replace(/^\/certs\//, `${certs}/`);

    const [central, edge] = await Promise.all([install("central", dir), install("edge", dir)]);

    // central: image ENV + compose environment; the volume path and port mapped to this machine.
    const centralPort = await freePort();
    const centralEnv: Record<string, string> = { ...baseEnv(), ...central.env };
    for (const [key, value] of Object.entries(composeEnv("central"))) centralEnv[key] = mapPath(value);
    delete centralEnv.DATABASE_URL;
    centralEnv.PLANTLINK_CENTRAL_DATA_DIR = join(dir, "central-data");
    centralEnv.PLANTLINK_CENTRAL_PORT = String(centralPort);
    const [centralCommand, ...centralArgs] = central.cmd;
    const centralService = startService(centralCommand ?? "node", centralArgs, {
      cwd: central.app,
      env: centralEnv,
    });
    services.push(centralService);
    const [healthCommand, ...healthArgs] = central.health;
    await waitFor(
      "central's HEALTHCHECK to pass",
      () => run(healthCommand ?? "node", healthArgs, { cwd: central.app, env: centralEnv }).then(() => true),
      150_000,
      centralService.output,
    );

    // The token step of the compose walk-through, with the image's CLI.
    const token = (
      await run(
        "node",
        [
          "--import",
          "tsx",
          "src/cli.ts",
          "token",
          "create",
          "--role",
          "edge",
          "--name",
          "plant-1",
          "--edge",
          "plant-1",
        ],
        {
          cwd: central.app,
          env: centralEnv,
        },
      )
    ).trim();
    expect(token).toMatch(/^plt_/);

    // edge: the compose URL https://central:8080 is this machine's central.
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const edgeEnv: Record<string, string> = { ...baseEnv(), ...edge.env };
    for (const [key, value] of Object.entries(composeEnv("edge"))) edgeEnv[key] = mapPath(value);
    expect(edgeEnv.PLANTLINK_CENTRAL_URL).toBe(
      `https://central:${composeEnv("central").PLANTLINK_CENTRAL_PORT}`,
    );
    edgeEnv.PLANTLINK_CENTRAL_URL = `https://127.0.0.1:${centralPort}`;
    edgeEnv.PLANTLINK_CENTRAL_TOKEN = token;
    edgeEnv.PLANTLINK_EDGE_DATA_DIR = join(dir, "edge-data");
    edgeEnv.PLANTLINK_MQTT_PORT = String(mqttPort);
    edgeEnv.PLANTLINK_EDGE_HTTP_PORT = String(httpPort);
    edgeEnv.PLANTLINK_DISK_RESERVE_BYTES = "0";
    const [edgeCommand, ...edgeArgs] = edge.cmd;
    const edgeService = startService(edgeCommand ?? "node", edgeArgs, { cwd: edge.app, env: edgeEnv });
    services.push(edgeService);
    const [edgeHealth, ...edgeHealthArgs] = edge.health;
    await waitFor(
      "the edge's HEALTHCHECK to pass",
      () => run(edgeHealth ?? "node", edgeHealthArgs, { cwd: edge.app, env: edgeEnv }).then(() => true),
      90_000,
      edgeService.output,
    );

    // A device registered with the image's CLI publishes; the edge forwards it to central.
    const password = (
      await run("node", ["--import", "tsx", "src/cli.ts", "device", "add", "EQ-1"], {
        cwd: edge.app,
        env: edgeEnv,
      })
    ).trim();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: "EQ-1",
      password,
      clientId: "images-test",
    });
    await client.publishAsync(
      "readings/EQ-1",
      JSON.stringify({ equipmentId: "EQ-1", value: 21.5, timestamp: new Date().toISOString() }),
      { qos: 1 },
    );
    await client.endAsync();
    await waitFor(
      "the edge to forward the reading to central",
      async () => {
        const status = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/status`)).json()) as {
          buffered: number;
          lastSuccessfulSync: string | null;
        };
        return status.buffered === 0 && status.lastSuccessfulSync !== null ? status : undefined;
      },
      90_000,
      edgeService.output,
    );

    // Every metric the alarms and the Grafana dashboard use is one the services export.
    const ca = readFileSync(join(certs, "ca.pem"), "utf8");
    const https = await import("node:https");
    const centralMetrics = await new Promise<string>((done, fail) => {
      https
        .get(`https://127.0.0.1:${centralPort}/metrics`, { ca }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c.toString("utf8");
          });
          res.on("end", () => done(body));
        })
        .on("error", fail);
    });
    const edgeMetrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const exported = new Set(
      [...`${centralMetrics}\n${edgeMetrics}`.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1] ?? ""),
    );
    const used = new Set(
      [
        readFileSync(join(ROOT, "deploy/monitoring/alerts.yml"), "utf8"),
        readFileSync(join(ROOT, "deploy/monitoring/grafana/dashboards/plantlink.json"), "utf8"),
      ]
        .join("\n")
        .match(/plantlink_[a-z_]+/g)
        ?.map((name) => name.replace(/_(bucket|sum|count)$/, "")),
    );
    for (const name of used) expect(exported.has(name), `${name} is exported`).toBe(true);

    // docker stop sends SIGTERM: both exit 0 and leave no process (PostgreSQL included).
    process.kill(edgeService.pid, "SIGTERM");
    expect(await edgeService.exited).toBe(0);
    process.kill(centralService.pid, "SIGTERM");
    expect(await centralService.exited).toBe(0);
    await expectGroupGone(edgeService.pid);
    await expectGroupGone(centralService.pid);
  });
});
