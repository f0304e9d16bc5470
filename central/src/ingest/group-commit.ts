/**
 * Group commit for direct readings: concurrent `POST /v1/readings` requests join one transaction, so
 * a thousand single-reading requests cost a few commits instead of a thousand. Each request still gets
 * its own exact counts, and its answer only after the transaction that holds its readings committed.
 *
 * How a group forms: a request arriving while fewer than `maxGroups` transactions are running starts
 * one on the next turn of the event loop (so the first request after a quiet spell does not wait, and
 * requests parsed in the same turn share it). While every slot is busy, requests queue; when a
 * transaction ends, the queue (up to `maxReadings`) becomes the next group. So the wait is bounded by
 * one transaction, and groups grow exactly as fast as the load does.
 *
 * Order: members are concatenated in arrival order and ingestScreenedEach offers the earliest
 * reading of an identity to the insert, so two requests of one group with the same identity come out
 * as if sent one after the other: the first inserts, the second is a duplicate or a conflict.
 *
 * Failures: readings are validated before they join, so a failed transaction is either the database
 * being unreachable — every member gets that error (a 503; nothing of the group was committed, and
 * readings sent again are stored once) — or something about one member's readings that validation did
 * not catch. Then each member is tried again in a transaction of its own, so an innocent request is
 * never refused for another's data.
 */
import type { Reading } from "@plantlink/shared";
import type { Sql } from "../db/connect.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { countScreened, ingestScreened, ingestScreenedEach, type ScreenedResult } from "./set-aside.ts";

export interface CommittedGroup {
  requests: number;
  readings: number;
  seconds: number;
}

export interface GroupCommitOptions {
  sql: Sql;
  /** The readings' source column, e.g. `direct`. */
  source: string;
  /** The global sentinel values, in hundredths (set-aside.ts). */
  sentinels: readonly number[];
  /** Readings a group takes before the rest wait for the next one. */
  maxReadings?: number;
  /** Group transactions running at once; each holds a pool connection. */
  maxGroups?: number;
  /** After each group's commit (before its members are answered). */
  onCommitted?: (group: CommittedGroup) => void;
}

export interface GroupCommit {
  /** Resolves with this request's counts once its readings are committed. */
  submit(readings: readonly Reading[]): Promise<ScreenedResult>;
  /** Requests queued and not yet in a transaction. */
  queued(): number;
}

interface Member {
  readings: readonly Reading[];
  resolve(result: ScreenedResult): void;
  reject(error: unknown): void;
}

/**
 * 5,000 readings keep a group's statement near the size measured best for edge batches; 2 groups let
 * the next one gather while the last commits, and leave the rest of the pool to queries and backfill.
 */
export const GROUP_MAX_READINGS = 5_000;
export const GROUP_MAX_TRANSACTIONS = 2;

export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  const { sql, source, sentinels } = options;
  const maxReadings = options.maxReadings ?? GROUP_MAX_READINGS;
  const maxGroups = options.maxGroups ?? GROUP_MAX_TRANSACTIONS;
  const queue: Member[] = [];
  let head = 0;
  let running = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || running >= maxGroups || head >= queue.length) return;
    scheduled = true;
    setImmediate(startGroups);
  };

  const startGroups = () => {
    scheduled = false;
    while (running < maxGroups && head < queue.length) {
      const group: Member[] = [];
      let size = 0;
      // At least one member, however large: a request bigger than maxReadings goes alone.
      while (
        head < queue.length &&
        (group.length === 0 || size + queue[head]!.readings.length <= maxReadings)
      ) {
        const member = queue[head++]!;
        group.push(member);
        size += member.readings.length;
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      running++;
      void commitGroup(group, size).finally(() => {
        running--;
        schedule();
      });
    }
  };

  const commitGroup = async (group: Member[], size: number) => {
    const started = performance.now();
    const readings = group.length === 1 ? group[0]!.readings : group.flatMap((member) => member.readings);
    let outcomes: Uint8Array;
    try {
      outcomes = await sql.begin((tx) => ingestScreenedEach(tx, readings, source, sentinels));
    } catch (error) {
      if (group.length === 1 || isDatabaseUnavailable(error)) {
        for (const member of group) member.reject(error);
      } else {
        await Promise.all(
          group.map((member) =>
            sql
              .begin((tx) => ingestScreened(tx, member.readings, source, sentinels))
              .then(member.resolve, member.reject),
          ),
        );
      }
      return;
    }
    options.onCommitted?.({
      requests: group.length,
      readings: size,
      seconds: (performance.now() - started) / 1000,
    });
    let from = 0;
    for (const member of group) {
      const to = from + member.readings.length;
      member.resolve(countScreened(outcomes, from, to));
      from = to;
    }
  };

  return {
    submit(readings) {
      return new Promise<ScreenedResult>((resolve, reject) => {
        queue.push({ readings, resolve, reject });
        schedule();
      });
    },
    queued: () => queue.length - head,
  };
}
