/**
 * What `pnpm start` prints once everything listens: where to look, how to sign in, and commands that
 * work when pasted into a POSIX shell as printed — the test in test/start/ runs them. Secrets are
 * printed because this is a person's own machine and the data directory holds them anyway.
 */
import { relative } from "node:path";
import type { StartCredentials } from "./credentials.ts";

export interface BannerInput {
  credentials: StartCredentials;
  dataDir: string;
  logFile: string;
  firstStart: boolean;
  demo: boolean;
  pid: number;
  cwd: string;
}

/** A path as a person in `cwd` would type it: relative inside it, absolute outside. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

/** Single-quoted for a POSIX shell: safe whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

export function mqttParts(url: string): { host: string; port: string } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port || "1883" };
}

/** A reading as JSON whose timestamp a POSIX shell fills in with the current UTC time. */
function readingWithShellTime(equipmentId: string, value: number): string {
  return `'{"equipmentId":"${equipmentId}","value":${value},"timestamp":"'"$(date -u +%FT%TZ)"'"}'`;
}

export function mosquittoPubCommand(c: StartCredentials): string {
  const { host, port } = mqttParts(c.addresses.mqttUrl);
  return (
    `mosquitto_pub -h ${host} -p ${port} -u ${c.device.id} -P ${shellQuote(c.device.password)} -q 1 ` +
    `-t readings/${c.device.id} -m ${readingWithShellTime(c.device.id, 21.5)}`
  );
}

export function curlPostCommand(c: StartCredentials): string {
  return (
    `curl -sS -u ${shellQuote(`${c.device.id}:${c.device.password}`)} -H 'Content-Type: application/json' ` +
    `-d ${readingWithShellTime(c.device.id, 22.25)} ${c.addresses.edgeHttpUrl}/v1/readings`
  );
}

export function curlReadCommand(c: StartCredentials, cwd: string): string {
  return (
    `curl -sS --cacert ${shellQuote(shown(c.addresses.caFile, cwd))} -H ${shellQuote(`Authorization: Bearer ${c.tokens.viewer}`)} ` +
    `'${dashboardUrl(c)}v1/averages?window=24h&equipmentId=${c.device.id}'`
  );
}

/** The dashboard at `localhost` rather than 127.0.0.1: browsers treat it as a secure, named origin. */
export function dashboardUrl(c: StartCredentials): string {
  const url = new URL(c.addresses.centralUrl);
  if (url.hostname === "127.0.0.1") url.hostname = "localhost";
  return url.href;
}

export function banner(input: BannerInput): string {
  const { credentials: c, cwd } = input;
  const data = shown(input.dataDir, cwd);
  const ca = shown(c.addresses.caFile, cwd);
  const lines = [
    "",
    `plantlink is running — data in ${data}/ (${input.firstStart ? "created now; the next pnpm start reuses it" : "reused from an earlier start"})`,
    "",
    `  Dashboard   ${dashboardUrl(c)}`,
    `              sign in with the viewer token  ${c.tokens.viewer}`,
    `              HTTPS with a private CA (${ca}): the browser warns once — accept, or trust that CA`,
    ...(c.tokens.admin ? [`  Admin token ${c.tokens.admin}   (kept in ${data}/start/credentials.json)`] : []),
    "",
    `  Edge "${c.edgeId}"  MQTT ${c.addresses.mqttUrl}   device user ${c.device.id}  password ${c.device.password}`,
    `                HTTP ${c.addresses.edgeHttpUrl}   status: ${c.addresses.edgeHttpUrl}/v1/status`,
    `                forwards to central ${c.addresses.centralUrl} over HTTPS, verified against ${ca}`,
    `  API docs    ${dashboardUrl(c)}docs`,
    "",
    "Publish a reading over MQTT (mosquitto_pub is in Debian's mosquitto-clients):",
    `  ${mosquittoPubCommand(c)}`,
    "",
    "Send one over HTTP to the edge, then read the sensor's 24-hour average back from central:",
    `  ${curlPostCommand(c)}`,
    `  ${curlReadCommand(c, cwd)}`,
    "",
    input.demo
      ? "Demo: a month of history (and the baseline week before it) is loading and simulated devices are publishing; the dashboard fills within seconds."
      : "A plant's worth of devices, in another terminal:  pnpm simulate --devices 200   (or pnpm start --demo)",
    `Logs: ${shown(input.logFile, cwd)}`,
    `Stop: Ctrl-C (or kill -TERM ${input.pid}); everything shuts down cleanly and the data stays.`,
    "",
  ];
  return lines.join("\n");
}
