import { defineProject } from "vitest/config";

// The reading model is pure code: no servers, no files, so this project runs in a couple of seconds.
export default defineProject({
  test: {
    name: "shared",
    include: ["test/**/*.test.ts"],
  },
});
