/** `pnpm central backfill FILE --url URL --token T`: uploads a file to a real central and prints the report. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backfillCommand, type Io } from "../../src/backfill/command.ts";
import { createProgressBar } from "../../src/backfill/progress.ts";
import { startTestCentral } from "../http/test-central.ts";

const central = await startTestCentral();
const token = await central.tokenFor("vendor");
const dir = await mkdtemp(join(tmpdir(), "plantlink-backfill-cli-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

function capture(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (text: string) => out.push(text) > 0 },
    stderr: { write: (text: string) => err.push(text) > 0, isTTY, columns: 100 },
  };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

async function csvFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const rows = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `CLI-1,${new Date(Date.parse("2024-05-01T00:00:00Z") + i * 1000).toISOString()},${i}`,
  );

describe("pnpm central backfill", () => {
  it("uploads a file and prints the report's summary, exit 0", async () => {
    const noted = rows(300).map((row) => `${row},a note`);
    const text = `equipmentId,timestamp,value,note\n${noted.join("\n")}\nCLI-1,yesterday,1,x\n`;
    const file = await csvFile("good.csv", text);
    const { io, out } = capture();
    const status = await backfillCommand([file, "--url", central.url, "--token", token], io);
    expect(status).toBe(0);
    expect(out()).toMatch(/^upload bf_\S+ \(good\.csv\): complete, [\d,]+ bytes\n/);
    expect(out()).toContain("rows 301: inserted 300, duplicates 0, conflicts 0, set aside 0, rejected 1");
    expect(out()).toContain("columns ignored: note");
    expect(out()).toMatch(/line 302: timestamp "yesterday" is not an RFC 3339 date-time/);
  });

  it("sends gzip with --gzip and prints JSON with --json; a second upload is all duplicates", async () => {
    // The same rows as the first test, without the note column.
    const file = await csvFile("again.csv", `equipmentId,timestamp,value\n${rows(300).join("\n")}\n`);
    const { io, out } = capture();
    expect(
      await backfillCommand(
        [file, "--url", central.url, "--token", token, "--gzip", "--json", "--name", "x.csv"],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(out())).toMatchObject({ fileName: "x.csv", rows: 300, inserted: 0, duplicates: 300 });
  });

  it("prints central's reason and exits 1 when the file cannot be taken", async () => {
    const file = await csvFile("bad.csv", "equipmentId,value\nCLI-2,1\n");
    const { io, err } = capture();
    expect(await backfillCommand([file, "--url", central.url, "--token", token], io)).toBe(1);
    expect(err()).toContain("central answered 400 Bad Request: line 1: the header lacks column timestamp");
  });

  it("exits 2 with the usage when an option is missing", async () => {
    const { io, err } = capture();
    expect(await backfillCommand(["x.csv", "--url", central.url], io)).toBe(2);
    expect(err()).toContain("--token is required");
  });

  it("draws a progress bar with bytes and rows/s on a terminal only", () => {
    let clock = 0;
    const terminal = capture(true);
    const bar = createProgressBar(terminal.io.stderr, () => clock);
    for (let step = 1; step <= 10; step++) {
      clock = step * 500;
      bar.update({ bytes: step * 1_000_000, totalBytes: 10_000_000, lines: step * 20_000 });
    }
    bar.done();
    expect(terminal.err()).toContain(
      "100% [████████████████████████] 10.0 MB / 10.0 MB  40,000 rows/s  199,999 rows",
    );
    const pipe = capture(false);
    createProgressBar(pipe.io.stderr).update({ bytes: 1, totalBytes: 2, lines: 1 });
    expect(pipe.err()).toBe("");
  });
});
