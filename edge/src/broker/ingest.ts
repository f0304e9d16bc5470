/**
 * The durability hook: every PUBLISH is committed to the buffer before aedes may acknowledge it.
 *
 * Why `authorizePublish` is the hook — aedes 1.2.0, node_modules/aedes/lib/handlers/publish.js:
 *
 *     const publishActions = [authorizePublish, enqueuePublish]
 *     function handlePublish (client, packet, done) { … runSeries(client, publishActions, packet, done) }
 *     function enqueuePublish (packet, done) {
 *       switch (packet.qos) {
 *         case 2: … incomingStorePacket(…).then(() => broker.publish(packet, client, () =>
 *                   write(client, new PubRec(packet), done)))
 *         case 1: write(client, new PubAck(packet), …)
 *         case 0: client.broker.publish(packet, client, done)
 *
 * runSeries runs `enqueuePublish` — the only place a PUBACK or PUBREC is written — only after
 * `authorizePublish` called back without an error. So calling back only after the group commit
 * returned puts every acknowledgement after its reading's commit. Calling back with an error makes
 * runSeries pass it to `done`, which (lib/client.js `nextBatch` → `_onError`) destroys the connection:
 * no acknowledgement, and the device resends after reconnecting. aedes has no negative PUBACK, and
 * speaks MQTT 3.1/3.1.1 only, so there are no MQTT 5 reason codes to send (see README).
 * test/buffer.kill9.test.ts proves the order whatever a later aedes changes.
 */
import { equipmentIdProblem, type Reading } from "@plantlink/shared";
import type { Client, PublishPacket } from "aedes";
import type { Logger } from "pino";
import type { CommitRequest, GroupCommit } from "../buffer/group-commit.ts";
import type { QuarantineEntry } from "../buffer/quarantine.ts";
import { type CommitFailedError, type Refusal, TopicNotAllowedError } from "../errors.ts";
import type { EdgeMetrics } from "../status/metrics.ts";
import type { BrokerAuth } from "./auth.ts";
import { publishViolation } from "./conformance.ts";
import { type PayloadRules, readPayload, topicEquipmentId } from "./payload.ts";

export type AuthorizePublish = (
  client: Client | null,
  packet: PublishPacket,
  callback: (error?: Error | null) => void,
) => void;

export interface PublishGateOptions {
  auth: BrokerAuth;
  groupCommit: GroupCommit;
  rules: PayloadRules;
  metrics: EdgeMetrics;
  logger: Logger;
  /** True when a QoS 2 retransmission's packet is already held (and so already committed). */
  qos2Received: (client: Client, packet: PublishPacket) => Promise<boolean>;
  /**
   * Benchmark only: false skips parsing and committing, measuring the broker without durability.
   * Never set from configuration.
   */
  durable?: boolean;
}

/**
 * One publish waiting in the group commit. A class, not an object literal with a closure: this is
 * created once per MQTT message, and under tsx each closure also gets its name defined (keepNames).
 */
class PublishCommit implements CommitRequest {
  readonly source = "mqtt" as const;
  constructor(
    readonly readings: Reading[],
    readonly quarantine: QuarantineEntry[],
    private readonly metrics: EdgeMetrics,
    private readonly callback: (error?: Error | null) => void,
  ) {}

  done(error: Refusal | CommitFailedError | null): void {
    if (error) {
      this.metrics.refused.inc({ source: "mqtt", reason: error.code });
      this.callback(error);
      return;
    }
    for (const q of this.quarantine) this.metrics.quarantined.inc({ source: "mqtt", reason: q.reasonCode });
    // The transaction holding these readings has returned: aedes may now write the PUBACK/PUBREC.
    this.callback(null);
  }
}

export function createPublishGate(options: PublishGateOptions): AuthorizePublish {
  const { auth, groupCommit, rules, metrics, logger } = options;
  const durable = options.durable ?? true;

  const commit = (
    client: Client,
    packet: PublishPacket,
    topicId: string,
    callback: (e?: Error | null) => void,
  ) => {
    const who = auth.identity(client);
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const contents = readPayload(
      { topic: packet.topic, topicId, payload, client: who?.kind === "device" ? who.id : undefined },
      rules,
    );
    groupCommit.submit(new PublishCommit(contents.readings, contents.quarantine, metrics, callback));
  };

  return (client, packet, callback) => {
    const violation = publishViolation(packet);
    if (violation) {
      // The error closes the connection (see the top of this file): no acknowledgement, nothing stored.
      metrics.rejected.inc({ source: "mqtt", reason: "protocol_violation" });
      logger.warn({ topic: packet.topic, reason: violation }, "MQTT PUBLISH refused");
      callback(new Error(violation));
      return;
    }
    const who = auth.identity(client);
    if (!client || !who) {
      // Broker-internal publishes (e.g. a will without its client) never become readings.
      callback(new Error("publish without an authenticated client"));
      return;
    }
    const topicId = topicEquipmentId(packet.topic);
    const allowed =
      topicId !== undefined &&
      (who.kind === "device" ? topicId === who.id : equipmentIdProblem(topicId) === undefined);
    if (!allowed || topicId === undefined) {
      const name = who.kind === "device" ? `device ${who.id}` : "an anonymous client";
      const error = new TopicNotAllowedError(name, packet.topic);
      metrics.rejected.inc({ source: "mqtt", reason: error.code });
      logger.warn({ device: who.kind === "device" ? who.id : undefined, topic: packet.topic }, error.message);
      callback(error);
      return;
    }
    if (!durable) {
      callback(null);
      return;
    }
    if (packet.qos === 2 && packet.dup) {
      // A QoS 2 retransmission whose first copy was committed (aedes still holds it awaiting PUBREL)
      // must not be stored twice; aedes answers it with PUBREC again without publishing.
      options.qos2Received(client, packet).then(
        (held) => (held ? callback(null) : commit(client, packet, topicId, callback)),
        () => commit(client, packet, topicId, callback),
      );
      return;
    }
    commit(client, packet, topicId, callback);
  };
}
