/**
 * POST /v1/readings: readings from gateways (bearer token from `pnpm edge gateway add`) and devices
 * (HTTP Basic, the device's MQTT credentials). A request is atomic: every reading valid → all
 * committed in the group commit, then 202; any invalid → 400 naming each, nothing stored.
 *
 * Rejected bodies are not quarantined: the sender holds the reasons in the 400 and must resend, and a
 * quarantined copy replayed later would race the corrected resend.
 */
import type { IncomingMessage } from "node:http";
import {
  type BatchedLookups,
  type LoginThrottle,
  type Reading,
  type ReadingValidator,
  type Rejection,
  retryAfterSeconds,
} from "@plantlink/shared";
import { type Context, Hono } from "hono";
import { hashToken, UNKNOWN_DEVICE_HASH, type VerifiedPasswords } from "../buffer/credentials.ts";
import type { GroupCommit } from "../buffer/group-commit.ts";
import type { Gateway, Registry } from "../buffer/registry.ts";
import type { CommitFailedError, Refusal } from "../errors.ts";
import type { EdgeMetrics } from "../status/metrics.ts";
import { declaredTooLarge, headerOf, readBodyText } from "./body.ts";
import { problem } from "./problem.ts";

export interface ReceiverOptions {
  registry: Registry;
  gateways: BatchedLookups<Gateway>;
  verified: VerifiedPasswords;
  groupCommit: GroupCommit;
  validator: ReadingValidator;
  metrics: EdgeMetrics;
  maxBodyBytes: number;
  allowAnonymous: boolean;
  /** Failed logins per client address, shared with the MQTT broker. */
  throttle: LoginThrottle;
}

const remoteAddress = (c: Context): string =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "unknown";

type Sender = { kind: "gateway"; name: string } | { kind: "device"; id: string } | { kind: "anonymous" };

/** Seconds a refused sender should wait: the cap clears when the forwarder drains, shutdown quickly. */
const RETRY_AFTER: Record<(Refusal | CommitFailedError)["code"], number> = {
  buffer_full: 30,
  disk_reserve: 60,
  shutting_down: 5,
  commit_failed: 10,
};

export function createReceiver(options: ReceiverOptions): Hono {
  const { registry, gateways, verified, groupCommit, validator, metrics, throttle } = options;
  const app = new Hono();

  const identify = async (header: string | undefined): Promise<Sender | undefined> => {
    if (header === undefined) return options.allowAnonymous ? { kind: "anonymous" } : undefined;
    const [scheme, value = ""] = header.split(" ", 2);
    if (scheme?.toLowerCase() === "bearer") {
      const gateway = await gateways.find(hashToken(value.trim()));
      return gateway ? { kind: "gateway", name: gateway.name } : undefined;
    }
    if (scheme?.toLowerCase() === "basic") {
      const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const id = colon < 0 ? decoded : decoded.slice(0, colon);
      const device = registry.device(id);
      const ok = await verified.verify(
        colon < 0 ? "" : decoded.slice(colon + 1),
        device?.enabled ? device.passwordHash : UNKNOWN_DEVICE_HASH,
      );
      return ok && device?.enabled ? { kind: "device", id: device.id } : undefined;
    }
    return undefined;
  };

  const commit = (readings: Reading[]) =>
    new Promise<Refusal | CommitFailedError | null>((resolve) => {
      groupCommit.submit({ source: "http", readings, quarantine: [], done: resolve });
    });

  const tooLarge = (c: Context) => {
    metrics.rejected.inc({ source: "http", reason: "too_large" });
    return problem(
      c,
      413,
      "Payload Too Large",
      `the body exceeds ${options.maxBodyBytes} bytes (PLANTLINK_HTTP_MAX_BODY_BYTES); send fewer readings per request`,
    );
  };

  app.post("/v1/readings", async (c) => {
    if (declaredTooLarge(c, options.maxBodyBytes)) return tooLarge(c);
    const header = headerOf(c, "authorization");
    const address = remoteAddress(c);
    const blocked = header === undefined ? 0 : throttle.blockedFor(address);
    if (blocked > 0) {
      // Refused before the credential is checked: a guessing run costs no scrypt.
      metrics.rejected.inc({ source: "http", reason: "too_many_failed_logins" });
      const seconds = retryAfterSeconds(blocked);
      return problem(
        c,
        429,
        "Too Many Requests",
        `too many failed logins from this address; try again in ${seconds} s with a valid gateway token or device password`,
        { headers: { "retry-after": String(seconds) } },
      );
    }
    const sender = await identify(header);
    if (header !== undefined) {
      if (sender) throttle.success(address);
      else throttle.failure(address);
    }
    if (!sender) {
      metrics.rejected.inc({ source: "http", reason: "unauthorized" });
      return problem(
        c,
        401,
        "Unauthorized",
        "send a gateway token (Authorization: Bearer …) or device credentials (Basic)",
        {
          headers: { "www-authenticate": 'Bearer realm="plantlink-edge"' },
        },
      );
    }
    const type = headerOf(c, "content-type") ?? "";
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      metrics.rejected.inc({ source: "http", reason: "unsupported_media_type" });
      return problem(
        c,
        415,
        "Unsupported Media Type",
        `send application/json, not "${type || "no content type"}"`,
      );
    }
    const text = await readBodyText(c, options.maxBodyBytes);
    if (!text.ok) return tooLarge(c);
    let body: unknown;
    try {
      body = JSON.parse(text.text);
    } catch (error) {
      metrics.rejected.inc({ source: "http", reason: "invalid_json" });
      const why = error instanceof Error ? error.message : String(error);
      return problem(c, 400, "Bad Request", `the body is not JSON: ${why}`);
    }
    const { readings, rejections } = validator.parseReadings(body);
    if (rejections.length > 0) {
      metrics.rejected.inc({ source: "http", reason: "invalid_reading" });
      return problem(
        c,
        400,
        "Bad Request",
        `${rejections.length} problem(s) in the readings; nothing was stored`,
        {
          errors: rejections,
        },
      );
    }
    if (sender.kind === "device") {
      const foreign: Rejection[] = [];
      readings.forEach((r, index) => {
        if (r.equipmentId !== sender.id) {
          foreign.push({
            ...(Array.isArray(body) ? { index } : {}),
            field: "equipmentId",
            reason: `device ${sender.id} may only send its own readings, not ${r.equipmentId}`,
          });
        }
      });
      if (foreign.length > 0) {
        metrics.rejected.inc({ source: "http", reason: "forbidden_equipment" });
        return problem(c, 403, "Forbidden", "a device sends only its own readings; nothing was stored", {
          errors: foreign,
        });
      }
    }
    const refused = await commit(readings);
    if (refused) {
      metrics.refused.inc({ source: "http", reason: refused.code });
      return problem(c, 503, "Service Unavailable", refused.message, {
        headers: { "retry-after": String(RETRY_AFTER[refused.code]) },
      });
    }
    return c.json({ accepted: readings.length }, 202);
  });
  return app;
}
