/**
 * The central under test, in a process of its own so its memory is measured alone: started exactly as
 * `pnpm central serve` starts it, against the benchmark's database. Prints `READY <url>` when serving.
 */
import { loadConfig, startCentral } from "../../central/src/index.ts";

const central = await startCentral(loadConfig());
process.stdout.write(`READY ${central.url}\n`);
process.once("SIGTERM", () => {
  central.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
