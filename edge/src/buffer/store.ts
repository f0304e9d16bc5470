/**
 * The buffer file's parts opened together, for CLI commands that work on the file directly
 * (whether or not the edge is running: WAL lets both share it).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EdgeConfig } from "../config.ts";
import { BufferSchemaError } from "../errors.ts";
import { createReadingBuffer, type ReadingBuffer } from "./buffer.ts";
import { BUFFER_FILE_NAME, type Db, openDatabase } from "./database.ts";
import { createQuarantine, type Quarantine } from "./quarantine.ts";
import { createRegistry, type Registry } from "./registry.ts";

export interface Store {
  file: string;
  db: Db;
  buffer: ReadingBuffer;
  quarantine: Quarantine;
  registry: Registry;
  close(): void;
}

export function bufferFile(config: EdgeConfig): string {
  return join(config.dataDir, BUFFER_FILE_NAME);
}

/** Opens the buffer file; with `mustExist`, a missing file is an error naming the directory. */
export function openStore(config: EdgeConfig, options: { mustExist?: boolean } = {}): Store {
  const file = bufferFile(config);
  if (options.mustExist && !existsSync(file)) {
    throw new BufferSchemaError(
      `no buffer at ${file}; the edge has not run with this PLANTLINK_EDGE_DATA_DIR (${config.dataDir})`,
    );
  }
  const db = openDatabase(file, { synchronous: config.buffer.synchronous });
  const quarantine = createQuarantine(db);
  return {
    file,
    db,
    buffer: createReadingBuffer(db, quarantine),
    quarantine,
    registry: createRegistry(db),
    close: () => db.close(),
  };
}
