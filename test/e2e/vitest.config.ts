import { defineProject } from "vitest/config";

// Edge and central as real processes (and in-process where a test needs to reach inside), on one
// PostgreSQL server for the run: central's own harness starts it and hands out databases.
export default defineProject({
  test: {
    name: "e2e",
    include: ["**/*.test.ts"],
    globalSetup: ["../../central/test/support/global-setup.ts"],
    // Each file starts PostgreSQL databases, centrals, edges and MQTT clients, and several measure time
    // (timeouts, drain progress): one file at a time keeps them from starving each other on 2 cores.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
