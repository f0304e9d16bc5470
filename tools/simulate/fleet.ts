/**
 * The live fleet: one MQTT connection per device, each publishing its sensor's readings to
 * `readings/<id>` at the chosen rate, counting what was sent, what the edge acknowledged and every
 * error. Devices are spread evenly over the period (device k publishes at k/N of it), as a real
 * fleet's clocks are, so the edge sees a steady stream rather than 2,000 readings on each second.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { DeviceLogin } from "./devices.ts";
import { createLatency, type Latency } from "./latency.ts";
import { createSensor, type FaultRates, formatTimestamp, type Sensor } from "./sensor.ts";

export interface SkippedReading {
  equipmentId: string;
  timestamp: string;
  value: number;
}

export interface FleetOptions {
  /** `mqtt://host:port` (or mqtts://, ws://). */
  url: string;
  logins: readonly DeviceLogin[];
  /** Readings per second per device. */
  rate: number;
  qos: 0 | 1 | 2;
  seed: string;
  faults: FaultRates;
  siteOffsetMinutes: number;
  /** New connections per second while the fleet comes up (a whole site reconnecting at once is a storm). */
  connectRate: number;
  /** At most this many logins waiting for their CONNACK at once. */
  maxPendingConnects: number;
  /** Fraction of readings sent malformed, to show the edge's quarantine (0 by default). */
  invalidFraction: number;
  /** Each reading a silent device measured but did not send: the vendor backfill file's rows. */
  onSkipped?: (reading: SkippedReading) => void;
  now?: () => number;
}

export interface FleetCounters {
  devices: number;
  connected: number;
  sent: number;
  acked: number;
  /** Publishes that failed (the client gave up on them) and connection errors. */
  errors: number;
  errorKinds: Map<string, number>;
  skipped: number;
  spikes: number;
  reconnects: number;
  /** Acknowledgement latency over the whole run, and since the progress line last reset it. */
  latency: Latency;
  recentLatency: Latency;
}

export interface Fleet {
  counters: FleetCounters;
  /** Stops publishing, waits up to `drainMs` for outstanding acknowledgements, disconnects. */
  stop(drainMs?: number): Promise<FleetCounters>;
}

interface Member {
  login: DeviceLogin;
  sensor: Sensor;
  client: MqttClient | undefined;
  /** Connected at least once: its schedule has started. */
  started: boolean;
  online: boolean;
  topic: string;
  offsetMinutes: number | undefined;
}

const TICK_MS = 10;

export function startFleet(options: FleetOptions): Fleet {
  const now = options.now ?? Date.now;
  const origin = now();
  const counters: FleetCounters = {
    devices: options.logins.length,
    connected: 0,
    sent: 0,
    acked: 0,
    errors: 0,
    errorKinds: new Map(),
    skipped: 0,
    spikes: 0,
    reconnects: 0,
    latency: createLatency(),
    recentLatency: createLatency(),
  };
  const error = (kind: string) => {
    counters.errors += 1;
    counters.errorKinds.set(kind, (counters.errorKinds.get(kind) ?? 0) + 1);
  };

  const members: Member[] = options.logins.map((login) => {
    const sensor = createSensor(login.id, {
      seed: options.seed,
      faults: options.faults,
      siteOffsetMinutes: options.siteOffsetMinutes,
      intervalMs: 1000 / options.rate,
    });
    return {
      login,
      sensor,
      client: undefined,
      started: false,
      online: false,
      topic: `readings/${login.id}`,
      offsetMinutes: sensor.profile.localTimestamps ? options.siteOffsetMinutes : undefined,
    };
  });

  // Logins waiting for their CONNACK. A real fleet coming back after a site outage is paced by its
  // devices' back-off; without a cap, a generator opening hundreds of logins at once on a loaded
  // machine makes them time out (each first login costs the edge a scrypt) and measures itself.
  let pending = 0;
  const connect = (member: Member) => {
    pending += 1;
    let counted = true;
    const settled = () => {
      if (counted) pending -= 1;
      counted = false;
    };
    const client = mqtt.connect(options.url, {
      clientId: `sim-${member.login.id}`,
      ...(member.login.password === undefined
        ? {}
        : { username: member.login.id, password: member.login.password }),
      clean: true,
      keepalive: 60,
      reconnectPeriod: 2000,
      connectTimeout: 30_000,
      // mqtt.js would otherwise queue without limit while offline; a device's own store is finite too.
      queueQoSZero: false,
    });
    client.on("connect", () => {
      settled();
      if (member.started) counters.reconnects += 1;
      member.started = true;
      member.online = true;
      counters.connected += 1;
    });
    client.on("close", () => {
      settled();
      if (member.online) counters.connected -= 1;
      member.online = false;
    });
    client.on("error", (e) => error(`connection: ${e.message}`));
    member.client = client;
  };

  // Bring the fleet up at connectRate with at most maxPendingConnects logins outstanding, then
  // publish on a shared schedule.
  let connectedSoFar = 0;
  const connector = setInterval(() => {
    const room = Math.max(0, options.maxPendingConnects - pending);
    const step = Math.min(room, Math.max(1, Math.round(options.connectRate / 20)));
    const upTo = Math.min(members.length, connectedSoFar + step);
    for (; connectedSoFar < upTo; connectedSoFar++) connect(members[connectedSoFar] as Member);
    if (connectedSoFar >= members.length) clearInterval(connector);
  }, 50);

  const periodMs = 1000 / options.rate;
  let published = 0;
  const publish = (member: Member, t: number) => {
    const sample = member.sensor.sample(t);
    if (sample.fault === "spike") counters.spikes += 1;
    const timestamp = formatTimestamp(t, member.offsetMinutes);
    if (!sample.sent) {
      counters.skipped += 1;
      options.onSkipped?.({ equipmentId: member.login.id, timestamp, value: sample.value });
      return;
    }
    const client = member.client;
    if (!client) return;
    const invalid = options.invalidFraction > 0 && Math.random() < options.invalidFraction;
    // A timestamp without its UTC offset: the commonest real defect, and one the edge must quarantine.
    const payload = invalid
      ? `{"equipmentId":"${member.login.id}","value":${sample.value},"timestamp":"${timestamp.slice(0, 19)}"}`
      : `{"equipmentId":"${member.login.id}","value":${sample.value},"timestamp":"${timestamp}"}`;
    counters.sent += 1;
    const started = performance.now();
    client.publish(member.topic, payload, { qos: options.qos }, (e) => {
      if (e) error(`publish: ${e.message}`);
      else {
        counters.acked += 1;
        if (options.qos > 0) {
          const ms = performance.now() - started;
          counters.latency.record(ms);
          counters.recentLatency.record(ms);
        }
      }
    });
  };

  const ticker = setInterval(() => {
    const t = now();
    // Every publish due by now, in schedule order: device k's m-th reading is due at
    // origin + (m + k/N) · period. A late tick catches up rather than dropping readings.
    const due = Math.floor(((t - origin) / periodMs) * members.length);
    for (; published < due; published++) {
      const member = members[published % members.length] as Member;
      // A device starts its schedule once it has connected, as a real one would. Offline later, it
      // keeps measuring: mqtt.js holds QoS ≥ 1 publishes and sends them on reconnection.
      if (member.started) publish(member, t);
    }
  }, TICK_MS);

  let stopping: Promise<FleetCounters> | undefined;
  return {
    counters,
    stop(drainMs = 10_000) {
      stopping ??= (async () => {
        clearInterval(ticker);
        clearInterval(connector);
        const deadline = Date.now() + drainMs;
        while (counters.acked + counters.errors < counters.sent && Date.now() < deadline && options.qos > 0) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await Promise.all(
          members.map(
            (m) =>
              new Promise<void>((resolve) => {
                if (!m.client) return resolve();
                m.client.end(true, {}, () => resolve());
              }),
          ),
        );
        return counters;
      })();
      return stopping;
    },
  };
}
