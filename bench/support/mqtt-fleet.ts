/**
 * Many MQTT devices on raw sockets, cheap enough that the generator does not measure itself
 * (shared/MACHINE.md): pre-encoded packets from bench/edge-ingest, a hand-rolled frame reader, and
 * per-device state to resend what was not acknowledged after a reconnect, as a device with a
 * persistent outbox would. Every publish is a reading with its own identity (device, BASE + seq ms),
 * so what was acknowledged can be checked, reading by reading, against the edge's buffer.
 */
import { connect, type Socket } from "node:net";
import { connectPacket, publishPacket } from "../edge-ingest/mqtt-packets.ts";

export const BASE_TS = Date.UTC(2024, 0, 1);

interface Pending {
  seq: number;
  sentAt: number;
  packet: Buffer;
}

export interface DeviceState {
  id: string;
  password: string;
  socket: Socket | undefined;
  connected: boolean;
  nextSeq: number;
  pending: Map<number, Pending>;
  acked: number[];
  rest: Buffer | undefined;
}

export interface Meter {
  acked: number;
  latencies: number[];
  /** Acknowledgements per time bucket since the meter started, for throughput-over-time charts. */
  buckets: number[];
  bucketMs: number;
  started: number;
}

export const newMeter = (bucketMs = 250): Meter => ({
  acked: 0,
  latencies: [],
  buckets: [],
  bucketMs,
  started: performance.now(),
});

export class Fleet {
  readonly devices: DeviceState[];
  meter: Meter = newMeter();
  /** Devices reconnect by themselves when their socket closes, while this is true. */
  reconnecting = false;
  resent = 0;
  /** Called after each acknowledgement: the fast mode refills the device's window from here. */
  onAck: (device: DeviceState) => void = () => undefined;

  constructor(
    readonly port: number,
    ids: readonly string[],
    password: string,
  ) {
    this.devices = ids.map((id) => ({
      id,
      password,
      socket: undefined,
      connected: false,
      nextSeq: 0,
      pending: new Map(),
      acked: [],
      rest: undefined,
    }));
  }

  connectedCount(): number {
    return this.devices.reduce((n, d) => n + (d.connected ? 1 : 0), 0);
  }
  pendingCount(): number {
    return this.devices.reduce((n, d) => n + d.pending.size, 0);
  }

  /** Opens and logs in every device, `wave` at a time (a burst of 10,000 SYNs would overflow the backlog). */
  async connectAll(wave = 250): Promise<void> {
    for (let i = 0; i < this.devices.length; i += wave)
      await Promise.all(this.devices.slice(i, i + wave).map((d) => this.open(d)));
  }

  /** One login; resolves on CONNACK 0, rejects on a refusal or a socket error. */
  open(d: DeviceState): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port, host: "127.0.0.1", noDelay: true });
      d.socket = socket;
      d.rest = undefined;
      let settled = false;
      socket.on("data", (chunk: Buffer) =>
        this.read(d, chunk, () => {
          settled = true;
          d.connected = true;
          // What the previous connection left unacknowledged goes again, marked DUP, like a device's outbox.
          for (const p of d.pending.values()) {
            this.resent += 1;
            p.packet[0] = 0x3a;
            socket.write(p.packet);
          }
          resolve();
        }),
      );
      socket.on("error", (error) => {
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      socket.on("close", () => {
        d.connected = false;
        if (d.socket === socket && this.reconnecting) this.retry(d);
      });
      socket.write(connectPacket(d.id, d.id, d.password));
    });
  }

  private retry(d: DeviceState): void {
    // Every device retries on its own short clock: together they are the storm the bench measures.
    setTimeout(() => this.open(d).catch(() => undefined), 100 + Math.random() * 200);
  }

  private read(d: DeviceState, chunk: Buffer, onConnack: () => void): void {
    let data = d.rest ? Buffer.concat([d.rest, chunk]) : chunk;
    let i = 0;
    const now = performance.now();
    while (i + 2 <= data.length) {
      const type = data[i] ?? 0;
      const length = data[i + 1] ?? 0; // CONNACK and PUBACK bodies are 2 bytes: one length byte
      if (i + 2 + length > data.length) break;
      if (type === 0x20) {
        if (data[i + 3] !== 0) {
          d.socket?.destroy(new Error(`CONNACK ${data[i + 3]} for ${d.id}`));
          return;
        }
        onConnack();
      } else if (type === 0x40) {
        const packetId = ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0);
        const p = d.pending.get(packetId);
        if (p) {
          d.pending.delete(packetId);
          d.acked.push(p.seq);
          const m = this.meter;
          m.acked += 1;
          m.latencies.push(now - p.sentAt);
          const bucket = Math.floor((now - m.started) / m.bucketMs);
          m.buckets[bucket] = (m.buckets[bucket] ?? 0) + 1;
          this.onAck(d);
        }
      }
      i += 2 + length;
    }
    data = data.subarray(i);
    d.rest = data.length > 0 ? Buffer.from(data) : undefined;
  }

  /** Publishes the device's next reading (QoS 1); false when it is offline or its window is full. */
  publish(d: DeviceState, maxPending: number): boolean {
    if (!d.connected || !d.socket || d.pending.size >= maxPending) return false;
    const seq = d.nextSeq++;
    const packetId = (seq % 65_535) + 1;
    const payload = `{"equipmentId":"${d.id}","value":${(seq % 10_000) / 100},"timestamp":"${new Date(BASE_TS + seq).toISOString()}"}`;
    const packet = publishPacket(`readings/${d.id}`, packetId, Buffer.from(payload));
    d.pending.set(packetId, { seq, sentAt: performance.now(), packet });
    d.socket.write(packet);
    return true;
  }

  /** `hz` readings per second from every device, spread evenly over the second; returns a stopper. */
  steady(hz: number): { stop(): { offered: number; skipped: number } } {
    const started = performance.now();
    let issued = 0;
    let offered = 0;
    let skipped = 0;
    let cursor = 0;
    const n = this.devices.length;
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * n * hz);
      for (; issued < due; issued++) {
        const d = this.devices[cursor];
        cursor = (cursor + 1) % n;
        // A device whose edge is gone keeps its reading for later; here it is counted as not offered.
        if (d && this.publish(d, 50)) offered += 1;
        else skipped += 1;
      }
    }, 10);
    return {
      stop: () => {
        clearInterval(timer);
        return { offered, skipped };
      },
    };
  }

  /** Every device keeps `inFlight` publishes outstanding until stopped. */
  flat(inFlight: number): { stop(): void } {
    let running = true;
    this.onAck = (d) => {
      if (running) this.publish(d, inFlight);
    };
    for (const d of this.devices) for (let k = 0; k < inFlight; k++) this.publish(d, inFlight);
    return {
      stop: () => {
        running = false;
        this.onAck = () => undefined;
      },
    };
  }

  /** Waits until nothing is pending (or the time is up); returns what is still pending. */
  async settle(maxMs: number): Promise<number> {
    const deadline = Date.now() + maxMs;
    while (this.pendingCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return this.pendingCount();
  }

  close(): void {
    this.reconnecting = false;
    for (const d of this.devices) d.socket?.destroy();
  }
}
