/**
 * MQTT devices for end-to-end tests: QoS 1 publishers that record every reading the edge
 * acknowledged (PUBACK) — the set central must end up holding — and every reading they tried.
 * Each reading has a unique identity: per sensor, timestamps strictly increase.
 */
import mqtt, { type MqttClient } from "mqtt";

export interface Published {
  /** identity (`equipmentId@epochMs`) → value in hundredths */
  acked: Map<string, number>;
  attempted: Map<string, number>;
}

export interface Publishers extends Published {
  /** Stops publishing, waits up to `settleMs` for outstanding acknowledgements, disconnects. */
  stop(settleMs?: number): Promise<void>;
  pending(): number;
}

export interface PublishersOptions {
  mqttPort: number;
  clients: number;
  sensorsPerClient: number;
  /** Unacknowledged publishes per client at a time. */
  window: number;
  /** Target readings per second over all clients; 0 = as fast as the window allows. */
  rate: number;
  prefix?: string;
}

export const identityKey = (equipmentId: string, ms: number) => `${equipmentId}@${ms}`;

export function startPublishers(options: PublishersOptions): Publishers {
  const acked = new Map<string, number>();
  const attempted = new Map<string, number>();
  const lastTs = new Map<string, number>();
  const clients: MqttClient[] = [];
  let running = true;
  let pending = 0;
  let sequence = 0;
  const perClientRate = options.rate / options.clients;
  const prefix = options.prefix ?? "CH";

  const loop = async (index: number, client: MqttClient) => {
    let sent = 0;
    const started = Date.now();
    let mine = 0;
    while (running) {
      const behind = perClientRate === 0 || sent < ((Date.now() - started) / 1000) * perClientRate;
      if (!client.connected || mine >= options.window || !behind) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const equipmentId = `${prefix}-${index}-${sent % options.sensorsPerClient}`;
      const ts = Math.max((lastTs.get(equipmentId) ?? 0) + 1, Date.now());
      lastTs.set(equipmentId, ts);
      const centi = (sequence++ % 100_000) - 50_000;
      const key = identityKey(equipmentId, ts);
      attempted.set(key, centi);
      sent += 1;
      mine += 1;
      pending += 1;
      const payload = JSON.stringify({
        equipmentId,
        value: centi / 100,
        timestamp: new Date(ts).toISOString(),
      });
      client.publish(`readings/${equipmentId}`, payload, { qos: 1 }, (error) => {
        mine -= 1;
        pending -= 1;
        if (!error) acked.set(key, centi);
      });
    }
  };

  for (let i = 0; i < options.clients; i++) {
    const client = mqtt.connect(`mqtt://127.0.0.1:${options.mqttPort}`, {
      clientId: `${prefix}-publisher-${i}`,
      reconnectPeriod: 100,
      connectTimeout: 2000,
      // In-flight QoS 1 publishes stay in the client's store across reconnects and are sent again,
      // as a real device does; their callbacks fire when the (new) edge process acknowledges them.
      clean: true,
      keepalive: 5,
    });
    client.on("error", () => undefined);
    clients.push(client);
    void loop(i, client);
  }

  return {
    acked,
    attempted,
    pending: () => pending,
    async stop(settleMs = 5000) {
      running = false;
      const deadline = Date.now() + settleMs;
      while (pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}
