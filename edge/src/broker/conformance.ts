/**
 * MQTT 3.1.1 rules aedes 1.2 (and its parser) let through, checked on the parsed packets before any
 * of ours acts on them. Each answer is the reason the connection is closed (or the CONNECT refused).
 */
import type { ConnectPacket, PublishPacket } from "aedes";

/** Why a CONNECT must close the connection without a CONNACK, or undefined. */
export function connectViolation(packet: ConnectPacket): string | undefined {
  // [MQTT-3.1.2-14]: a will QoS of 3 is a protocol violation.
  if (packet.will && (packet.will.qos as number) > 2) return "the will QoS is 3; it must be 0, 1 or 2";
  // [MQTT-3.1.2-22]: no password without a user name.
  if (packet.password !== undefined && packet.username === undefined) {
    return "the CONNECT has a password but no user name";
  }
  return undefined;
}

/**
 * [MQTT-3.1.3-8]: a zero-length client id asks the server for a fresh session, which cannot be kept
 * after the connection (CleanSession=0): CONNACK 0x02, identifier rejected.
 */
export function identifierRejected(packet: ConnectPacket): boolean {
  return !packet.clientId && packet.clean === false;
}

/** [MQTT-2.3.1-1]: a PUBLISH with QoS 1 or 2 needs a non-zero packet id. */
export function publishViolation(packet: PublishPacket): string | undefined {
  if (packet.qos > 0 && packet.messageId === 0) return `a QoS ${packet.qos} PUBLISH has packet id 0`;
  return undefined;
}
