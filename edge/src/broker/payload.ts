/**
 * What an MQTT payload on `readings/<equipmentId>` holds: the readings to store, and a quarantine
 * entry for everything else — so a bad item never takes the good ones next to it down with it.
 * Also used by `quarantine replay`, so a replayed payload is judged by exactly the same rules.
 */
import type { Reading, ReadingValidator, Rejection } from "@plantlink/shared";
import type { QuarantineEntry, QuarantineReasonCode } from "../buffer/quarantine.ts";

export const READINGS_TOPIC_PREFIX = "readings/";

export interface PayloadInput {
  topic: string;
  /** The equipment id the topic names. */
  topicId: string;
  payload: Uint8Array;
  client: string | undefined;
}

export interface PayloadRules {
  validator: ReadingValidator;
  maxPayloadBytes: number;
}

export interface PayloadContents {
  readings: Reading[];
  quarantine: QuarantineEntry[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

const describe = (rejections: readonly Rejection[]) => rejections.map((r) => r.reason).join("; ");

export function readPayload(input: PayloadInput, rules: PayloadRules): PayloadContents {
  const { topic, topicId, payload, client } = input;
  const entry = (
    reasonCode: QuarantineReasonCode,
    reason: string,
    raw: Uint8Array = payload,
    itemIndex?: number,
  ): QuarantineEntry => ({
    source: "mqtt",
    origin: topic,
    client,
    itemIndex,
    reasonCode,
    reason,
    raw,
    size: itemIndex === undefined ? payload.byteLength : raw.byteLength,
  });

  if (payload.byteLength > rules.maxPayloadBytes) {
    return {
      readings: [],
      quarantine: [
        entry(
          "oversize",
          `payload is ${payload.byteLength} bytes; the limit is ${rules.maxPayloadBytes} (PLANTLINK_MQTT_MAX_PAYLOAD_BYTES) — send fewer readings per message; only the first ${rules.maxPayloadBytes} bytes are kept here`,
          payload.subarray(0, rules.maxPayloadBytes),
        ),
      ],
    };
  }

  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : "it is not UTF-8 text";
    return {
      readings: [],
      quarantine: [
        entry("invalid_json", `payload is not JSON: ${why}; send a reading object or an array of them`),
      ],
    };
  }

  const mismatch = (r: Reading) =>
    `equipmentId "${r.equipmentId}" does not match the topic ${READINGS_TOPIC_PREFIX}${topicId}; publish each reading to its own equipment's topic`;

  if (!Array.isArray(value) || value.length === 0) {
    const parsed = rules.validator.parseReadings(value);
    const reading = parsed.readings[0];
    if (!reading)
      return { readings: [], quarantine: [entry("invalid_reading", describe(parsed.rejections))] };
    if (reading.equipmentId !== topicId)
      return { readings: [], quarantine: [entry("topic_mismatch", mismatch(reading))] };
    return { readings: [reading], quarantine: [] };
  }

  // An array: each bad item is quarantined on its own (its JSON, its index), the rest stored.
  const readings: Reading[] = [];
  const quarantine: QuarantineEntry[] = [];
  value.forEach((item: unknown, index) => {
    const result = rules.validator.parseReading(item);
    const itemRaw = () => encoder.encode(JSON.stringify(item) ?? "null");
    if (!result.ok) {
      quarantine.push(entry("invalid_reading", describe(result.rejections), itemRaw(), index));
    } else if (result.reading.equipmentId !== topicId) {
      quarantine.push(entry("topic_mismatch", mismatch(result.reading), itemRaw(), index));
    } else {
      readings.push(result.reading);
    }
  });
  return { readings, quarantine };
}

/** The equipment id of a readings topic, or undefined when the topic is not `readings/<one level>`. */
export function topicEquipmentId(topic: string): string | undefined {
  if (!topic.startsWith(READINGS_TOPIC_PREFIX)) return undefined;
  const id = topic.slice(READINGS_TOPIC_PREFIX.length);
  return id.length > 0 && !id.includes("/") ? id : undefined;
}
