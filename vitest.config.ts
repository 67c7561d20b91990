import { defineConfig } from "vitest/config";

// Three suites with their own time budgets: unit (pure, seconds), netns (real dockerd in
// network namespaces, minutes) and qemu (the real image under TCG, tens of minutes).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/*.netns.test.ts", "**/*.qemu.test.ts", "node_modules/**", "out/**"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "netns",
          include: ["**/*.netns.test.ts"],
          exclude: ["node_modules/**"],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "qemu",
          include: ["**/*.qemu.test.ts"],
          exclude: ["node_modules/**", "qemu-tests/scenarios/**"],
          testTimeout: 3_600_000,
          hookTimeout: 3_600_000,
          fileParallelism: false,
        },
      },
      {
        // The end-to-end HA stories on booted 1- and 3-node clusters (an hour and more under
        // TCG): `npm run test:cluster`; `npm test` runs only the single-node file
        // (docs/decisions.md says why).
        test: {
          name: "cluster",
          include: ["qemu-tests/scenarios/**/*.qemu.test.ts"],
          exclude: ["node_modules/**"],
          testTimeout: 3_600_000,
          hookTimeout: 3_600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
