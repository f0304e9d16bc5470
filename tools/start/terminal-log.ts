/**
 * Warnings and errors on the terminal as one readable line each (`warn edge: MQTT login refused
 * device=EQ-1 why=wrong password`), while the log file keeps pino's JSON for tools. A person watching
 * `pnpm start` should not have to read JSON to see what went wrong.
 */
import { Writable } from "node:stream";

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};
const HIDDEN = new Set(["level", "time", "pid", "hostname", "msg", "service"]);

export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[Number(record.level)] ?? String(record.level);
  const service = typeof record.service === "string" ? ` ${record.service}` : "";
  const extra = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => {
      if (key === "err" && value && typeof value === "object" && "message" in value)
        return `err=${String(value.message)}`;
      return `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`;
    });
  return `${level}${service}: ${String(record.msg ?? "")}${extra.length > 0 ? ` ${extra.join(" ")}` : ""}`;
}

export function terminalLog(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") out.write(`${formatLogLine(line)}\n`);
      }
      done();
    },
  });
}
