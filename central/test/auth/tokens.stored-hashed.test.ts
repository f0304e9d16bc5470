import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTokenStore, TokenInputError } from "../../src/auth/tokens.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
const tokens = createTokenStore(db.sql);

describe("tokens", () => {
  it("are random, recognisable by their plt_ prefix, and never stored in clear", async () => {
    const a = await tokens.create({ role: "viewer", name: "dashboard" });
    const b = await tokens.create({ role: "viewer", name: "dashboard" });
    expect(a.token).toMatch(/^plt_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);

    // Every column of every row, as the database holds it.
    const rows = await db.sql<{ row: string }[]>`select t::text as row from tokens t`;
    expect(rows).toHaveLength(2);
    for (const { row } of rows) {
      for (const { token } of [a, b]) {
        expect(row).not.toContain(token);
        expect(row).not.toContain(token.slice(4)); // the secret part without its prefix
        expect(row).not.toContain(Buffer.from(token.slice(4), "base64url").toString("hex"));
      }
    }
    const [stored] = await db.sql<{ hash: string }[]>`select hash from tokens where id = ${a.record.tokenId}`;
    expect(stored?.hash).toBe(createHash("sha256").update(a.token).digest("hex"));
  });

  it("authenticate the holder until revoked, and revoking twice keeps the first revocation time", async () => {
    const { token, record } = await tokens.create({ role: "edge", name: "site 7", edgeId: "site-7" });
    expect(await tokens.authenticate(token)).toMatchObject({
      role: "edge",
      edgeId: "site-7",
      name: "site 7",
    });
    const first = await tokens.revoke(record.tokenId);
    expect(first?.revokedAt).toBeInstanceOf(Date);
    expect(await tokens.authenticate(token)).toBeUndefined();
    const second = await tokens.revoke(record.tokenId);
    expect(second?.revokedAt?.getTime()).toBe(first?.revokedAt?.getTime());
  });

  it("refuse unknown and malformed tokens and ids without failing", async () => {
    expect(await tokens.authenticate(`plt_${"A".repeat(43)}`)).toBeUndefined();
    expect(await tokens.authenticate("'; drop table tokens; --")).toBeUndefined();
    expect(await tokens.revoke("999999")).toBeUndefined();
    expect(await tokens.revoke("not-a-number")).toBeUndefined();
  });

  it("bind edge tokens to an edge id, and only edge tokens", async () => {
    await expect(tokens.create({ role: "edge", name: "no edge" })).rejects.toThrow(TokenInputError);
    await expect(tokens.create({ role: "viewer", name: "x", edgeId: "site-1" })).rejects.toThrow(
      /only edge tokens/,
    );
    await expect(tokens.create({ role: "admin", name: "  " })).rejects.toThrow(/name/);
  });

  it("are listed without any secret", async () => {
    const list = await tokens.list();
    expect(list.length).toBeGreaterThan(0);
    for (const record of list) {
      expect(Object.keys(record).sort()).toEqual([
        "createdAt",
        "edgeId",
        "name",
        "revokedAt",
        "role",
        "tokenId",
      ]);
    }
  });
});
