/** The checked-in migrations: a fresh database migrates, migrating again is a no-op, and so is racing. */
import { describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/connect.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createTestDatabase } from "../support/test-database.ts";

/** Every table, column, constraint, index and function of the public schema, as comparable text. */
async function shape(sql: Sql): Promise<string[]> {
  const rows = await sql<{ item: string }[]>`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable as item
      from information_schema.columns where table_schema = 'public'
    union all
    select 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
      from pg_constraint where connamespace = 'public'::regnamespace
    union all
    select 'index ' || indexdef from pg_indexes where schemaname = 'public'
    union all
    select 'function ' || p.oid::regprocedure from pg_proc p where pronamespace = 'public'::regnamespace
    union all
    select 'partition ' || inhrelid::regclass || ' ' || pg_get_expr(c.relpartbound, c.oid)
      from pg_inherits join pg_class c on c.oid = inhrelid
    order by 1`;
  return rows.map((row) => row.item);
}

const applied = async (sql: Sql) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]?.n;

describe("migrations", () => {
  it("migrate a fresh database, and a second run changes nothing", async () => {
    const { sql } = await createTestDatabase({ empty: true });
    await migrate(sql);
    const first = await shape(sql);
    expect(first).toContain("column readings.value_centi bigint NO");
    expect(first).toContain("constraint readings PRIMARY KEY (equipment_id, ts)");
    expect(first.some((item) => item.startsWith("partition readings_default DEFAULT"))).toBe(true);
    const count = await applied(sql);

    await migrate(sql);
    expect(await shape(sql)).toEqual(first);
    expect(await applied(sql)).toBe(count);
  });

  it("apply once when two processes migrate at the same time", async () => {
    const { sql, url } = await createTestDatabase({ empty: true });
    const { connectDatabase } = await import("../../src/db/connect.ts");
    const other = connectDatabase(url, { max: 2 });
    try {
      await Promise.all([migrate(sql), migrate(other)]);
    } finally {
      await other.end();
    }
    const [row] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations`;
    expect(row?.n).toBe(row?.distinct);
  });
});
