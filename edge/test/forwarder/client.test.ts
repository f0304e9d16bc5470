import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { classifyAnswer, classifyFailure, createCentralClient } from "../../src/forwarder/client.ts";

const options = {
  url: "https://central.example:8443",
  token: "t",
  ca: undefined,
  clientCert: undefined,
  connections: 1,
  connectTimeoutMs: 300,
  requestTimeoutMs: 300,
};
const tlsError = (code: string) =>
  Object.assign(new Error("self-signed certificate in certificate chain"), { code });

describe("central client", () => {
  it("classifies answers: 2xx ok, 413 split, 401/403 stop, 5xx/429 retry, other 4xx refused", () => {
    const answer = { received: 1, inserted: 1, duplicates: 0, conflicts: 0, rejected: 0, errors: [] };
    // An older central's answer has no setAside count: it reads as none set aside.
    expect(classifyAnswer(200, JSON.stringify(answer), undefined)).toEqual({
      kind: "ok",
      answer: { ...answer, setAside: 0 },
    });
    const current = { ...answer, inserted: 0, setAside: 1 };
    expect(classifyAnswer(200, JSON.stringify(current), undefined)).toEqual({ kind: "ok", answer: current });
    expect(classifyAnswer(200, "<html>", undefined).kind).toBe("retry");
    expect(classifyAnswer(413, '{"detail":"too big"}', undefined)).toEqual({
      kind: "too_large",
      detail: "too big",
    });
    expect(classifyAnswer(401, '{"detail":"revoked"}', undefined)).toMatchObject({
      kind: "auth",
      status: 401,
    });
    expect(classifyAnswer(403, "{}", undefined)).toMatchObject({ kind: "auth", status: 403 });
    expect(classifyAnswer(503, "", "7")).toMatchObject({
      kind: "retry",
      code: "http_503",
      retryAfterMs: 7000,
    });
    expect(classifyAnswer(429, "", undefined)).toMatchObject({ kind: "retry", code: "http_429" });
    expect(classifyAnswer(400, '{"detail":"bad"}', undefined)).toEqual({
      kind: "refused",
      status: 400,
      detail: "bad",
    });
  });

  it("explains TLS failures with the variable to set", () => {
    const untrusted = classifyFailure(tlsError("SELF_SIGNED_CERT_IN_CHAIN"), "https://c:1", options);
    expect(untrusted).toMatchObject({ kind: "retry", code: "tls_untrusted" });
    expect(untrusted.kind === "retry" && untrusted.detail).toContain("set PLANTLINK_CENTRAL_CA");
    const wrapped = classifyFailure(
      new Error("fetch failed", { cause: tlsError("UNABLE_TO_VERIFY_LEAF_SIGNATURE") }),
      "https://c:1",
      { ...options, ca: Buffer.from("x") },
    );
    expect(wrapped.kind === "retry" && wrapped.detail).toContain(
      "not signed by the CA in PLANTLINK_CENTRAL_CA",
    );
    const refused = classifyFailure(
      Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
      "http://c:1",
      options,
    );
    expect(refused).toMatchObject({ code: "connection_refused" });
  });

  it("gives up on a central that accepts the connection but never answers, as a timeout", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    const client = createCentralClient({ ...options, url: `http://127.0.0.1:${port}` });
    const started = Date.now();
    const outcome = await client.send(Buffer.from("x"));
    expect(outcome).toMatchObject({ kind: "retry", code: "timeout" });
    expect(Date.now() - started).toBeLessThan(3000);
    await client.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
});
