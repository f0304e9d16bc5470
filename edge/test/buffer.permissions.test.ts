/**
 * The buffer file holds the readings and the device registry's password hashes: only the edge's own
 * user may read it. The file, its -wal and -shm companions, and a buffer made by an older version with
 * looser modes all end up owner-only, whatever the umask.
 */
import { chmodSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/buffer/database.ts";
import { tempDir } from "./support/edge.ts";

let temp: ReturnType<typeof tempDir>;
let umask: number;
beforeEach(() => {
  temp = tempDir("plantlink-permissions-");
  // The common default: files 0644, readable by every user on the plant PC.
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
  temp.remove();
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("the buffer file's permissions", () => {
  it("creates buffer.sqlite and its -wal and -shm owner-only (0600)", () => {
    const file = join(temp.dir, "edge", "buffer.sqlite");
    const db = openDatabase(file, { synchronous: "FULL" });
    try {
      db.prepare(
        "INSERT INTO devices (id, password_hash, created_at, updated_at) VALUES ('d', 'h', 0, 0)",
      ).run();
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path), path).toBe("600");
    } finally {
      db.close();
    }
  });

  it("tightens a buffer an older version left readable by others", () => {
    const file = join(temp.dir, "buffer.sqlite");
    openDatabase(file, { synchronous: "FULL" }).close();
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, "");
    chmodSync(`${file}-wal`, 0o644);
    const db = openDatabase(file, { synchronous: "FULL" });
    try {
      expect(modeOf(file)).toBe("600");
      expect(modeOf(`${file}-wal`)).toBe("600");
      expect(modeOf(`${file}-shm`)).toBe("600");
    } finally {
      db.close();
    }
  });
});
