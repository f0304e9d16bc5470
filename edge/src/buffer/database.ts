/**
 * The edge's one SQLite file: readings, quarantine, sync state and the device/gateway registry.
 *
 * One file on purpose: a reading and the quarantine entry next to it in the same MQTT payload commit
 * in one transaction, and a backup or a move is one file (plus its -wal while the edge runs).
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Synchronous } from "../config.ts";
import { BufferSchemaError } from "../errors.ts";

export type Db = Database.Database;

export const BUFFER_FILE_NAME = "buffer.sqlite";

const SCHEMA_VERSION = 1;

// Readings are an append-only log. `seq` is AUTOINCREMENT so a sequence number is never reused, even
// after every row was synced and pruned: the forwarder's watermark stays meaningful forever.
// Rows above the sync watermark are never deleted and rows are pruned only as a prefix, so the seqs
// present always form one dense run; the buffer's counts rely on that (see buffer.ts).
const SCHEMA_V1 = `
CREATE TABLE readings (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  equipment_id TEXT    NOT NULL,
  ts           INTEGER NOT NULL, -- the reading's instant, epoch ms
  centi        INTEGER NOT NULL, -- the value in hundredths, exact
  received_at  INTEGER NOT NULL  -- when the edge committed it, epoch ms
);

-- Every seq <= watermark is synced. One row.
CREATE TABLE sync_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  watermark     INTEGER NOT NULL,
  last_sync_at  INTEGER,
  last_error    TEXT,
  last_error_at INTEGER
);
INSERT INTO sync_state (id, watermark) VALUES (1, 0);

-- Synced runs above the watermark: batches central acknowledged out of order. Few rows; they fold
-- into the watermark as soon as the run below them is synced too.
CREATE TABLE synced_ranges (
  first_seq INTEGER PRIMARY KEY,
  last_seq  INTEGER NOT NULL
);

CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  source      TEXT    NOT NULL, -- mqtt | http | central
  origin      TEXT    NOT NULL, -- the MQTT topic, or the central batch it was refused in
  client      TEXT,             -- the device or gateway that sent it
  item_index  INTEGER,          -- the item's position in a JSON array payload; NULL = whole payload
  reason_code TEXT    NOT NULL, -- invalid_json | invalid_reading | topic_mismatch | oversize | central_rejected
  reason      TEXT    NOT NULL,
  raw         BLOB    NOT NULL, -- the bytes as received (the first max-payload bytes when oversize)
  size        INTEGER NOT NULL  -- the original size in bytes
);

CREATE TABLE devices (
  id            TEXT    PRIMARY KEY,
  password_hash TEXT    NOT NULL,
  enabled       INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE gateways (
  name       TEXT    PRIMARY KEY,
  token_hash TEXT    NOT NULL UNIQUE,
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
`;

export interface DatabaseOptions {
  synchronous: Synchronous;
  readonly?: boolean;
}

/** Opens (creating if needed) the buffer file with the pragmas durability depends on. */
export function openDatabase(file: string, options: DatabaseOptions): Db {
  if (!options.readonly) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    makeOwnerOnly(file);
  }
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    // A CLI command and the running edge share the file; wait for the other's short transaction
    // rather than failing. Transactions here are kept to milliseconds.
    db.pragma("busy_timeout = 5000");
    if (!options.readonly) {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal")
        throw new BufferSchemaError(`${file}: could not switch to WAL (got ${String(mode)})`);
      migrate(db, file);
    }
    // FULL: a commit is on disk (WAL fsynced) before it returns, so an acknowledgement that follows
    // it survives power loss. NORMAL survives a process crash but not power loss.
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma("cache_size = -16000");
    db.pragma("temp_store = MEMORY");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The file holds readings and the registry's password hashes, so it is the edge user's alone (0600).
 * SQLite creates it, and later its -wal and -shm, with 0644 less the umask — and gives the -wal and
 * -shm the main file's mode — so the file is created 0600 before SQLite opens it, and a buffer an
 * older version left readable by others is tightened, companions included.
 */
function makeOwnerOnly(file: string): void {
  closeSync(openSync(file, "a", 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    const mode = statSync(path, { throwIfNoEntry: false })?.mode;
    if (mode === undefined || (mode & 0o077) === 0) continue;
    try {
      chmodSync(path, mode & 0o700);
    } catch (error) {
      // Not ours to change (another user's file we may still write): its owner decides its mode.
      if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
    }
  }
}

function migrate(db: Db, file: string): void {
  const version = db.pragma("user_version", { simple: true });
  if (typeof version !== "number") throw new BufferSchemaError(`${file}: unreadable user_version`);
  if (version > SCHEMA_VERSION) {
    throw new BufferSchemaError(
      `${file} has schema version ${version}, newer than this edge understands (${SCHEMA_VERSION}); run the newer edge version, or point PLANTLINK_EDGE_DATA_DIR elsewhere`,
    );
  }
  if (version === SCHEMA_VERSION) return;
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (tables.n > 0) {
      throw new BufferSchemaError(
        `${file} holds tables but is not a plantlink edge buffer; point PLANTLINK_EDGE_DATA_DIR at an empty or edge-owned directory`,
      );
    }
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }
}
