/** The OpenAPI 3.1 document is valid, generated from the route table, and its viewer needs no CDN. */
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/http/routes.ts";
import { startTestCentral } from "./test-central.ts";

const central = await startTestCentral();

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
}

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const response = await fetch(`${central.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists every route of the route table with its bearer security and auth answers", async () => {
    const document = (await (await fetch(`${central.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    expect(document.components.securitySchemes.bearer?.scheme).toBe("bearer");
    for (const route of apiRoutes) {
      const operation = document.paths[route.path]?.[route.method];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation?.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(["401", "403"]));
    }
    for (const probe of ["/healthz", "/readyz", "/metrics"]) expect(document.paths[probe]?.get).toBeDefined();
  });
});

describe("GET /docs", () => {
  it("serves a viewer whose every asset comes from central itself", async () => {
    const response = await fetch(`${central.url}/docs`);
    expect(response.status).toBe(200);
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\//); // same origin: nothing from a CDN
      const served = await fetch(`${central.url}${asset}`);
      expect(served.status, asset).toBe(200);
      expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("serves no file outside its list", async () => {
    for (const path of ["/docs/package.json", "/docs/..%2F..%2Fpackage.json", "/docs/index.html"]) {
      expect((await fetch(`${central.url}${path}`)).status, path).toBe(404);
    }
  });
});
