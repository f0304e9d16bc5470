/**
 * `pnpm edge quarantine list | export | replay`: see what was quarantined and why, take it away as
 * JSON lines, or — once the cause is fixed (a device clock, a firmware bug, a limit) — re-check every
 * entry with the same rules as live traffic and move those that now pass into the buffer.
 */
import { createReadingValidator } from "@plantlink/shared";
import { type PayloadRules, readPayload, topicEquipmentId } from "../broker/payload.ts";
import type { QuarantinedPayload, ReplayVerdict } from "../buffer/quarantine.ts";
import { openStore } from "../buffer/store.ts";
import type { EdgeConfig } from "../config.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function exported(entry: QuarantinedPayload) {
  let text: string | undefined;
  try {
    text = utf8.decode(entry.raw);
  } catch {
    text = undefined;
  }
  return {
    id: entry.id,
    receivedAt: new Date(entry.receivedAt).toISOString(),
    source: entry.source,
    origin: entry.origin,
    client: entry.client ?? null,
    itemIndex: entry.itemIndex ?? null,
    reasonCode: entry.reasonCode,
    reason: entry.reason,
    size: entry.size,
    ...(text === undefined
      ? { payloadBase64: Buffer.from(entry.raw).toString("base64") }
      : { payload: text }),
  };
}

export function quarantineList(config: EdgeConfig, limit: number): number {
  const store = openStore(config, { mustExist: true });
  try {
    const total = store.quarantine.count();
    const skip = Math.max(0, total - (Number.isFinite(limit) && limit > 0 ? limit : 20));
    let afterId = 0;
    let seen = 0;
    for (;;) {
      const page = store.quarantine.page(afterId, 1000);
      if (page.length === 0) break;
      for (const entry of page) {
        seen += 1;
        if (seen <= skip) continue;
        const e = exported(entry);
        const payload = "payload" in e ? e.payload : `<${e.size} bytes, not UTF-8>`;
        console.log(
          `#${e.id} ${e.receivedAt} ${e.origin}${e.itemIndex === null ? "" : `[${e.itemIndex}]`} ${e.reasonCode}: ${e.reason}`,
        );
        console.log(`    ${payload.length > 200 ? `${payload.slice(0, 200)}…` : payload}`);
      }
      afterId = page[page.length - 1]?.id ?? afterId;
    }
    const byReason = [...store.quarantine.countByReason()].map(([k, v]) => `${k} ${v}`).join(", ");
    console.error(`${total} quarantined${total > 0 ? ` (${byReason})` : ""}`);
    return 0;
  } finally {
    store.close();
  }
}

export function quarantineExport(config: EdgeConfig): number {
  const store = openStore(config, { mustExist: true });
  try {
    let afterId = 0;
    for (;;) {
      const page = store.quarantine.page(afterId, 1000);
      if (page.length === 0) break;
      for (const entry of page) process.stdout.write(`${JSON.stringify(exported(entry))}\n`);
      afterId = page[page.length - 1]?.id ?? afterId;
    }
    return 0;
  } finally {
    store.close();
  }
}

/** The same rules as live traffic: an MQTT payload against its topic, a central refusal on its own. */
function replayVerdict(entry: QuarantinedPayload, rules: PayloadRules): ReplayVerdict {
  if (entry.raw.byteLength < entry.size) {
    // Only the head of an oversize payload was kept: there is nothing whole to replay.
    return { ok: false, reasonCode: entry.reasonCode, reason: entry.reason };
  }
  if (entry.source === "central") {
    // Accepted here once, refused by central: back into the buffer if it still passes our rules
    // (central's verdict is asked again when it is forwarded).
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(entry.raw));
    } catch {
      return { ok: false, reasonCode: entry.reasonCode, reason: entry.reason };
    }
    const result = rules.validator.parseReading(value);
    return result.ok
      ? { ok: true, readings: [result.reading] }
      : {
          ok: false,
          reasonCode: "invalid_reading",
          reason: result.rejections.map((r) => r.reason).join("; "),
        };
  }
  const topicId = topicEquipmentId(entry.origin);
  if (topicId === undefined) {
    return { ok: false, reasonCode: entry.reasonCode, reason: entry.reason };
  }
  const contents = readPayload(
    { topic: entry.origin, topicId, payload: entry.raw, client: entry.client },
    rules,
  );
  const first = contents.quarantine[0];
  if (first) return { ok: false, reasonCode: first.reasonCode, reason: first.reason };
  return { ok: true, readings: contents.readings };
}

export function quarantineReplay(config: EdgeConfig): number {
  const store = openStore(config, { mustExist: true });
  try {
    const rules = {
      validator: createReadingValidator({ maxFutureSkewMs: config.maxFutureSkewMs }),
      maxPayloadBytes: config.mqtt.maxPayloadBytes,
    };
    const now = Date.now();
    const result = store.quarantine.replay(
      (entry) => replayVerdict(entry, rules),
      (readings) => {
        store.buffer.commit(readings, [], now);
      },
    );
    console.error(
      `replayed: ${result.moved} payload(s) moved into the buffer as ${result.readings} reading(s); ${result.kept} kept in the quarantine`,
    );
    return 0;
  } finally {
    store.close();
  }
}
