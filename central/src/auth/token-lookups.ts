/**
 * Token lookups, batched: the token hashes of requests arriving together are looked up in one query
 * instead of one each. Under load every request needs its token checked, and a round trip per request
 * was a tenth of central's CPU on POST /v1/readings (and as many queries as requests).
 *
 * Nothing is cached: every request's token is checked by a query sent after the request arrived, so a
 * revocation committed before a request is seen by it, however many centrals run. One query is in
 * flight at a time; requests arriving meanwhile wait for it to end and then share the next one, so the
 * first request after a quiet spell waits for nothing but the next turn of the event loop.
 */
import type { Sql, TransactionSql } from "../db/connect.ts";

/** Hashes in one query at most: a bounded parameter, and a bounded wait behind it. */
const MAX_HASHES = 1_000;

export interface TokenLookups<Row> {
  /** The live token row of `hash`, or undefined for an unknown or revoked one. */
  find(hash: string): Promise<Row | undefined>;
}

export function createTokenLookups<Row extends { hash: string }>(
  sql: Sql | TransactionSql,
  query: (sql: Sql | TransactionSql, hashes: readonly string[]) => Promise<readonly Row[]>,
): TokenLookups<Row> {
  let waiting = new Map<string, ((row: Row | undefined, error?: unknown) => void)[]>();
  let running = false;
  let scheduled = false;

  const schedule = () => {
    if (running || scheduled || waiting.size === 0) return;
    scheduled = true;
    setImmediate(run);
  };

  const run = async () => {
    scheduled = false;
    running = true;
    let batch = waiting;
    if (batch.size > MAX_HASHES) {
      const taken = [...batch].slice(0, MAX_HASHES);
      batch = new Map(taken);
      for (const [hash] of taken) waiting.delete(hash);
    } else {
      waiting = new Map();
    }
    try {
      const rows = await query(sql, [...batch.keys()]);
      const found = new Map(rows.map((row) => [row.hash, row]));
      for (const [hash, callers] of batch) for (const answer of callers) answer(found.get(hash));
    } catch (error) {
      for (const callers of batch.values()) for (const answer of callers) answer(undefined, error);
    } finally {
      running = false;
      schedule();
    }
  };

  return {
    find(hash) {
      return new Promise<Row | undefined>((resolve, reject) => {
        const answer = (row: Row | undefined, error?: unknown) =>
          error === undefined ? resolve(row) : reject(error);
        const callers = waiting.get(hash);
        if (callers) callers.push(answer);
        else waiting.set(hash, [answer]);
        schedule();
      });
    },
  };
}
