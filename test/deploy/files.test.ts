import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEnvFile } from "../support/compose.ts";
import { configProblems, declaredVariables, loaders, reads } from "../support/config-probe.ts";
import { envOf, execForm, healthcheck, instructions, parseDockerfile } from "../support/dockerfile.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const SERVICES = { central: { ports: ["8080"] }, edge: { ports: ["1883", "8081"] } } as const;

describe("the Dockerfiles", () => {
  for (const [name, spec] of Object.entries(SERVICES)) {
    describe(`deploy/${name}/Dockerfile`, () => {
      const stages = parseDockerfile(join(ROOT, `deploy/${name}/Dockerfile`));
      const build = stages[0];
      const runtime = stages.at(-1);
      if (!build || !runtime) throw new Error("no stages");

      it("is multi-stage: dependencies installed in a build stage, a slim runtime stage copies the result", () => {
        expect(stages.length).toBeGreaterThanOrEqual(2);
        expect(build.name).toBe("build");
        expect(runtime.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
        const deploy = instructions(build, "RUN").find((r) => r.args.includes(" deploy "));
        expect(deploy?.args).toContain(`--filter @plantlink/${name} --prod deploy /out`);
        expect(instructions(runtime, "COPY").map((c) => c.args)).toContain("--from=build /out /app");
        // Compilers stay in the build stage.
        expect(instructions(runtime, "RUN").some((r) => r.args.includes("g++"))).toBe(false);
      });

      it("runs as an unprivileged user", () => {
        const user = instructions(runtime, "USER").at(-1)?.args;
        expect(user).toBeDefined();
        expect(user).not.toMatch(/^(root|0)(:|$)/);
      });

      it("has a health check, a volume for its data and the ports it listens on", () => {
        expect(healthcheck(runtime)?.slice(0, 2)).toEqual(["node", "-e"]);
        expect(instructions(runtime, "HEALTHCHECK")[0]?.args).toMatch(/--interval=\d+s --timeout=\d+s/);
        const env = envOf(runtime);
        const dataDir = env.PLANTLINK_EDGE_DATA_DIR ?? env.PLANTLINK_CENTRAL_DATA_DIR;
        expect(instructions(runtime, "VOLUME")[0]?.args).toBe(JSON.stringify([dataDir]));
        expect(instructions(runtime, "EXPOSE")[0]?.args.split(/\s+/)).toEqual([...spec.ports]);
        expect(configProblems(name === "edge" ? loaders.edge : loaders.central, env)).toEqual([]);
      });

      it("starts the service's serve command with tsx, in exec form so SIGTERM reaches node", () => {
        expect(execForm(instructions(runtime, "CMD")[0]?.args ?? "")).toEqual([
          "node",
          "--import",
          "tsx",
          "src/cli.ts",
          "serve",
        ]);
        expect(instructions(runtime, "STOPSIGNAL")[0]?.args).toBe("SIGTERM");
      });

      it("installs the tsx version the lockfile has", () => {
        const installed = JSON.parse(read("node_modules/tsx/package.json")) as { version: string };
        const arg = instructions(build, "ARG").find((a) => a.args.startsWith("TSX_VERSION="));
        expect(arg?.args).toBe(`TSX_VERSION=${installed.version}`);
      });
    });
  }

  it("leave machine-local and generated files out of the build context", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const entry of ["**/node_modules", "**/data", ".git", ".env"]) expect(ignored).toContain(entry);
  });
});

describe("deploy/tls/make-certs.sh", () => {
  const out = join(mkdtempSync(join(tmpdir(), "plantlink-certs-")), "certs");
  afterAll(() => rmSync(join(out, ".."), { recursive: true, force: true }));
  const hasOpenssl = (() => {
    try {
      execFileSync("openssl", ["version"]);
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasOpenssl)(
    "makes a CA, central's server certificate for every name, and client certificates per edge",
    () => {
      execFileSync("sh", [
        join(ROOT, "deploy/tls/make-certs.sh"),
        out,
        "central",
        "localhost",
        "127.0.0.1",
        "--edge",
        "plant-1",
      ]);
      const ca = new X509Certificate(readFileSync(join(out, "ca.pem")));
      const central = new X509Certificate(readFileSync(join(out, "central.pem")));
      const edge = new X509Certificate(readFileSync(join(out, "edge-plant-1.pem")));
      expect(ca.ca).toBe(true);
      expect(central.verify(ca.publicKey)).toBe(true);
      expect(central.ca).toBe(false);
      expect(central.subjectAltName).toBe("DNS:central, DNS:localhost, IP Address:127.0.0.1");
      expect(central.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
      expect(edge.verify(ca.publicKey)).toBe(true);
      expect(edge.subject).toContain("CN=plant-1");
      expect(edge.keyUsage).toContain("1.3.6.1.5.5.7.3.2"); // clientAuth
      for (const key of ["ca-key.pem", "central-key.pem", "edge-plant-1-key.pem"]) {
        expect(statSync(join(out, key)).mode & 0o077, `${key} is owner-only`).toBe(0);
      }
    },
  );

  it.skipIf(!hasOpenssl)("renews leaf certificates with the same CA when run again", () => {
    const before = new X509Certificate(readFileSync(join(out, "ca.pem"))).fingerprint256;
    const oldCentral = new X509Certificate(readFileSync(join(out, "central.pem"))).serialNumber;
    execFileSync("sh", [join(ROOT, "deploy/tls/make-certs.sh"), out, "central"]);
    expect(new X509Certificate(readFileSync(join(out, "ca.pem"))).fingerprint256).toBe(before);
    expect(new X509Certificate(readFileSync(join(out, "central.pem"))).serialNumber).not.toBe(oldCentral);
  });
});

describe("the edge's systemd unit and its environment file", () => {
  const unit = Object.fromEntries(
    read("deploy/edge/plantlink-edge.service")
      .split("\n")
      .map((line) => /^(\w+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );

  it("runs the same command as the image, as its own user, restarting, with SIGTERM and time to drain", () => {
    const image = parseDockerfile(join(ROOT, "deploy/edge/Dockerfile")).at(-1);
    const cmd = execForm((image && instructions(image, "CMD")[0]?.args) ?? "[]");
    expect(unit.ExecStart).toBe(`/usr/bin/${cmd.join(" ")}`);
    expect(unit.User).toBe("plantlink");
    expect(unit.Restart).toBe("always");
    expect(unit.KillSignal).toBe("SIGTERM");
    expect(Number(unit.TimeoutStopSec)).toBeGreaterThanOrEqual(15);
    expect(unit.EnvironmentFile).toBe("/etc/plantlink/edge.env");
    expect(unit.StateDirectory).toBe("plantlink-edge");
    // The same Node options (the young generation's size) on a plant PC as in the container.
    expect(image && envOf(image).NODE_OPTIONS).toMatch(/^--max-semi-space-size=\d+$/);
    expect(unit.Environment).toBe(`NODE_OPTIONS=${image && envOf(image).NODE_OPTIONS}`);
  });

  it("ships an environment file the edge accepts, keeping its data in the unit's state directory", () => {
    const env = readEnvFile(join(ROOT, "deploy/edge/edge.env"));
    for (const name of Object.keys(env)) expect(reads(loaders.edge, name), name).toBe(true);
    expect(configProblems(loaders.edge, env)).toEqual([]);
    expect(env.PLANTLINK_EDGE_DATA_DIR).toBe(`/var/lib/${unit.StateDirectory}`);
  });
});

describe(".env.example", () => {
  const text = read(".env.example");
  const mentioned = new Set([...text.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? ""));
  // Variables read by docker compose itself, pnpm start or pnpm simulate rather than by a service schema.
  const OTHERS = [
    "POSTGRES_PASSWORD",
    "PLANTLINK_EDGE_TOKEN",
    "PLANTLINK_CENTRAL_PUBLISH",
    "PLANTLINK_MQTT_PUBLISH",
    "PLANTLINK_EDGE_HTTP_PUBLISH",
    "PLANTLINK_CENTRAL_HOSTNAME",
    "GRAFANA_ADMIN_PASSWORD",
    "PLANTLINK_DATA_DIR",
    "PLANTLINK_DEMO",
    "PLANTLINK_DEMO_DEVICES",
    "PLANTLINK_SIMULATE_TOKEN",
  ];

  it("lists every variable central and the edge read", () => {
    for (const [service, dir] of [
      ["central", "central/src"],
      ["edge", "edge/src"],
    ] as const) {
      for (const name of declaredVariables(join(ROOT, dir))) {
        expect(reads(loaders[service], name), `${service} reads ${name}`).toBe(true);
        expect(mentioned.has(name), `.env.example lists ${name}`).toBe(true);
      }
    }
  });

  it("names the future-skew limit the same for central and the edge, in seconds", () => {
    for (const service of ["central", "edge"] as const) {
      expect(reads(loaders[service], "PLANTLINK_MAX_FUTURE_SKEW_SECONDS"), service).toBe(true);
      expect(configProblems(loaders[service], { PLANTLINK_MAX_FUTURE_SKEW_SECONDS: "90" }), service).toEqual(
        [],
      );
      expect(configProblems(loaders[service], { PLANTLINK_MAX_FUTURE_SKEW_SECONDS: "" }), service).toEqual(
        [],
      );
      expect(
        configProblems(loaders[service], { PLANTLINK_MAX_FUTURE_SKEW_SECONDS: "-1" })[0],
        service,
      ).toMatch(/^PLANTLINK_MAX_FUTURE_SKEW_SECONDS: expected a number of seconds/);
    }
  });

  it("lists nothing that no part reads", () => {
    for (const name of mentioned) {
      const known = reads(loaders.central, name) || reads(loaders.edge, name) || OTHERS.includes(name);
      expect(known, `${name} is read by something`).toBe(true);
    }
  });

  it("shows defaults each service accepts", () => {
    const defaults = Object.fromEntries(
      [...text.matchAll(/^#\s?([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    // Illustrative values (paths, tokens, URLs) are not defaults; sizes, ports and switches are.
    const numeric = Object.fromEntries(
      Object.entries(defaults).filter(([, v]) => /^(\d[\w.]*|true|false|auto|FULL|info|0\.0\.0\.0)$/.test(v)),
    );
    for (const service of ["central", "edge"] as const) {
      const own = Object.fromEntries(Object.entries(numeric).filter(([k]) => reads(loaders[service], k)));
      expect(configProblems(loaders[service], own), service).toEqual([]);
    }
  });
});
