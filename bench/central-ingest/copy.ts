/**
 * The two uses of COPY in this benchmark: the alternative way of getting a batch into the ingest
 * statement (a temporary table loaded by COPY, instead of bound arrays), and the baseline (a plain COPY
 * of the same rows into a table without any index, the fastest way PostgreSQL takes rows).
 */

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Reading } from "@plantlink/shared";
import type { Sql, TransactionSql } from "../../central/src/db/connect.ts";
import type { BatchInput } from "../../central/src/ingest/ingest.ts";

function copyText(rows: readonly Reading[], line: (r: Reading, index: number) => string): string {
  let text = "";
  for (let i = 0; i < rows.length; i++) text += line(rows[i]!, i);
  return text;
}

async function copyInto(tx: Sql | TransactionSql, statement: string, text: string): Promise<void> {
  const stream = await tx.unsafe(statement).writable();
  await pipeline(Readable.from([text]), stream);
}

/** The batch loaded by COPY into a temporary table that is emptied at commit. */
export const copyInput: BatchInput = {
  load: async (tx, rows) => {
    await tx`
      create temp table if not exists ingest_input
        (equipment_id text, ts_ms bigint, value_centi bigint, ord bigint) on commit delete rows`;
    const text = copyText(rows, (r, i) => `${r.equipmentId}\t${r.ts}\t${r.centi}\t${i + 1}\n`);
    await copyInto(tx, "copy ingest_input (equipment_id, ts_ms, value_centi, ord) from stdin", text);
    // Without statistics the planner guesses the temporary table's size and can pick a hash join
    // over readings; measured, the ANALYZE pays for itself.
    await tx`analyze ingest_input`;
  },
  relation: (tx) => tx`ingest_input as i`,
};

export async function createCopyBaselineTable(sql: Sql): Promise<void> {
  await sql`drop table if exists copy_baseline`;
  await sql`
    create table copy_baseline (
      equipment_id text not null, ts timestamptz not null, value_centi bigint not null,
      source text not null, received_at timestamptz not null default now())`;
}

/** One batch, one COPY, one transaction: no key, no dedupe, no rollup. */
export async function copyBaseline(sql: Sql, batch: readonly Reading[], source: string): Promise<void> {
  const text = copyText(
    batch,
    (r) => `${r.equipmentId}\t${new Date(r.ts).toISOString()}\t${r.centi}\t${source}\n`,
  );
  await copyInto(sql, "copy copy_baseline (equipment_id, ts, value_centi, source) from stdin", text);
}
