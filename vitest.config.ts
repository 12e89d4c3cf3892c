import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // dist/ built and current before any test starts the CLI, the app or the bot (stops on a build error)
    globalSetup: ["test/global-setup.ts"],
    // every test process: the C parser the reclaim-context analysis needs, loaded once
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
