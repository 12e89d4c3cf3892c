import { defineConfig } from "vitest/config";

// `npm run test:docker`: the container image, built and run (needs a Docker engine).
export default defineConfig({
  test: {
    include: ["test/deploy/*.docker.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 900_000,
    pool: "forks",
  },
});
