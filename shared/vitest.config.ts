import { defineProject } from "vitest/config";

// The reading model is pure code: no servers, no files, so this project runs in a couple of seconds.
export default defineProject({
  test: {
    name: "shared",
    include: ["test/**/*.test.ts"],
    // Property tests run thousands of cases; on a shared 2-core machine next to PostgreSQL and the
    // edge's kill tests, 5 s is not enough headroom. A real hang still fails well inside the run.
    testTimeout: 60_000,
  },
});
