/**
 * Transactions stay whole when the client's connections are busy and pipelining. postgres.js 3.4.9
 * could send a transaction's BEGIN without reserving its connection (when the BEGIN filled the
 * connection's pipeline or the socket was backed up) and could hand a reserved connection back to the
 * pool when its socket drained mid-transaction; other queries then ran inside the transaction, and a
 * rollback or commit of one could take another's statements with it (upstream #823, #1189). Central
 * carries the fix as a patch (patches/postgres@3.4.9.patch). The pipeline-boundary case depends on
 * timing; `max_pipeline: 0` takes the same code path every time, so without the patch every
 * transaction of that round fails with UNSAFE_TRANSACTION (checked by hand against the unpatched
 * package: 100 of 100).
 */
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/test-database.ts";

const db = await createTestDatabase();

describe("transactions on a busy, pipelining pool", () => {
  it.each([0, 2])(
    "never share a connection with other queries (max_pipeline %i)",
    async (maxPipeline) => {
      // max_pipeline is a documented option that postgres.js 3.4.9's type definitions leave out; a
      // variable rather than a literal passes it without an excess-property error.
      const options = { max: 3, max_pipeline: maxPipeline, onnotice: () => {} };
      const sql = postgres(db.url, options);
      const table = `pipelined_${maxPipeline}`;
      try {
        await sql`create table ${sql(table)} (round int, tx int, n int)`;
        const failures: string[] = [];
        for (let round = 0; round < 10; round++) {
          // Queries run lazily, from the next tick, unless told to start: the sleepers must hold all three
          // connections and the plain queries fill their pipelines before the transactions begin.
          const sleepers = Array.from({ length: 3 }, () => sql`select pg_sleep(0.2)`.execute());
          const plain = Array.from({ length: 6 }, () => sql`select 1`.execute());
          const transactions = Array.from({ length: 5 }, (_, tx) =>
            sql
              .begin(async (t) => {
                // Two statements and a deliberate rollback for odd transactions: if any other query or
                // transaction shared this one's server transaction, the counts below would show it.
                const [first] = await t<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
                await t`insert into ${t(table)} values (${round}, ${tx}, 1)`;
                await t`insert into ${t(table)} values (${round}, ${tx}, 2)`;
                const [again] = await t<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
                if (again?.xid !== first?.xid)
                  throw new Error(`transaction ${tx} changed server transaction`);
                if (tx % 2 === 1) throw new Error("roll back");
              })
              .catch((error: Error) => {
                if (error.message !== "roll back") failures.push(`round ${round}: ${error.message}`);
              }),
          );
          await Promise.all([...sleepers, ...plain, ...transactions]);
        }
        expect(failures).toEqual([]);
        const rows = await sql<{ tx: number; n: number }[]>`
        select tx, count(*)::int as n from ${sql(table)} group by tx order by tx`;
        // Every even transaction committed both rows in every round; no odd one left anything.
        expect(rows).toEqual([
          { tx: 0, n: 20 },
          { tx: 2, n: 20 },
          { tx: 4, n: 20 },
        ]);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
    120_000,
  );
});
