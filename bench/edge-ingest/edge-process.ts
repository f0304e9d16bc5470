/**
 * The edge under test, as its own process so the load generator does not share its core. Built with
 * startEdge like `pnpm edge serve`; `off` switches the durability hook off (benchmark only — it is not
 * reachable from configuration). Controlled over stdin: `reset` starts a measurement window,
 * `report` prints the window's event-loop delay and CPU use, `close` shuts down. With
 * EDGE_BENCH_CPU_PROFILE=file.cpuprofile the window is also CPU-profiled (open it in Chrome DevTools).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { loadEdgeConfig, startEdge } from "@plantlink/edge";
import { pino } from "pino";

const mode = process.argv[2] ?? "full";
const config = loadEdgeConfig(process.env);
// Logs go to stderr: stdout carries the replies.
const edge = await startEdge(config, {
  logger: pino({ level: "warn" }, pino.destination(2)),
  durable: mode !== "off",
});
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let cpu = process.cpuUsage();
const profileFile = process.env.EDGE_BENCH_CPU_PROFILE;
const profiler = new Session();
if (profileFile) profiler.connect();
let started = performance.now();

const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
reply({ ready: true, mqtt: edge.ports.mqtt, http: edge.ports.http });

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "reset") {
    if (profileFile) {
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
    }
    loop.reset();
    cpu = process.cpuUsage();
    started = performance.now();
    reply({ reset: true });
  } else if (line === "report") {
    const used = process.cpuUsage(cpu);
    if (profileFile) {
      const { profile } = await profiler.post("Profiler.stop");
      writeFileSync(profileFile, JSON.stringify(profile));
    }
    const commits = (await edge.parts.metrics.commitBatchSize.get()).values;
    const sum = commits.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0;
    const count = commits.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
    reply({
      loopP50Ms: loop.percentile(50) / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - started)) * 100,
      rows: edge.parts.buffer.stats().rows,
      commits: count,
      meanBatch: count > 0 ? sum / count : 0,
    });
  } else if (line === "close") {
    loop.disable();
    if (profileFile) profiler.disconnect();
    await edge.close();
    break;
  }
}
// stdin would keep the process alive; everything else must have been closed by edge.close().
process.stdin.destroy();
