import { defineConfig } from "vitest/config";

// One run covers every package; each package keeps its own config (central needs a PostgreSQL).
export default defineConfig({
  test: {
    projects: ["shared", "edge", "central", "test/e2e", "test"],
  },
});
