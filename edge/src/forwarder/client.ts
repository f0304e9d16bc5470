/**
 * The forwarder's HTTP(S) client for central's `POST /v1/edge/batches`: one undici pool with
 * keep-alive connections (one per batch in flight), timeouts on connect, headers and body, an optional
 * private CA and client certificate. It never throws for an answer or a network failure: every
 * attempt ends in a SendOutcome that says what the forwarder should do next, and why, in words a plant
 * engineer can act on.
 */

import type { Socket } from "node:net";
import { type IngestAnswer, ingestAnswerSchema } from "@plantlink/shared";
import { buildConnector, Pool } from "undici";

export interface ClientOptions {
  /** Central's base URL, e.g. https://central.example:8080 */
  url: string;
  token: string;
  /** PEM of a private CA to trust for central's certificate (replaces the system CAs). */
  ca: Buffer | undefined;
  /** PEM of this edge's client certificate and key, for mTLS. */
  clientCert: { cert: Buffer; key: Buffer } | undefined;
  connections: number;
  connectTimeoutMs: number;
  /** How long central may take to answer a batch (headers, then each body chunk). */
  requestTimeoutMs: number;
}

export type SendOutcome =
  | { kind: "ok"; answer: IngestAnswer }
  /** 413: the batch must be split. */
  | { kind: "too_large"; detail: string }
  /** 401/403: this edge's token is wrong, revoked or not an edge token; nothing will pass until fixed. */
  | { kind: "auth"; status: number; detail: string }
  /** Worth retrying as-is: network failure, timeout, 5xx, 429. */
  | { kind: "retry"; code: string; detail: string; retryAfterMs: number | undefined }
  /** Another 4xx: retrying the same bytes will not help, yet the readings must not be dropped. */
  | { kind: "refused"; status: number; detail: string };

export interface CentralClient {
  send(body: Buffer): Promise<SendOutcome>;
  /** Waits for requests in flight, then closes the connections. */
  close(): Promise<void>;
  /** Cuts every connection now; requests in flight end as `retry`. */
  destroy(): Promise<void>;
  /** HTTP bytes over every connection so far (inside TLS: records add ~0.2 % and the handshakes). */
  wireBytes(): { sent: number; received: number };
}

const TLS_TRUST = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

const TLS_VALIDITY = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID"]);

export function createCentralClient(options: ClientOptions): CentralClient {
  const base = new URL(options.url);
  const path = `${base.pathname.replace(/\/+$/, "")}/v1/edge/batches`;
  const connector = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.clientCert ? { cert: options.clientCert.cert, key: options.clientCert.key } : {}),
  });
  // Bytes are counted per socket: on metered plant links (cellular, satellite) this is what costs.
  const open = new Set<Socket>();
  const closed = { sent: 0, received: 0 };
  const pool = new Pool(base.origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
    connect: (connectOptions, callback) =>
      connector(connectOptions, (error, socket) => {
        if (socket) {
          open.add(socket);
          socket.once("close", () => {
            open.delete(socket);
            closed.sent += socket.bytesWritten;
            closed.received += socket.bytesRead;
          });
        }
        // undici's callback types the two outcomes separately.
        if (error) callback(error, null);
        else if (socket) callback(null, socket);
      }),
  });
  const where = base.origin;

  return {
    async send(body) {
      try {
        const response = await pool.request({
          path,
          method: "POST",
          headers: {
            authorization: `Bearer ${options.token}`,
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": String(body.byteLength),
          },
          body,
        });
        const text = await response.body.text();
        return classifyAnswer(response.statusCode, text, response.headers["retry-after"]);
      } catch (error) {
        return classifyFailure(error, where, options);
      }
    },
    // Idempotent: the forwarder closes its client, and an owner closing it again must not throw.
    close: () => (pool.closed || pool.destroyed ? Promise.resolve() : pool.close()),
    destroy: () => (pool.destroyed ? Promise.resolve() : pool.destroy()),
    wireBytes() {
      let sent = closed.sent;
      let received = closed.received;
      for (const socket of open) {
        sent += socket.bytesWritten;
        received += socket.bytesRead;
      }
      return { sent, received };
    },
  };
}

function problemDetail(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) {
      const { detail, title } = parsed as { detail?: unknown; title?: unknown };
      if (typeof detail === "string") return detail;
      if (typeof title === "string") return title;
    }
  } catch {
    // Not JSON (a proxy's HTML error page): show its start.
  }
  return text.slice(0, 200).replace(/\s+/g, " ").trim();
}

function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function classifyAnswer(
  status: number,
  text: string,
  retryAfterHeader: string | string[] | undefined,
): SendOutcome {
  if (status >= 200 && status < 300) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ingestAnswerSchema.safeParse(json);
    // Central committed but the answer is unreadable: resending is safe (the batch id is idempotent)
    // and gets the stored answer again; marking synced blind would lose the per-item rejections.
    if (!parsed.success) {
      return {
        kind: "retry",
        code: "bad_answer",
        detail: `central answered ${status} with a body that is not an ingest answer: ${text.slice(0, 120)}`,
        retryAfterMs: undefined,
      };
    }
    return { kind: "ok", answer: parsed.data };
  }
  const detail = problemDetail(text);
  if (status === 413) return { kind: "too_large", detail };
  if (status === 401 || status === 403) return { kind: "auth", status, detail };
  if (status >= 500 || status === 429 || status === 408) {
    return {
      kind: "retry",
      code: `http_${status}`,
      detail: `central answered ${status}: ${detail}`,
      retryAfterMs: retryAfter(retryAfterHeader),
    };
  }
  return { kind: "refused", status, detail };
}

function errorCodes(error: unknown): { code: string; message: string }[] {
  const found: { code: string; message: string }[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    found.push({ code: typeof code === "string" ? code : current.name, message: current.message });
    current = current.cause;
  }
  return found;
}

export function classifyFailure(error: unknown, where: string, options: ClientOptions): SendOutcome {
  const chain = errorCodes(error);
  const retry = (code: string, detail: string): SendOutcome => ({
    kind: "retry",
    code,
    detail,
    retryAfterMs: undefined,
  });
  for (const { code, message } of chain) {
    if (TLS_TRUST.has(code)) {
      return retry(
        "tls_untrusted",
        `central's certificate at ${where} is not trusted (${code}: ${message}); ` +
          (options.ca
            ? "it was not signed by the CA in PLANTLINK_CENTRAL_CA — check that file"
            : "set PLANTLINK_CENTRAL_CA to the PEM file of the CA that signed it"),
      );
    }
    if (TLS_VALIDITY.has(code)) {
      return retry(
        "tls_invalid",
        `central's certificate at ${where} is not valid here (${code}: ${message})`,
      );
    }
    if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
      return retry(
        "tls_client_refused",
        `central refused this edge's TLS client certificate (${code}); ` +
          (options.clientCert
            ? "check that PLANTLINK_CLIENT_CERT is signed by a CA central trusts"
            : "central requires one: set PLANTLINK_CLIENT_CERT and PLANTLINK_CLIENT_KEY"),
      );
    }
    switch (code) {
      case "ECONNREFUSED":
        return retry(
          "connection_refused",
          `nothing accepts connections at ${where} (ECONNREFUSED); is central up?`,
        );
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return retry(
          "dns",
          `cannot resolve the host of ${where} (${code}); check PLANTLINK_CENTRAL_URL and DNS`,
        );
      case "UND_ERR_CONNECT_TIMEOUT":
        return retry("connect_timeout", `connecting to ${where} took over ${options.connectTimeoutMs} ms`);
      case "UND_ERR_HEADERS_TIMEOUT":
      case "UND_ERR_BODY_TIMEOUT":
        return retry("timeout", `central at ${where} did not answer within ${options.requestTimeoutMs} ms`);
      case "ECONNRESET":
      case "EPIPE":
      case "UND_ERR_SOCKET":
      case "UND_ERR_CLOSED":
        // Under TLS 1.3 a server refusing the client certificate does so after the handshake, and
        // the client only sees the socket close: no error code says why, so the hint names the suspect.
        return retry(
          "connection_lost",
          `the connection to ${where} broke before central answered (${code})` +
            (where.startsWith("https:")
              ? "; if every attempt ends so, central's TLS endpoint may be refusing this edge's client certificate (PLANTLINK_CLIENT_CERT)"
              : ""),
        );
      case "UND_ERR_DESTROYED":
      case "AbortError":
        return retry("aborted", "the request was cut off because the forwarder is closing");
    }
  }
  const first = chain[0];
  return retry(first?.code ?? "network", `sending to ${where} failed: ${first?.message ?? String(error)}`);
}
