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

// Module-level helpers rather than closures inside readPayload: this runs once per MQTT message, and
// under tsx every closure created also gets its name defined (esbuild keepNames) — measurable here.
function quarantined(
  input: PayloadInput,
  reasonCode: QuarantineReasonCode,
  reason: string,
  raw: Uint8Array = input.payload,
  itemIndex?: number,
): QuarantineEntry {
  return {
    source: "mqtt",
    origin: input.topic,
    client: input.client,
    itemIndex,
    reasonCode,
    reason,
    raw,
    size: itemIndex === undefined ? input.payload.byteLength : raw.byteLength,
  };
}

function mismatch(reading: Reading, topicId: string): string {
  return `equipmentId "${reading.equipmentId}" does not match the topic ${READINGS_TOPIC_PREFIX}${topicId}; publish each reading to its own equipment's topic`;
}

const itemBytes = (item: unknown) => encoder.encode(JSON.stringify(item) ?? "null");

export function readPayload(input: PayloadInput, rules: PayloadRules): PayloadContents {
  const { topicId, payload } = input;
  if (payload.byteLength > rules.maxPayloadBytes) {
    const reason = `payload is ${payload.byteLength} bytes; the limit is ${rules.maxPayloadBytes} (PLANTLINK_MQTT_MAX_PAYLOAD_BYTES) — send fewer readings per message; only the first ${rules.maxPayloadBytes} bytes are kept here`;
    return {
      readings: [],
      quarantine: [quarantined(input, "oversize", reason, payload.subarray(0, rules.maxPayloadBytes))],
    };
  }

  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : "it is not UTF-8 text";
    const reason = `payload is not JSON: ${why}; send a reading object or an array of them`;
    return { readings: [], quarantine: [quarantined(input, "invalid_json", reason)] };
  }

  if (!Array.isArray(value)) {
    const result = rules.validator.parseReading(value);
    if (!result.ok) {
      return {
        readings: [],
        quarantine: [quarantined(input, "invalid_reading", describe(result.rejections))],
      };
    }
    if (result.reading.equipmentId !== topicId) {
      return {
        readings: [],
        quarantine: [quarantined(input, "topic_mismatch", mismatch(result.reading, topicId))],
      };
    }
    return { readings: [result.reading], quarantine: [] };
  }
  if (value.length === 0) {
    const reason = describe(rules.validator.parseReadings(value).rejections);
    return { readings: [], quarantine: [quarantined(input, "invalid_reading", reason)] };
  }

  // An array: each bad item is quarantined on its own (its JSON, its index), the rest stored.
  const readings: Reading[] = [];
  const quarantine: QuarantineEntry[] = [];
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    const result = rules.validator.parseReading(item);
    if (!result.ok) {
      quarantine.push(
        quarantined(input, "invalid_reading", describe(result.rejections), itemBytes(item), index),
      );
    } else if (result.reading.equipmentId !== topicId) {
      quarantine.push(
        quarantined(input, "topic_mismatch", mismatch(result.reading, topicId), itemBytes(item), index),
      );
    } else {
      readings.push(result.reading);
    }
  }
  return { readings, quarantine };
}

/** The equipment id of a readings topic, or undefined when the topic is not `readings/<one level>`. */
export function topicEquipmentId(topic: string): string | undefined {
  if (!topic.startsWith(READINGS_TOPIC_PREFIX)) return undefined;
  const id = topic.slice(READINGS_TOPIC_PREFIX.length);
  return id.length > 0 && !id.includes("/") ? id : undefined;
}
