import { describe, expect, it } from "vitest";
import { Teardown } from "../src/teardown.ts";

describe("Teardown", () => {
  it("runs the steps newest first, each once, and the rest after one fails", async () => {
    const ran: string[] = [];
    const errors: unknown[] = [];
    const teardown = new Teardown((error) => errors.push(error));
    teardown.add(async () => {
      ran.push("database");
    });
    teardown.add(async () => {
      throw new Error("pool stuck");
    });
    teardown.add(async () => {
      ran.push("server");
    });
    await teardown.run();
    await teardown.run();
    expect(ran).toEqual(["server", "database"]);
    expect(errors).toEqual([new Error("pool stuck")]);
  });
});
