/**
 * The load generator: N raw TCP connections, each a logged-in device keeping `inFlight` QoS 1
 * publishes outstanding and sending the next the moment a PUBACK frees a slot. Counts 4-byte PUBACK
 * frames and times each from its PUBLISH.
 */
import { connect, type Socket } from "node:net";
import { CONNACK, connectPacket, PUBACK, publishPacket } from "./mqtt-packets.ts";

export interface Device {
  id: string;
  password: string;
}

export interface RunResult {
  acked: number;
  seconds: number;
  /** Ack latencies in ms, one per acknowledged publish. */
  latencies: Float64Array;
}

interface Conn {
  socket: Socket;
  slots: Buffer[];
  sentAt: Float64Array;
  rest: Buffer | undefined;
}

/** Opens and logs in every device, `wave` at a time (a burst of 2,000 SYNs would overflow a backlog). */
export async function connectAll(port: number, devices: Device[], wave = 200): Promise<Conn[]> {
  const conns: Conn[] = [];
  for (let i = 0; i < devices.length; i += wave) {
    const batch = devices.slice(i, i + wave).map(
      (d) =>
        new Promise<Conn>((resolve, reject) => {
          const socket = connect({ port, host: "127.0.0.1", noDelay: true });
          socket.once("error", reject);
          socket.once("data", (data: Buffer) => {
            if (data[0] !== CONNACK || data[3] !== 0) {
              reject(new Error(`device ${d.id}: CONNACK return code ${data[3]}`));
              return;
            }
            resolve({ socket, slots: [], sentAt: new Float64Array(0), rest: undefined });
          });
          socket.write(connectPacket(d.id, d.id, d.password));
        }),
    );
    conns.push(...(await Promise.all(batch)));
  }
  return conns;
}

/** Publishes until `count` publishes are acknowledged (or `maxSeconds` pass), keeping the window full. */
export function publishAll(
  conns: Conn[],
  devices: Device[],
  options: { count: number; inFlight: number; maxSeconds: number },
): Promise<RunResult> {
  const { count, inFlight } = options;
  const latencies = new Float64Array(count);
  let sent = 0;
  let acked = 0;
  const started = performance.now();

  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(limit);
      for (const c of conns) c.socket.removeAllListeners("data");
      resolve({
        acked,
        seconds: (performance.now() - started) / 1000,
        latencies: latencies.subarray(0, acked),
      });
    };
    const limit = setTimeout(finish, options.maxSeconds * 1000);

    conns.forEach((conn, index) => {
      const id = devices[index]?.id ?? "";
      // One pre-encoded PUBLISH per window slot; slot s always uses packet id s + 1, so a PUBACK
      // names the slot to refill. Each slot carries a distinct reading (its own instant).
      conn.slots = Array.from({ length: inFlight }, (_, s) =>
        publishPacket(
          `readings/${id}`,
          s + 1,
          Buffer.from(
            JSON.stringify({
              equipmentId: id,
              value: 20 + s / 100,
              timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString(),
            }),
          ),
        ),
      );
      conn.sentAt = new Float64Array(inFlight);
      const send = (slot: number) => {
        const packet = conn.slots[slot];
        if (!packet || sent >= count) return;
        sent += 1;
        conn.sentAt[slot] = performance.now();
        conn.socket.write(packet);
      };
      conn.socket.on("data", (chunk: Buffer) => {
        let data = conn.rest ? Buffer.concat([conn.rest, chunk]) : chunk;
        let i = 0;
        const now = performance.now();
        for (; i + 4 <= data.length; i += 4) {
          if (data[i] !== PUBACK) throw new Error(`unexpected MQTT packet type 0x${data[i]?.toString(16)}`);
          const slot = (((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0)) - 1;
          if (acked < count) latencies[acked] = now - (conn.sentAt[slot] ?? now);
          acked += 1;
          if (acked >= count) {
            finish();
            return;
          }
          send(slot);
        }
        data = data.subarray(i);
        conn.rest = data.length > 0 ? Buffer.from(data) : undefined;
      });
      for (let s = 0; s < inFlight; s++) send(s);
    });
  });
}

export function closeAll(conns: Conn[]): void {
  for (const c of conns) c.socket.destroy();
}
