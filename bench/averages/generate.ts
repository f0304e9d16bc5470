/**
 * The averages benchmark's data, made inside PostgreSQL: `generate_series` readings (one a minute per
 * sensor, each sensor at its own second offset, deterministic values) written a day at a time in time
 * order, the day's 10-minute rollups from the same rows in the same statement, then each coarser level and
 * the equipment rows with one INSERT…SELECT each. Rollup rows go in bucket by bucket, as live ingest
 * writes them, which is the layout their plain (bucket) indexes are read in.
 *
 * The readings' two indexes are dropped for the load and built again after it (a sorted build is
 * several times faster than 89 M insertions), and the rebuilt definitions are checked against the
 * migrated ones. Nothing here is how production fills the tables (that is ingest, in step, row by
 * row); the benchmark proves these rollups right anyway by comparing answers with the raw rows.
 */
import { ROLLUP_LEVELS, ROLLUP_TABLES } from "../../central/src/averages/rollup-levels.ts";
import type { Sql } from "../../central/src/db/connect.ts";

const DAY_MS = 86_400_000;

export interface DataSet {
  sensors: number;
  days: number;
  /** First reading's day, UTC midnight, epoch ms. */
  start: number;
  readings: number;
}

/** Fills the (empty, migrated) database; `progress` hears each finished step. */
export async function generate(
  pool: Sql,
  spec: { sensors: number; days: number; start: number },
  progress: (step: string) => void,
): Promise<DataSet> {
  const { sensors, days, start } = spec;
  const months = Math.ceil(days / 28) + 1;
  await pool`select plantlink_ensure_readings_partitions(${new Date(start)}::timestamptz, ${months}::int)`;
  const migrated = await readingsIndexes(pool);
  await pool`alter table readings drop constraint readings_pkey`;
  await pool`drop index readings_ts_idx`;

  // Two sessions take alternate days: both cores busy, each day one statement.
  let next = 0;
  const worker = async () => {
    for (let day = next++; day < days; day = next++) {
      await pool.begin(async (tx) => {
        await tx`set local work_mem = '256MB'`;
        await tx`
          with r as materialized (
            select 'EQ-' || lpad(s::text, 5, '0') as equipment_id,
              ${new Date(start + day * DAY_MS)}::timestamptz + m * interval '1 minute'
                + ((s * 7919) % 60000) * interval '1 millisecond' as ts,
              (5000 + (s % 97) * 31 + round(1500 * sin(m / 90.0 + s)) + ((m * 31 + s * 17) % 200))::bigint
                as value_centi
            from generate_series(0, 1439) m, generate_series(1, ${sensors}::int) s
            order by m, s
          ),
          ins as (
            insert into readings (equipment_id, ts, value_centi, source)
            select equipment_id, ts, value_centi, 'bench' from r
          )
          insert into rollup_10min (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi,
            first_ts, last_ts)
          select equipment_id, date_bin('10 minutes', ts, timestamptz '1970-01-01 00:00:00+00'), count(*),
            sum(value_centi), min(value_centi), max(value_centi), sum(value_centi::numeric * value_centi),
            min(ts), max(ts)
          from r group by 1, 2 order by 2, 1`;
      });
      progress(`day ${day + 1}/${days}`);
    }
  };
  await Promise.all([worker(), worker()]);

  // The same definitions as migrations 0001 and 0006.
  await pool`alter table readings add constraint readings_pkey primary key (equipment_id, ts)`;
  await pool`create index readings_ts_idx on readings (ts) include (equipment_id, value_centi)`;
  const rebuilt = await readingsIndexes(pool);
  if (JSON.stringify(rebuilt) !== JSON.stringify(migrated)) {
    throw new Error(
      `the rebuilt readings indexes differ from the migrated ones: ${JSON.stringify({ migrated, rebuilt })}`,
    );
  }
  progress("readings indexes");

  // Each level from the next finer one (the list is coarsest first).
  for (let i = ROLLUP_LEVELS.length - 2; i >= 0; i--) {
    const level = ROLLUP_LEVELS[i]!;
    await rollUp(pool, ROLLUP_LEVELS[i + 1]!.table, level);
    progress(`${level.table} rollups`);
  }
  await pool`
    insert into equipment (equipment_id, first_ts, last_ts, last_centi, last_source, reading_count)
    select d.equipment_id, min(d.first_ts), max(d.last_ts),
      (select value_centi from readings r where r.equipment_id = d.equipment_id order by ts desc limit 1),
      'bench', sum(d.count)
    from rollup_day d group by d.equipment_id`;
  progress("equipment");
  // Sets the visibility map, as autovacuum does for all but the newest pages of a live table.
  await pool.unsafe(`vacuum (analyze) readings, ${ROLLUP_TABLES.join(", ")}, equipment`);
  progress("vacuum analyze");
  return { sensors, days, start, readings: sensors * days * 1440 };
}

/** One rollup level summed into the next coarser one, bucket by bucket as ingest writes them. */
async function rollUp(pool: Sql, from: string, into: (typeof ROLLUP_LEVELS)[number]): Promise<void> {
  await pool.unsafe(`
    insert into ${into.table} (equipment_id, bucket, count, sum_centi, min_centi, max_centi, sum_sq_centi,
      first_ts, last_ts)
    select equipment_id, date_bin('${into.width}', bucket, timestamptz '1970-01-01 00:00:00+00'), sum(count),
      sum(sum_centi), min(min_centi), max(max_centi), sum(sum_sq_centi), min(first_ts), max(last_ts)
    from ${from} group by 1, 2 order by 2, 1`);
}

async function readingsIndexes(pool: Sql): Promise<{ indexname: string; indexdef: string }[]> {
  return pool<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes where tablename = 'readings' order by indexname`;
}
