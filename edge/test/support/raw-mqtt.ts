/**
 * MQTT 3.1.1 packets built by hand, and a plain TCP client to send them: tests need packets no
 * well-behaved client library would write (a will with QoS 3, a packet id 0, a 256 MB header).
 */
import { connect, type Socket } from "node:net";

const text = (value: string) => {
  const bytes = Buffer.from(value, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** The MQTT variable-length "remaining length": 7 bits a byte, low first, at most 4 bytes. */
export function remainingLength(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

export interface ConnectFields {
  clientId: string;
  clean?: boolean;
  username?: string;
  password?: string;
  /** Sets the password flag without a user name (MQTT-3.1.2-22 forbids it). */
  passwordWithoutUsername?: string;
  will?: { topic: string; payload: string; qos: number };
  keepalive?: number;
}

export function connectPacket(fields: ConnectFields): Buffer {
  let flags = fields.clean === false ? 0 : 0x02;
  const tail: Buffer[] = [text(fields.clientId)];
  if (fields.will) {
    flags |= 0x04 | (fields.will.qos << 3);
    tail.push(text(fields.will.topic), text(fields.will.payload));
  }
  if (fields.username !== undefined) {
    flags |= 0x80;
    tail.push(text(fields.username));
  }
  const password = fields.password ?? fields.passwordWithoutUsername;
  if (password !== undefined) {
    flags |= 0x40;
    tail.push(text(password));
  }
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(fields.keepalive ?? 60);
  const body = Buffer.concat([text("MQTT"), Buffer.from([4, flags]), keepalive, ...tail]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A PUBLISH's fixed header, topic and packet id, announcing `payloadBytes` of payload to follow. */
export function publishHead(topic: string, payloadBytes: number, qos = 1, packetId = 1): Buffer {
  const variable = Buffer.concat([
    text(topic),
    qos > 0 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0),
  ]);
  return Buffer.concat([
    Buffer.from([0x30 | (qos << 1)]),
    remainingLength(variable.length + payloadBytes),
    variable,
  ]);
}

export function publishPacket(topic: string, payload: string | Buffer, qos = 1, packetId = 1): Buffer {
  const bytes = Buffer.from(payload);
  return Buffer.concat([publishHead(topic, bytes.length, qos, packetId), bytes]);
}

export const PUBREL = (packetId: number) => Buffer.from([0x62, 2, packetId >> 8, packetId & 0xff]);
export const DISCONNECT = Buffer.from([0xe0, 0]);

export interface RawClient {
  socket: Socket;
  /** Resolves with the CONNACK's [session present, return code], or rejects if the socket closes first. */
  connack(): Promise<{ sessionPresent: boolean; returnCode: number }>;
  /** Resolves once some packet of `type` (e.g. 4 = PUBACK, 5 = PUBREC) has arrived. */
  received(type: number): Promise<Buffer>;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Every byte received so far. */
  bytes(): Buffer;
  end(): void;
}

/** `localAddress` (e.g. 127.0.0.2) makes the connection come from another loopback address. */
export async function rawConnect(port: number, localAddress?: string): Promise<RawClient> {
  const socket = connect({ port, host: "127.0.0.1", ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  let inbox = Buffer.alloc(0);
  let closed = false;
  const waiters = new Set<() => void>();
  socket.on("data", (chunk: Buffer) => {
    inbox = Buffer.concat([inbox, chunk]);
    for (const wake of waiters) wake();
  });
  const closedPromise = new Promise<void>((resolve) =>
    socket.once("close", () => {
      closed = true;
      for (const wake of waiters) wake();
      resolve();
    }),
  );
  const packets = () => {
    const found: Buffer[] = [];
    let at = 0;
    while (at + 2 <= inbox.length) {
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let byte: number;
      do {
        byte = inbox[i++] ?? 0;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80 && i < inbox.length);
      if (i + length > inbox.length) break;
      found.push(inbox.subarray(at, i + length));
      at = i + length;
    }
    return found;
  };
  const waitFor = (type: number) =>
    new Promise<Buffer>((resolve, reject) => {
      const check = () => {
        const packet = packets().find((p) => (p[0] ?? 0) >> 4 === type);
        if (packet) {
          waiters.delete(check);
          resolve(packet);
        } else if (closed) {
          waiters.delete(check);
          reject(new Error(`the connection closed before a packet of type ${type} arrived`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    socket,
    async connack() {
      const packet = await waitFor(2);
      return { sessionPresent: ((packet[2] ?? 0) & 1) === 1, returnCode: packet[3] ?? -1 };
    },
    received: waitFor,
    closed: closedPromise,
    isClosed: () => closed,
    bytes: () => inbox,
    end: () => socket.destroy(),
  };
}

/**
 * Writes `total` bytes in `chunkBytes` pieces, waiting for the socket to drain between them, until
 * done or the peer closes. Answers how many bytes were written before the close (or `total`).
 */
export async function trickle(client: RawClient, total: number, chunkBytes = 64 * 1024): Promise<number> {
  const chunk = Buffer.alloc(chunkBytes, 0x20);
  let written = 0;
  while (written < total && !client.isClosed() && !client.socket.destroyed) {
    const ok = client.socket.write(chunk);
    written += chunk.length;
    if (!ok)
      await Promise.race([new Promise((resolve) => client.socket.once("drain", resolve)), client.closed]);
  }
  return written;
}
