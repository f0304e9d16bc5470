/**
 * The vendor backfill file: the readings devices measured during their silences but never sent, in
 * the CSV shape central's `POST /v1/backfill` takes. Uploading it fills the gaps the silences left —
 * the gap → backfill story end to end.
 */

import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

export interface BackfillRow {
  equipmentId: string;
  timestamp: string;
  value: number;
}

export interface BackfillFile {
  path: string;
  rows(): number;
  /** Adds a row; the promise, when there is one, resolves once the file can take more (back-pressure). */
  add(row: BackfillRow): Promise<void> | undefined;
  close(): Promise<void>;
}

export const BACKFILL_HEADER = "equipmentId,timestamp,value";

export async function openBackfillFile(path: string): Promise<BackfillFile> {
  await mkdir(dirname(path), { recursive: true });
  const stream: WriteStream = createWriteStream(path, { flags: "w" });
  await once(stream, "open");
  stream.write(`${BACKFILL_HEADER}\n`);
  let rows = 0;
  let failure: Error | undefined;
  stream.on("error", (error) => {
    failure = error;
  });
  return {
    path,
    rows: () => rows,
    add(row) {
      if (failure) throw failure;
      rows += 1;
      // Ids and timestamps never hold commas or quotes (the reading model forbids them), so no quoting.
      const more = stream.write(`${row.equipmentId},${row.timestamp},${row.value}\n`);
      return more ? undefined : once(stream, "drain").then(() => undefined);
    },
    async close() {
      stream.end();
      await once(stream, "finish");
      if (failure) throw failure;
    },
  };
}
