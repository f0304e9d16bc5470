/**
 * CONNACK's Session Present flag, as MQTT 3.1.1 defines it ([MQTT-3.2.2-2]): 1 when the server holds
 * session state for a CleanSession=0 client. aedes 1.2 derives it from stored subscriptions only
 * (lib/handlers/connect.js `restoreSubs`), so a device whose session holds nothing but a QoS 2 message
 * awaiting PUBREL — the usual state of ours, which subscribe to nothing — was told "no session" and,
 * by the spec, would have to drop the exchange the broker still waits to finish.
 *
 * The held QoS 2 messages are counted as aedes' own store takes and releases them, and the flag byte
 * of the CONNACK (the third byte the broker writes on a connection; nothing is written before the
 * CONNACK) is set on its way out when the client's session holds any.
 */
import type { Duplex } from "node:stream";
import type { Client, PublishPacket } from "aedes";

interface IncomingStore {
  incomingStorePacket(client: Client, packet: PublishPacket): Promise<unknown>;
  incomingDelPacket(client: Client, packet: PublishPacket): Promise<unknown>;
  cleanIncoming?(client: Client): Promise<unknown>;
}

/** QoS 2 messages held awaiting PUBREL, by client id, as aedes' store holds them. */
export class HeldQos2 {
  private readonly held = new Map<string, Set<number>>();

  /** Follows `store`'s incoming-packet calls (it stays the store aedes uses). */
  constructor(store: IncomingStore) {
    const put = store.incomingStorePacket.bind(store);
    const del = store.incomingDelPacket.bind(store);
    const clean = store.cleanIncoming?.bind(store);
    store.incomingStorePacket = async (client, packet) => {
      const result = await put(client, packet);
      if (packet.messageId !== undefined) {
        const ids = this.held.get(client.id) ?? new Set<number>();
        ids.add(packet.messageId);
        this.held.set(client.id, ids);
      }
      return result;
    };
    store.incomingDelPacket = async (client, packet) => {
      const result = await del(client, packet);
      const ids = this.held.get(client.id);
      if (ids && packet.messageId !== undefined) {
        ids.delete(packet.messageId);
        if (ids.size === 0) this.held.delete(client.id);
      }
      return result;
    };
    if (clean) {
      store.cleanIncoming = async (client) => {
        const result = await clean(client);
        this.held.delete(client.id);
        return result;
      };
    }
  }

  holds(clientId: string): boolean {
    return (this.held.get(clientId)?.size ?? 0) > 0;
  }
}

const CONNACK = 0x20;

/**
 * Sets Session Present in the connection's CONNACK when `present()` says so at the moment it is
 * written; then steps out of the way, so later writes pay nothing.
 */
export function correctSessionPresent(conn: Duplex, present: () => boolean): void {
  const write = conn.write;
  let written = 0;
  let connack = false;
  conn.write = function connackWrite(this: Duplex, chunk: unknown, ...rest: unknown[]) {
    let out = chunk;
    if (chunk instanceof Uint8Array && chunk.length > 0) {
      if (written === 0) connack = chunk[0] === CONNACK;
      const flagsAt = 2 - written;
      written += chunk.length;
      if (connack && flagsAt >= 0 && flagsAt < chunk.length && present()) {
        // A copy: mqtt-packet writes shared constant buffers for these bytes.
        const copy = Buffer.from(chunk);
        copy[flagsAt] = (copy[flagsAt] as number) | 1;
        out = copy;
      }
      if (written >= 3) conn.write = write;
    }
    return (write as (...args: unknown[]) => boolean).call(this, out, ...rest);
  } as Duplex["write"];
}
