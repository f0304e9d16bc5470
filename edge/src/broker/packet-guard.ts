/**
 * Caps MQTT packet sizes where the bytes arrive, before aedes' parser sees them.
 *
 * mqtt-packet (aedes' parser) holds a packet's whole announced remaining length in memory before it
 * parses anything, so a CONNECT announcing 256 MB is buffered before any hook of ours can refuse it,
 * and a logged-in device's 100 MB PUBLISH is read whole before the payload limit applies. The guard
 * reads only each packet's fixed header (and a PUBLISH's topic length) as the bytes pass, and
 * refuses at the first packet announcing more than the limits allow, before its body is read.
 *
 * aedes reads each connection with `conn.read()` on 'readable' (lib/client.js `nextBatch`) and,
 * until the login has finished, reads nothing after the chunk holding the CONNECT. So the first
 * packet is the only one an anonymous peer can make it wait for; every later one is read after login.
 */
import type { Duplex } from "node:stream";

export interface PacketLimits {
  /** The first packet (the CONNECT) and every packet other than PUBLISH, whole. */
  maxControlPacketBytes: number;
  /** A PUBLISH's application payload (PLANTLINK_MQTT_MAX_PAYLOAD_BYTES). */
  maxPayloadBytes: number;
}

/** 64 KiB: a CONNECT holds a client id, a user name, a password and at most a small will. */
export const MAX_CONTROL_PACKET_BYTES = 64 * 1024;

export type PacketRefusal =
  | {
      code: "packet_too_large";
      /** The MQTT control packet type (1 = CONNECT … 14 = DISCONNECT). */
      packetType: number;
      first: boolean;
      bytes: number;
      limit: number;
    }
  | {
      code: "payload_too_large";
      bytes: number;
      limit: number;
      /** The topic, when its bytes came with the header (they always do from ordinary clients). */
      topic: string | undefined;
    }
  | { code: "malformed_length" };

const PUBLISH = 3;
const MAX_LENGTH_BYTES = 4;

/** Where in a packet the next byte is. */
const Stage = { Header: 0, Length: 1, TopicLength: 2, Body: 3 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Follows the packet boundaries of one connection's byte stream across chunks. Holds no bytes but
 * the two of a topic length; skipping a body costs one subtraction per chunk.
 */
export class PacketScanner {
  private stage: Stage = Stage.Header;
  private packets = 0;
  private type = 0;
  private qos = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private topicLength = 0;
  private topicLengthBytes = 0;

  constructor(private readonly limits: PacketLimits) {}

  /** The first refusal in `chunk`, or undefined when every packet header in it is within the limits. */
  scan(chunk: Uint8Array): PacketRefusal | undefined {
    let at = 0;
    while (at < chunk.length) {
      switch (this.stage) {
        case Stage.Header: {
          const byte = chunk[at++] as number;
          this.packets += 1;
          this.type = byte >> 4;
          this.qos = (byte >> 1) & 3;
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          this.stage = Stage.Length;
          break;
        }
        case Stage.Length: {
          const byte = chunk[at++] as number;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes += 1;
          if (byte & 0x80) {
            if (this.lengthBytes === MAX_LENGTH_BYTES) return { code: "malformed_length" };
            break;
          }
          const refusal = this.headerDone();
          if (refusal) return refusal;
          break;
        }
        case Stage.TopicLength: {
          this.topicLength = (this.topicLength << 8) | (chunk[at++] as number);
          this.topicLengthBytes += 1;
          this.remaining -= 1;
          if (this.topicLengthBytes < 2) break;
          const payload = this.remaining - this.topicLength - (this.qos > 0 ? 2 : 0);
          if (payload > this.limits.maxPayloadBytes) {
            const topicEnd = Math.min(chunk.length, at + this.topicLength);
            const whole = topicEnd - at === this.topicLength;
            return {
              code: "payload_too_large",
              bytes: payload,
              limit: this.limits.maxPayloadBytes,
              topic: whole ? utf8.decode(chunk.subarray(at, topicEnd)) : undefined,
            };
          }
          this.stage = Stage.Body;
          break;
        }
        case Stage.Body: {
          const skip = Math.min(this.remaining, chunk.length - at);
          at += skip;
          this.remaining -= skip;
          if (this.remaining === 0) this.stage = Stage.Header;
          break;
        }
      }
    }
    return undefined;
  }

  private headerDone(): PacketRefusal | undefined {
    this.remaining = this.length;
    const first = this.packets === 1;
    if (this.type === PUBLISH && !first) {
      if (this.length > this.limits.maxPayloadBytes) {
        // Possibly over: the topic length (the next two bytes) tells the payload's exact size.
        this.topicLength = 0;
        this.topicLengthBytes = 0;
        this.stage = Stage.TopicLength;
        return undefined;
      }
    } else if (this.length > this.limits.maxControlPacketBytes) {
      return {
        code: "packet_too_large",
        packetType: this.type,
        first,
        bytes: this.length,
        limit: this.limits.maxControlPacketBytes,
      };
    }
    this.stage = this.length === 0 ? Stage.Header : Stage.Body;
    return undefined;
  }
}

/**
 * Puts a scanner between a connection and its reader (aedes): each chunk `read()` returns is scanned
 * first; at a refusal the chunk is withheld, `onRefused` is told, and the connection is destroyed —
 * nothing in it was acknowledged, and nothing more is read from it.
 */
export function guardConnection(
  conn: Duplex,
  limits: PacketLimits,
  onRefused: (refusal: PacketRefusal) => void,
): void {
  const scanner = new PacketScanner(limits);
  const read = conn.read;
  let refused = false;
  conn.read = function guardedRead(this: Duplex, size?: number) {
    const chunk: unknown = read.call(this, size);
    if (refused) return null;
    if (!(chunk instanceof Uint8Array)) return chunk;
    const refusal = scanner.scan(chunk);
    if (!refusal) return chunk;
    refused = true;
    onRefused(refusal);
    conn.destroy();
    return null;
  };
}
