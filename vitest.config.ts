import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/dsl/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "scenarios",
          include: ["test/cells/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          // One warm wineserver per run for the Windows cells (test/cells/_wineserver.ts).
          globalSetup: ["test/cells/_wineserver.ts"],
          // A failure shows the whole value (a child's stderr, say), not its first 40 characters.
          chaiConfig: { truncateThreshold: 0 },
          // Cells share one machine of 2 cores; scenario files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
