/**
 * The schema is the single source: drizzle-kit, run on a copy of the checked-in migrations, finds
 * nothing to generate. Fails when someone edits schema.ts and forgets `drizzle-kit generate`.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { migrationsFolder } from "../../src/db/migrate.ts";

const central = fileURLToPath(new URL("../..", import.meta.url));

it("has no schema change that is missing from the migrations", async () => {
  const copy = await mkdtemp(join(tmpdir(), "plantlink-drizzle-"));
  try {
    await cp(migrationsFolder, copy, { recursive: true });
    const before = await readdir(copy);
    // drizzle-kit prefixes --out with "./", so it must be relative to the working directory.
    const { stdout } = await promisify(execFile)(
      join(central, "node_modules/.bin/drizzle-kit"),
      [
        "generate",
        "--dialect",
        "postgresql",
        "--schema",
        "./src/db/schema.ts",
        "--out",
        relative(central, copy),
      ],
      { cwd: central },
    );
    expect(stdout).toContain("No schema changes");
    expect(await readdir(copy)).toEqual(before);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});
