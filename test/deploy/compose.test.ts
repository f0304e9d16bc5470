import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { InterpolationError, interpolateAll, readEnvFile } from "../support/compose.ts";
import { configProblems, loaders, reads } from "../support/config-probe.ts";
import { envOf, parseDockerfile } from "../support/dockerfile.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const raw: unknown = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"));
const dotenv = readEnvFile(join(ROOT, ".env.example"));

// The part of the compose schema these checks rely on, validated rather than assumed.
const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  profiles: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.unknown().optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
});
const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown().nullable()),
});
type Service = z.infer<typeof serviceSchema>;

// A token of the right shape, standing in for the one the operator pastes into .env.
const vars: Record<string, string> = { ...dotenv, PLANTLINK_EDGE_TOKEN: `plt_${"x".repeat(43)}` };
const compose = composeSchema.parse(interpolateAll(raw, vars));
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const env = (name: string) => service(name).environment ?? {};
const imageEnv = (name: string) => {
  const stages = parseDockerfile(join(ROOT, service(name).build?.dockerfile ?? ""));
  const last = stages.at(-1);
  if (!last) throw new Error(`${name}: Dockerfile has no stage`);
  return envOf(last);
};

describe("docker-compose.yml", () => {
  it("parses, with PostgreSQL, central and an edge by default and Prometheus + Grafana in the monitoring profile", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "central",
      "certs",
      "edge",
      "grafana",
      "postgres",
      "prometheus",
    ]);
    for (const core of ["postgres", "certs", "central", "edge"])
      expect(service(core).profiles).toBeUndefined();
    for (const extra of ["prometheus", "grafana"]) expect(service(extra).profiles).toEqual(["monitoring"]);
  });

  it("refuses to start without a PostgreSQL password rather than using a default one", () => {
    const { POSTGRES_PASSWORD: _, ...withoutPassword } = vars;
    expect(() => interpolateAll(raw, withoutPassword)).toThrow(InterpolationError);
  });

  it("references only files and build contexts that exist", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) {
        expect(existsSync(join(ROOT, s.build.context)), `${name} build context`).toBe(true);
        expect(existsSync(join(ROOT, s.build.context, s.build.dockerfile)), `${name} Dockerfile`).toBe(true);
      }
      for (const volume of s.volumes ?? []) {
        const source = volume.split(":")[0] ?? "";
        if (source.startsWith(".") || source.startsWith("/")) {
          expect(existsSync(join(ROOT, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name} uses volume ${source}`).toContain(source);
        }
      }
    }
  });

  it("can tell a variable a schema reads from one it ignores (the probe the next checks rely on)", () => {
    expect(reads(loaders.central, "PLANTLINK_CENTRAL_PORT")).toBe(true);
    expect(reads(loaders.edge, "PLANTLINK_CENTRAL_URL")).toBe(true);
    expect(reads(loaders.central, "PLANTLINK_MQTT_PORT")).toBe(false);
    expect(reads(loaders.edge, "PLANTLINK_NO_SUCH_THING")).toBe(false);
  });

  it("sets on central only variables central's config reads, and central accepts their values", () => {
    for (const name of Object.keys(env("central"))) expect(reads(loaders.central, name), name).toBe(true);
    expect(configProblems(loaders.central, { ...imageEnv("central"), ...env("central") })).toEqual([]);
  });

  it("sets on the edge only variables the edge's config reads, and the edge accepts their values", () => {
    for (const name of Object.keys(env("edge"))) expect(reads(loaders.edge, name), name).toBe(true);
    expect(configProblems(loaders.edge, { ...imageEnv("edge"), ...env("edge") })).toEqual([]);
  });

  it("points each service at the others by service name, port and path", () => {
    const central = env("central");
    const edge = env("edge");
    const postgres = env("postgres");
    const centralPort = central.PLANTLINK_CENTRAL_PORT ?? imageEnv("central").PLANTLINK_CENTRAL_PORT;
    expect(edge.PLANTLINK_CENTRAL_URL).toBe(`https://central:${centralPort}`);
    const db = new URL(central.DATABASE_URL ?? "");
    expect(db.hostname).toBe("postgres");
    expect(decodeURIComponent(db.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${postgres.POSTGRES_DB}`);

    // TLS: both read the certs volume where the certs step writes, and the certificate names "central".
    const mountOf = (name: string) =>
      service(name)
        .volumes?.find((v) => v.startsWith("certs:"))
        ?.split(":")[1];
    for (const path of [central.PLANTLINK_TLS_CERT, central.PLANTLINK_TLS_KEY]) {
      expect(path?.startsWith(`${mountOf("central")}/`)).toBe(true);
    }
    expect(edge.PLANTLINK_CENTRAL_CA).toBe(`${mountOf("edge")}/ca.pem`);
    const certs = [service("certs").command].flat().join(" ");
    expect(certs).toMatch(/make-certs\.sh \/certs central /);
    // The images run as uid 10001; the certs step hands the keys to it.
    expect(certs).toContain("chown -R 10001:10001 /certs");
    for (const name of ["central", "edge"]) {
      const dockerfile = readFileSync(join(ROOT, service(name).build?.dockerfile ?? ""), "utf8");
      expect(dockerfile).toMatch(/useradd --system --uid 10001/);
    }

    // Published container ports are the ones the services listen on.
    const containerPorts = (name: string) => (service(name).ports ?? []).map((p) => p.split(":").at(-1));
    expect(containerPorts("central")).toEqual([centralPort]);
    const edgeImage = imageEnv("edge");
    expect(containerPorts("edge")).toEqual([
      edgeImage.PLANTLINK_MQTT_PORT,
      edgeImage.PLANTLINK_EDGE_HTTP_PORT,
    ]);
  });

  it("keeps every service's state on a named volume at the path the service writes", () => {
    const target = (name: string, volume: string) =>
      service(name)
        .volumes?.find((v) => v.startsWith(`${volume}:`))
        ?.split(":")[1];
    expect(target("postgres", "pgdata")).toBe("/var/lib/postgresql/data");
    expect(target("edge", "edge-data")).toBe(imageEnv("edge").PLANTLINK_EDGE_DATA_DIR);
    expect(target("central", "central-data")).toBe(imageEnv("central").PLANTLINK_CENTRAL_DATA_DIR);
  });

  it("wires Prometheus to central and the edge, and Grafana to Prometheus and the plantlink dashboard", () => {
    const prometheus = parse(readFileSync(join(ROOT, "deploy/monitoring/prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: { job_name: string; scheme?: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((s) => s.targets)]),
    );
    expect(targets["plantlink-central"]).toEqual([`central:${env("central").PLANTLINK_CENTRAL_PORT}`]);
    expect(prometheus.scrape_configs.find((j) => j.job_name === "plantlink-central")?.scheme).toBe("https");
    expect(targets["plantlink-edge"]).toEqual([`edge:${imageEnv("edge").PLANTLINK_EDGE_HTTP_PORT}`]);
    expect(service("prometheus").volumes).toContain(
      "./deploy/monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro",
    );
    expect(prometheus.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);

    const datasources = parse(
      readFileSync(join(ROOT, "deploy/monitoring/grafana/provisioning/datasources/prometheus.yml"), "utf8"),
    ) as { datasources: { uid: string; url: string }[] };
    const [datasource] = datasources.datasources;
    expect(datasource?.url).toBe("http://prometheus:9090");
    const dashboard = readFileSync(join(ROOT, "deploy/monitoring/grafana/dashboards/plantlink.json"), "utf8");
    const uids = new Set([...dashboard.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]));
    uids.delete("plantlink-overview"); // the dashboard's own uid
    expect([...uids]).toEqual([datasource?.uid]);
  });
});
