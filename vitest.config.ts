import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: files run two at a time; each starts its own server on port 0.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
