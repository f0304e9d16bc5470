import { describe, it } from "vitest";
import { createTestDatabase } from "../support/test-database.ts";
import { proveIsolation } from "./isolation-probe.ts";

const db = await createTestDatabase();

describe("test harness, second file", () => {
  it("does not let this file see the rows of another test file", async () => {
    await proveIsolation(db, "harness-b", "harness-a");
  });
});
