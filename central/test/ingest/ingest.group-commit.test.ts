/**
 * The group commit of direct readings: concurrent requests share transactions, yet each gets its own
 * exact counts, identities repeated across requests come out as if sent in arrival order, and a
 * failed group neither fails innocent members nor answers anyone before a commit.
 */
import type { Reading } from "@plantlink/shared";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "../../src/db/connect.ts";
import { freePort } from "../../src/db/free-port.ts";
import { type CommittedGroup, createGroupCommit } from "../../src/ingest/group-commit.ts";
import type { ScreenedResult } from "../../src/ingest/set-aside.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const { sql } = db;
const base = Date.parse("2024-03-01T00:00:00.000Z");

const at = (equipmentId: string, minute: number, centi: number): Reading => ({
  equipmentId,
  ts: base + minute * 60_000,
  centi,
});

/** Transactions that inserted the readings of sensors starting with `prefix`. */
async function insertingTransactions(prefix: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(distinct xmin::text)::int as n from readings where starts_with(equipment_id, ${prefix})`;
  return row?.n ?? 0;
}

describe("group commit of direct readings", () => {
  it("answers each of many concurrent requests its own exact counts, in a few transactions", async () => {
    const groups: CommittedGroup[] = [];
    const committer = createGroupCommit({
      sql,
      source: "direct",
      sentinels: [],
      onCommitted: (g) => groups.push(g),
    });
    // 200 requests: each sends a new reading, the even ones also repeat the reading of request i-1
    // (a duplicate, or a conflict when i % 4 == 0) — across requests, often inside one group.
    const requests = Array.from({ length: 200 }, (_, i) => {
      const own = at(`many-${i}`, 1, i);
      if (i % 2 === 1 || i === 0) return [own];
      return [own, at(`many-${i - 1}`, 1, i % 4 === 0 ? 99_999 : i - 1)];
    });
    const results = await Promise.all(requests.map((readings) => committer.submit(readings)));
    results.forEach((result, i) => {
      const expected: ScreenedResult =
        i % 2 === 1 || i === 0
          ? { inserted: 1, duplicates: 0, conflicts: 0, setAside: 0 }
          : {
              inserted: 1,
              duplicates: i % 4 === 0 ? 0 : 1,
              conflicts: i % 4 === 0 ? 1 : 0,
              setAside: 0,
            };
      expect(result, `request ${i}`).toEqual(expected);
    });
    const [rows] = await sql<{ n: number }[]>`
      select count(*)::int as n from readings where starts_with(equipment_id, 'many-')`;
    expect(rows?.n).toBe(200);
    expect(groups.reduce((n, g) => n + g.requests, 0)).toBe(200);
    // Grouped: far fewer transactions than requests (one per request without the group commit).
    expect(await insertingTransactions("many-")).toBe(groups.length);
    expect(groups.length).toBeLessThan(20);
  });

  it("inserts the first of one identity in arrival order and counts the later ones as if sequential", async () => {
    const groups: CommittedGroup[] = [];
    const committer = createGroupCommit({
      sql,
      source: "direct",
      sentinels: [],
      onCommitted: (g) => groups.push(g),
    });
    const [first, same, other, again] = await Promise.all([
      committer.submit([at("order", 5, 100)]),
      committer.submit([at("order", 5, 100)]),
      committer.submit([at("order", 5, 200), at("order", 6, 1)]),
      committer.submit([at("order", 6, 1)]),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.requests).toBe(4);
    expect(first).toEqual({ inserted: 1, duplicates: 0, conflicts: 0, setAside: 0 });
    expect(same).toEqual({ inserted: 0, duplicates: 1, conflicts: 0, setAside: 0 });
    expect(other).toEqual({ inserted: 1, duplicates: 0, conflicts: 1, setAside: 0 });
    expect(again).toEqual({ inserted: 0, duplicates: 1, conflicts: 0, setAside: 0 });
    const stored = await sql<{ centi: string }[]>`
      select value_centi::text as centi from readings where equipment_id = 'order' order by ts`;
    expect(stored.map((r) => Number(r.centi))).toEqual([100, 1]);
    const [conflicts] = await sql<{ n: number }[]>`
      select count(*)::int as n from conflicts where equipment_id = 'order'`;
    expect(conflicts?.n).toBe(1);
  });

  it("sets sentinel readings aside inside a group, and counts them for the request that sent them", async () => {
    const groups: CommittedGroup[] = [];
    const committer = createGroupCommit({
      sql,
      source: "direct",
      sentinels: [-999_900],
      onCommitted: (g) => groups.push(g),
    });
    const [plain, faulty, repeat] = await Promise.all([
      committer.submit([at("aside", 1, 100)]),
      committer.submit([at("aside", 2, -999_900), at("aside", 3, 300)]),
      committer.submit([at("aside", 2, -999_900)]),
    ]);
    expect(groups).toHaveLength(1);
    expect(plain).toEqual({ inserted: 1, duplicates: 0, conflicts: 0, setAside: 0 });
    expect(faulty).toEqual({ inserted: 1, duplicates: 0, conflicts: 0, setAside: 1 });
    expect(repeat).toEqual({ inserted: 0, duplicates: 1, conflicts: 0, setAside: 0 });
    const stored = await sql<{ centi: string }[]>`
      select value_centi::text as centi from readings where equipment_id = 'aside' order by ts`;
    expect(stored.map((r) => Number(r.centi))).toEqual([100, 300]);
    const [aside] = await sql<{ n: number }[]>`
      select count(*)::int as n from set_aside where equipment_id = 'aside'`;
    expect(aside?.n).toBe(1);
  });

  it("fails only the member whose readings the database refuses; the others are stored", async () => {
    const committer = createGroupCommit({ sql, source: "direct", sentinels: [] });
    // Past bigint: a value validation would have refused, standing in for any data-caused failure.
    const poisoned = at("poison", 1, 1e20);
    const outcomes = await Promise.allSettled([
      committer.submit([at("innocent-a", 1, 1)]),
      committer.submit([poisoned]),
      committer.submit([at("innocent-b", 1, 2)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const stored = await sql<{ id: string }[]>`
      select equipment_id as id from readings
      where equipment_id in ('innocent-a', 'innocent-b', 'poison') order by 1`;
    expect(stored.map((r) => r.id)).toEqual(["innocent-a", "innocent-b"]);
  });

  it("answers no member before a commit when the database cannot be reached", async () => {
    const gone = connectDatabase(`postgres://nobody@127.0.0.1:${await freePort()}/none`, { max: 2 });
    try {
      let committed = 0;
      const committer = createGroupCommit({
        sql: gone,
        source: "direct",
        sentinels: [],
        onCommitted: () => committed++,
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => committer.submit([at("gone", i, i)])),
      );
      expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
      expect(committed).toBe(0);
    } finally {
      await gone.end({ timeout: 1 });
    }
  });
});
