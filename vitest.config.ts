import { defineConfig } from "vitest/config";

export default defineConfig({
  // One copy of graphql for our code and yoga's: vite would otherwise load the ESM build
  // for src/ while yoga's dependencies use the CommonJS one, and `instanceof GraphQLError`
  // would fail between them.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    // Crash and fault tests start real processes and capture real volumes: minutes on 2 busy cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Two cores: files run two at a time; each starts its own server on port 0.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
