import { defineProject } from "vitest/config";

// Real brokers, real SQLite files, real HTTP, child processes killed with SIGKILL: every test file
// gets its own temp dir and free ports (port 0), so files run in parallel.
export default defineProject({
  test: {
    name: "edge",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // better-sqlite3 is a native module: separate processes rather than worker threads.
    pool: "forks",
  },
});
