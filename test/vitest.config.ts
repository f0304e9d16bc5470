import { defineProject } from "vitest/config";

// The root-level tools and deployment: `pnpm start` as a child process, the simulator against a real
// edge, and the deploy/ files checked without Docker (no engine on these machines). test/e2e is a
// package of its own with its own project.
export default defineProject({
  test: {
    name: "test",
    include: ["start/**/*.test.ts", "simulate/**/*.test.ts", "deploy/**/*.test.ts"],
    // `pnpm start` boots PostgreSQL, central and an edge: tens of seconds on a loaded two-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
