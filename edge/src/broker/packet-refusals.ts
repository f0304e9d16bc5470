/**
 * What happens when the packet guard (packet-guard.ts) closes a connection: the refusal is counted
 * and logged with its reason, and a logged-in client's oversize PUBLISH leaves a record in the
 * quarantine — its topic, sender and announced size, without the body that was never read — so the
 * plant engineer sees why a device's readings stopped arriving. Nothing was acknowledged: the device
 * still holds the message.
 */
import type { Client } from "aedes";
import type { Logger } from "pino";
import type { GroupCommit } from "../buffer/group-commit.ts";
import type { QuarantineEntry } from "../buffer/quarantine.ts";
import type { EdgeMetrics } from "../status/metrics.ts";
import type { BrokerAuth } from "./auth.ts";
import type { PacketRefusal } from "./packet-guard.ts";

export interface PacketRefusalsOptions {
  auth: BrokerAuth;
  groupCommit: GroupCommit;
  metrics: EdgeMetrics;
  logger: Logger;
}

export type OnPacketRefused = (refusal: PacketRefusal, client: Client | undefined, address: string) => void;

const EMPTY = new Uint8Array(0);

/** A reason a person can act on. */
export function describePacketRefusal(refusal: PacketRefusal): string {
  switch (refusal.code) {
    case "payload_too_large":
      return `a PUBLISH announced a payload of ${refusal.bytes} bytes; the limit is ${refusal.limit} (PLANTLINK_MQTT_MAX_PAYLOAD_BYTES): the connection was closed before the payload was read and nothing was acknowledged — send fewer readings per message`;
    case "packet_too_large":
      return refusal.first
        ? `the first packet announced ${refusal.bytes} bytes; a CONNECT may have at most ${refusal.limit}: the connection was closed before it was read`
        : `a control packet (type ${refusal.packetType}) announced ${refusal.bytes} bytes; the limit is ${refusal.limit}: the connection was closed before it was read`;
    case "malformed_length":
      return "a packet's remaining length runs past four bytes, which MQTT does not allow: the connection was closed";
  }
}

export function createPacketRefusals(options: PacketRefusalsOptions): OnPacketRefused {
  const { auth, groupCommit, metrics, logger } = options;
  return (refusal, client, address) => {
    const who = auth.identity(client ?? null);
    const device = who?.kind === "device" ? who.id : undefined;
    const reason = describePacketRefusal(refusal);
    metrics.rejected.inc({ source: "mqtt", reason: refusal.code });
    logger.warn({ device, address, code: refusal.code, reason }, "MQTT packet refused at its header");
    // Only a logged-in client's refusal is recorded: anyone on the network could fill the
    // quarantine with records of packets they never meant to send.
    if (refusal.code !== "payload_too_large" || !who) return;
    const entry: QuarantineEntry = {
      source: "mqtt",
      origin: refusal.topic ?? "(topic not received)",
      client: device,
      itemIndex: undefined,
      reasonCode: "oversize",
      reason,
      raw: EMPTY,
      size: refusal.bytes,
    };
    groupCommit.submit({
      source: "mqtt",
      readings: [],
      quarantine: [entry],
      done(error) {
        if (error) logger.warn({ device, err: error.message }, "could not record an oversize refusal");
        else metrics.quarantined.inc({ source: "mqtt", reason: "oversize" });
      },
    });
  };
}
