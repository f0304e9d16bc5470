/**
 * Pre-encoded MQTT 3.1.1 packets for the load generator. Encoding by hand, once, keeps the generator's
 * cost per message to a socket write: an mqtt.js client tops out near 40–45k QoS 1 msg/s on this
 * machine and would measure itself rather than the edge (shared/MACHINE.md).
 */

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

const str = (s: string) => {
  const b = Buffer.from(s, "utf8");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** CONNECT, clean session, keepalive off, with username and password. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.concat([str("MQTT"), Buffer.from([4, 0xc2, 0, 0])]);
  const payload = Buffer.concat([str(clientId), str(username), str(password)]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** PUBLISH QoS 1 with a fixed packet id. */
export function publishPacket(topic: string, messageId: number, payload: Buffer): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  const body = Buffer.concat([str(topic), id, payload]);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(body.length), body]);
}

export const CONNACK = 0x20;
export const PUBACK = 0x40;
