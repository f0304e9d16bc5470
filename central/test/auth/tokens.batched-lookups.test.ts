/**
 * Token checks of requests arriving together share one query, yet each is exact: live tokens are
 * found, revoked and unknown ones are not, and a revocation is seen by every check sent after it.
 */
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore, generateToken } from "../../src/auth/tokens.ts";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();
let queries = 0;
// The same database through a client that counts the statements it sends.
const counted = postgres(db.url, { max: 4, onnotice: () => {}, debug: () => queries++ });
afterAll(() => counted.end({ timeout: 5 }));
const tokens = createTokenStore(counted);

describe("token lookups", () => {
  it("check 300 concurrent requests' tokens in a few queries, each answered exactly", async () => {
    const live = await Promise.all(["a", "b", "c"].map((name) => tokens.create({ role: "ingest", name })));
    const revoked = await tokens.create({ role: "viewer", name: "gone" });
    await tokens.revoke(revoked.record.tokenId);
    const unknown = generateToken();
    const asked = Array.from({ length: 300 }, (_, i) =>
      i % 5 === 3 ? revoked.token : i % 5 === 4 ? unknown : live[i % 5]!.token,
    );

    queries = 0;
    const answers = await Promise.all(asked.map((token) => tokens.authenticate(token)));
    expect(queries).toBeLessThanOrEqual(3);
    answers.forEach((principal, i) => {
      if (i % 5 >= 3) expect(principal, `request ${i}`).toBeUndefined();
      else expect(principal?.tokenId, `request ${i}`).toBe(live[i % 5]!.record.tokenId);
    });
  });

  it("refuses a token in every check that starts after its revocation", async () => {
    const { token, record } = await tokens.create({ role: "ingest", name: "soon revoked" });
    expect((await tokens.authenticate(token))?.tokenId).toBe(record.tokenId);
    await tokens.revoke(record.tokenId);
    const after = await Promise.all(Array.from({ length: 20 }, () => tokens.authenticate(token)));
    expect(after.every((principal) => principal === undefined)).toBe(true);
  });
});
