/**
 * Load for crash tests: devices publishing QoS 1 as fast as their in-flight window allows, and a
 * gateway posting arrays over HTTP, each recording exactly which readings were acknowledged.
 */
import type { MqttClient } from "mqtt";
import { connectDevice } from "./edge.ts";

export const readingKey = (id: string, ts: number, centi: number) => `${id}|${ts}|${centi}`;

export interface Load {
  /** Keys of readings acknowledged with a PUBACK or inside a 202. */
  acked: Set<string>;
  /** Resolves at the first acknowledgement (or after 15 s without one). */
  firstAck: Promise<void>;
  /** Stops sending; resolves once every client has given up (the edge may be dead). */
  stop(): Promise<void>;
}

export interface LoadOptions {
  mqttPort: number;
  httpPort: number;
  devices: { id: string; password: string }[];
  gatewayToken: string;
  /** Distinguishes this run's readings from earlier runs' on the same buffer file. */
  run: number;
  window?: number;
  httpBatch?: number;
  httpConcurrency?: number;
}

const BASE = Date.UTC(2024, 0, 1);

export async function startLoad(options: LoadOptions): Promise<Load> {
  const acked = new Set<string>();
  let onFirstAck = () => {};
  const firstAck = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 15_000);
    onFirstAck = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const ack = (key: string) => {
    if (acked.size === 0) onFirstAck();
    acked.add(key);
  };
  const window = options.window ?? 20;
  let stopped = false;
  const clients: MqttClient[] = await Promise.all(
    options.devices.map((d) => connectDevice(options.mqttPort, { username: d.id, password: d.password })),
  );

  // Each device's n-th reading: instant BASE + run·1e9 + n seconds, value n/100 — unique per run.
  const publishers = clients.map((client, i) => {
    const id = options.devices[i]?.id ?? "";
    let n = 0;
    let inFlight = 0;
    return new Promise<void>((resolve) => {
      const pump = () => {
        while (!stopped && client.connected && inFlight < window) {
          n += 1;
          const ts = BASE + options.run * 1e9 + n * 1000;
          const centi = n % 100_000;
          const payload = JSON.stringify({
            equipmentId: id,
            value: centi / 100,
            timestamp: new Date(ts).toISOString(),
          });
          inFlight += 1;
          client.publish(`readings/${id}`, payload, { qos: 1 }, (error) => {
            inFlight -= 1;
            if (!error) ack(readingKey(id, ts, centi));
            pump();
          });
        }
        if (stopped || !client.connected) resolve();
      };
      client.on("close", () => resolve());
      pump();
    });
  });

  const gatewayId = `GW-${options.run}`;
  let g = 0;
  const poster = async () => {
    while (!stopped) {
      const batch = Array.from({ length: options.httpBatch ?? 25 }, () => {
        g += 1;
        return { equipmentId: gatewayId, ts: BASE + g * 1000, centi: g % 100_000 };
      });
      const body = JSON.stringify(
        batch.map((r) => ({
          equipmentId: r.equipmentId,
          value: r.centi / 100,
          timestamp: new Date(r.ts).toISOString(),
        })),
      );
      try {
        const response = await fetch(`http://127.0.0.1:${options.httpPort}/v1/readings`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${options.gatewayToken}` },
          body,
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        if (response.status === 202) for (const r of batch) ack(readingKey(r.equipmentId, r.ts, r.centi));
        else if (response.status !== 503) throw new Error(`unexpected HTTP ${response.status}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("unexpected")) throw error;
        return; // the edge is gone
      }
    }
  };
  const posters = Array.from({ length: options.httpConcurrency ?? 2 }, poster);

  return {
    acked,
    firstAck,
    async stop() {
      stopped = true;
      for (const c of clients) c.end(true);
      await Promise.all([...publishers, ...posters]);
    },
  };
}
