/**
 * `pnpm start` as a new user runs it: a child process on a fresh data directory and free ports. What it
 * prints must work as printed — the MQTT address and device login, the curl commands — the reading must
 * come back through central's API, Ctrl-C must leave no process behind (the embedded PostgreSQL
 * included), and a second start must reuse the data and the tokens.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../central/src/db/free-port.ts";
import { baseEnv, expectGroupGone, type Service, startService, waitFor } from "../support/process.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;
let env: Record<string, string>;
const started: Service[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "plantlink-start-"));
  // The embedded PostgreSQL runs as the postgres user when we are root: it must reach its directory.
  chmodSync(dir, 0o755);
  env = {
    ...baseEnv(),
    PLANTLINK_DATA_DIR: join(dir, "data"),
    PLANTLINK_CENTRAL_PORT: String(await freePort()),
    PLANTLINK_MQTT_PORT: String(await freePort()),
    PLANTLINK_EDGE_HTTP_PORT: String(await freePort()),
  };
});

afterAll(() => {
  for (const s of started) {
    try {
      process.kill(-s.pid, "SIGKILL");
    } catch {
      // already gone: the tests stop what they start
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Printed {
  viewerToken: string;
  mqtt: { host: string; port: number; user: string; password: string };
  mosquittoPub: string;
  curlPost: string;
  curlRead: string;
  pid: number;
  firstStart: boolean;
}

function parseBanner(out: string): Printed {
  const line = (pattern: RegExp) => {
    const found = out.split("\n").find((l) => pattern.test(l));
    if (!found) throw new Error(`pnpm start printed no line matching ${pattern}:\n${out}`);
    return found.trim();
  };
  const mosquittoPub = line(/^\s*mosquitto_pub /);
  const arg = (flag: string) =>
    new RegExp(`${flag} ('[^']*'|\\S+)`).exec(mosquittoPub)?.[1]?.replace(/^'|'$/g, "") ?? "";
  return {
    viewerToken: /viewer token\s+(plt_\S+)/.exec(out)?.[1] ?? "",
    mqtt: { host: arg("-h"), port: Number(arg("-p")), user: arg("-u"), password: arg("-P") },
    mosquittoPub,
    curlPost: line(/^\s*curl .* -d /),
    curlRead: line(/^\s*curl .*--cacert/),
    pid: Number(/kill -TERM (\d+)/.exec(out)?.[1]),
    firstStart: /created now/.test(out),
  };
}

async function startPlantlink(): Promise<{ service: Service; printed: Printed }> {
  const service = startService("pnpm", ["start"], { cwd: ROOT, env });
  started.push(service);
  let exited = false;
  void service.exited.then(() => {
    exited = true;
  });
  await waitFor(
    "pnpm start to print how to stop it",
    () => {
      if (exited) throw new Error(`pnpm start exited:\n${service.output()}`);
      return /Stop: Ctrl-C/.test(service.output()) ? true : undefined;
    },
    170_000,
    service.output,
  );
  return { service, printed: parseBanner(service.output()) };
}

/** Runs `steps` with a started system; on failure stops it, so the next test starts on a free directory. */
async function withStopOnFailure<T>(service: Service, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    process.kill(-service.pid, "SIGINT");
    await Promise.race([service.exited, new Promise((r) => setTimeout(r, 30_000))]);
    throw error;
  }
}

const sh = (command: string) => execFileSync("sh", ["-c", command], { cwd: ROOT, encoding: "utf8", env });

/** GET on central with the private CA pnpm start made; JSON back. */
function centralGet(url: string, token: string | undefined): Promise<{ status: number; body: unknown }> {
  const ca = readFileSync(join(dir, "data", "tls", "ca.pem"));
  return new Promise((done, fail) => {
    request(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      res.on("end", () =>
        done({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }),
      );
    })
      .on("error", fail)
      .end();
  });
}

describe("pnpm start", () => {
  let first: Printed;

  it("starts central and an edge, and what it prints works as printed; Ctrl-C exits 0 and leaves no process", async () => {
    const { service, printed } = await startPlantlink();
    first = printed;
    await withStopOnFailure(service, async () => {
      expect(printed.firstStart).toBe(true);
      expect(printed.viewerToken).toMatch(/^plt_/);
      expect(printed.mqtt.port).toBe(Number(env.PLANTLINK_MQTT_PORT));

      // A device publishes through the printed MQTT address with the printed login (as mosquitto_pub would).
      const client = await mqtt.connectAsync(`mqtt://${printed.mqtt.host}:${printed.mqtt.port}`, {
        username: printed.mqtt.user,
        password: printed.mqtt.password,
        clientId: "start-test",
      });
      const at = new Date(Date.now() - 60_000).toISOString();
      await client.publishAsync(
        `readings/${printed.mqtt.user}`,
        JSON.stringify({ equipmentId: printed.mqtt.user, value: 42.42, timestamp: at }),
        { qos: 1 },
      );
      await client.endAsync();

      // The printed curl sends one more over HTTP, exactly as printed.
      expect(JSON.parse(sh(printed.curlPost))).toMatchObject({ accepted: 1 });

      // Both come back through central's API, with the printed read command and the viewer token.
      const readBack = await waitFor(
        "the readings to reach central",
        () => {
          const answer = JSON.parse(sh(printed.curlRead)) as unknown;
          return countOf(answer) >= 2 ? answer : undefined;
        },
        90_000,
        service.output,
      );
      expect(JSON.stringify(readBack)).toContain(printed.mqtt.user);
    });

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group. A clean stop is a success:
    // exit 0, and pnpm reports no failed command.
    process.kill(-service.pid, "SIGINT");
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain("plantlink stopped");
    expect(service.output()).not.toContain("ELIFECYCLE");
    expect(service.output()).not.toContain("again: exiting without waiting");
    await expectGroupGone(service.pid);
  });

  it("reuses the data and the tokens on a second start, and stops cleanly on SIGTERM to the printed pid", async () => {
    const { service, printed } = await startPlantlink();
    await withStopOnFailure(service, async () => {
      expect(printed.firstStart).toBe(false);
      expect(printed.viewerToken).toBe(first.viewerToken);
      expect(printed.mqtt.password).toBe(first.mqtt.password);

      // The earlier readings are still there.
      expect(countOf(JSON.parse(sh(printed.curlRead)) as unknown)).toBeGreaterThanOrEqual(2);

      // The API documentation lists every route the running central serves.
      const openapi = await centralGet(
        `https://localhost:${env.PLANTLINK_CENTRAL_PORT}/openapi.json`,
        undefined,
      );
      expect(openapi.status).toBe(200);
      const apiDoc = readFileSync(join(ROOT, "docs/api.md"), "utf8");
      const paths = (openapi.body as { paths: Record<string, Record<string, unknown>> }).paths;
      for (const [path, methods] of Object.entries(paths)) {
        for (const method of Object.keys(methods)) {
          expect(apiDoc, `docs/api.md documents ${method.toUpperCase()} ${path}`).toContain(
            `${method.toUpperCase()} ${path}`,
          );
        }
      }
    });

    process.kill(printed.pid, "SIGTERM");
    await service.exited;
    await expectGroupGone(service.pid);
  });
});

/** How many readings of the demo sensor the printed read command's answer counts (GET /v1/averages). */
function countOf(answer: unknown): number {
  const sensors = (answer as { sensors?: { equipmentId: string; count: number }[] }).sensors ?? [];
  return sensors.find((s) => s.equipmentId === "DEMO-1")?.count ?? 0;
}
