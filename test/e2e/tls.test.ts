/**
 * Forwarding over TLS with a private CA: trusted when PLANTLINK_CENTRAL_CA names it, refused with the
 * reason in status when it does not; mTLS with the edge's client certificate; and a revoked edge
 * token stops the forwarder with a status that says what to do.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type Server } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../central/test/support/test-database.ts";
import { makePki } from "./support/certs.ts";
import {
  centralInProcess,
  commitReadings,
  dir,
  edgeInProcess,
  edgeToken,
  storedCount,
  syncOf,
  until,
} from "./support/in-process.ts";

const db = await createTestDatabase();
const root = mkdtempSync(join(tmpdir(), "plantlink-tls-"));
const pki = makePki(join(root, "pki"));
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const central = await centralInProcess(db.url, dir(root, "central"), {
  cert: pki.server.cert,
  key: pki.server.key,
});
closers.push(() => central.close());

describe("TLS to central", () => {
  it("forwards over HTTPS when PLANTLINK_CENTRAL_CA names the private CA that signed central's certificate", async () => {
    const { token } = await edgeToken(db.sql, "tls-ok");
    const edge = await edgeInProcess(dir(root, "edge-ok"), "tls-ok", {
      PLANTLINK_CENTRAL_URL: central.url,
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_CENTRAL_CA: pki.ca.cert,
    });
    closers.push(() => edge.close());
    commitReadings(edge, "TLSOK", 200);
    await until(
      () => storedCount(db.sql, "TLSOK"),
      (n) => n === 200,
    );
    await until(
      () => edge.status().buffered,
      (n) => n === 0,
    );
    expect(syncOf(edge)).toMatchObject({ state: "idle", lastError: null });
    expect(syncOf(edge).lastSuccessfulSync).not.toBeNull();
  });

  it("refuses a central its CA store cannot vouch for, and says why and what to set in status", async () => {
    const { token } = await edgeToken(db.sql, "tls-unknown");
    const noCa = await edgeInProcess(dir(root, "edge-no-ca"), "tls-unknown", {
      PLANTLINK_CENTRAL_URL: central.url,
      PLANTLINK_CENTRAL_TOKEN: token,
    });
    closers.push(() => noCa.close());
    commitReadings(noCa, "TLSNOCA", 10);
    const sync = await until(
      () => syncOf(noCa),
      (s) => s.lastError !== null,
    );
    expect(sync.state).toBe("retrying");
    expect(sync.lastError?.code).toBe("tls_untrusted");
    expect(sync.lastError?.message).toMatch(/not trusted .*set PLANTLINK_CENTRAL_CA/);
    expect(noCa.status().lastError?.message).toContain("PLANTLINK_CENTRAL_CA");

    const wrongCa = await edgeInProcess(dir(root, "edge-wrong-ca"), "tls-unknown", {
      PLANTLINK_CENTRAL_URL: central.url,
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_CENTRAL_CA: pki.otherCa.cert,
    });
    closers.push(() => wrongCa.close());
    commitReadings(wrongCa, "TLSWRONG", 10);
    const wrong = await until(
      () => syncOf(wrongCa),
      (s) => s.lastError !== null,
    );
    expect(wrong.lastError?.message).toContain("not signed by the CA in PLANTLINK_CENTRAL_CA");
    expect(await storedCount(db.sql, "TLSNOCA")).toBe(0);
    expect(await storedCount(db.sql, "TLSWRONG")).toBe(0);
  });

  it("authenticates with a client certificate (mTLS) to a TLS front that requires one", async () => {
    // The TLS front terminates mTLS and passes plain bytes to central, as an ingress or load balancer does.
    const plain = await centralInProcess(db.url, dir(root, "central-plain"));
    closers.push(() => plain.close());
    const sockets = new Set<Socket>();
    const front: Server = createTlsServer(
      {
        cert: readFileSync(pki.server.cert),
        key: readFileSync(pki.server.key),
        ca: readFileSync(pki.ca.cert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (client) => {
        const upstream = connect(plain.port, "127.0.0.1");
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      },
    );
    front.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const port = (front.address() as { port: number }).port;
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => front.close(resolve));
    });
    const url = `https://127.0.0.1:${port}`;
    const { token } = await edgeToken(db.sql, "mtls");

    const withCert = await edgeInProcess(dir(root, "edge-mtls"), "mtls", {
      PLANTLINK_CENTRAL_URL: url,
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_CENTRAL_CA: pki.ca.cert,
      PLANTLINK_CLIENT_CERT: pki.client.cert,
      PLANTLINK_CLIENT_KEY: pki.client.key,
    });
    closers.push(() => withCert.close());
    commitReadings(withCert, "MTLS", 100);
    await until(
      () => storedCount(db.sql, "MTLS"),
      (n) => n === 100,
    );

    const stranger = await edgeInProcess(dir(root, "edge-stranger"), "mtls", {
      PLANTLINK_CENTRAL_URL: url,
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_CENTRAL_CA: pki.ca.cert,
      PLANTLINK_CLIENT_CERT: pki.strangerClient.cert,
      PLANTLINK_CLIENT_KEY: pki.strangerClient.key,
    });
    closers.push(() => stranger.close());
    commitReadings(stranger, "STRANGER", 10);
    const refused = await until(
      () => syncOf(stranger),
      (s) => s.lastError !== null,
    );
    expect(refused.state).toBe("retrying");
    // TLS 1.3 refuses the certificate after the handshake: the client sees only the close, so the
    // reason is the hint in the message (TLS 1.2 fronts give tls_client_refused).
    expect(refused.lastError?.code).toMatch(/^(tls_client_refused|connection_lost)$/);
    expect(refused.lastError?.message).toContain("PLANTLINK_CLIENT_CERT");
    expect(await storedCount(db.sql, "STRANGER")).toBe(0);
  });

  it("stops forwarding when central revokes the edge token, and says so in status and metrics", async () => {
    const { token, tokenId, store } = await edgeToken(db.sql, "revoked");
    const edge = await edgeInProcess(dir(root, "edge-revoked"), "revoked", {
      PLANTLINK_CENTRAL_URL: central.url,
      PLANTLINK_CENTRAL_TOKEN: token,
      PLANTLINK_CENTRAL_CA: pki.ca.cert,
    });
    closers.push(() => edge.close());
    commitReadings(edge, "REVOKE1", 50);
    await until(
      () => storedCount(db.sql, "REVOKE1"),
      (n) => n === 50,
    );

    await store.revoke(tokenId);
    commitReadings(edge, "REVOKE2", 50);
    const sync = await until(
      () => syncOf(edge),
      (s) => s.state === "stopped",
    );
    expect(sync.stopped?.code).toBe("unauthorized");
    expect(sync.lastError?.message).toContain("PLANTLINK_CENTRAL_TOKEN");
    expect(edge.status().buffered).toBe(50);
    const metrics = await edge.parts.metrics.registry.metrics();
    expect(metrics).toMatch(/plantlink_edge_forwarder_auth_failed 1/);
    expect(metrics).toMatch(/plantlink_edge_forwarder_state\{state="stopped"\} 1/);
    // Stopped means stopped: nothing more reaches central, however long it waits.
    const failures = sync.totals.failures;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(syncOf(edge).totals.failures).toBe(failures);
    expect(await storedCount(db.sql, "REVOKE2")).toBe(0);
  });
});
