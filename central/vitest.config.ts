import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "central",
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // One PostgreSQL server for the whole run; each test file clones its own database from a template.
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
