/**
 * A cluster worker's entry point (forked by cluster/primary.ts): waits for its configuration, serves
 * central on the shared port, and stops when the primary says so or goes away. Signals from a terminal
 * or a service manager reach the whole process group; the primary decides the order of shutdown, so a
 * worker leaves SIGTERM and SIGINT to it.
 */
import process from "node:process";
import { pino } from "pino";
import { AggregatorRegistry } from "prom-client";
import { type Central, startCentral } from "../main.ts";
import { isOurs, type ToPrimary, type ToWorker } from "./messages.ts";

const send = (message: ToPrimary) => process.send?.(message);

let central: Central | undefined;
let stopping = false;
const metricsAnswers = new Map<number, (answer: { text?: string; error?: string }) => void>();
let nextMetricsId = 0;

/** /metrics of every worker: the primary asks each (prom-client's cluster protocol) and aggregates. */
function clusterMetrics(): Promise<string> {
  const id = nextMetricsId++;
  return new Promise((resolve, reject) => {
    metricsAnswers.set(id, (answer) => {
      metricsAnswers.delete(id);
      if (answer.text !== undefined) resolve(answer.text);
      else reject(new Error(`the primary could not gather the workers' metrics: ${answer.error}`));
    });
    send({ type: "plantlink:metrics", id });
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await central?.close().catch(() => undefined);
  process.exit(code);
}

async function start(message: Extract<ToWorker, { type: "plantlink:start" }>): Promise<void> {
  const { config } = message;
  const log = pino(
    { level: config.logLevel, base: { service: "central", worker: process.pid } },
    message.logFile ? pino.destination({ dest: message.logFile, append: true, mkdir: true }) : undefined,
  );
  try {
    central = await startCentral(config, {
      log,
      worker: { poolMax: message.poolMax, clusterMetrics },
    });
    // prom-client answers the primary's metric requests from this registry (not its global one).
    AggregatorRegistry.setRegistries(central.metrics.registry);
    new AggregatorRegistry();
    send({ type: "plantlink:listening", port: central.port, url: central.url });
  } catch (error) {
    send({ type: "plantlink:failed", reason: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}

process.on("message", (message: unknown) => {
  if (!isOurs<ToWorker>(message)) return;
  if (message.type === "plantlink:start") void start(message);
  else if (message.type === "plantlink:stop") void stop(0);
  else metricsAnswers.get(message.id)?.(message);
});
// The primary died (kill -9): nobody restarts or stops this worker any more, so it drains and leaves.
process.on("disconnect", () => void stop(0));
process.on("SIGTERM", () => {});
process.on("SIGINT", () => {});
send({ type: "plantlink:ready" });
