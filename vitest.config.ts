import { defineConfig } from "vitest/config";

// Suites with their own time budgets: unit (pure, seconds), netns (real dockerd in
// network namespaces, minutes), qemu (the real image under TCG, tens of minutes) and
// cluster (the 3-node HA stories, an hour and more).
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
        // One-VM files, the single-node story among them: two files run at once, one VM
        // per core of a 2-core machine (image builds share the rootfs cache under a lock:
        // lib/file-lock.ts). Set, because vitest's default is one worker less than the
        // cores: one on such a machine. Its own group order, so a run of every project
        // does not mix it with the unit project's worker count.
        test: {
          name: "qemu",
          include: ["**/*.qemu.test.ts"],
          exclude: ["node_modules/**", "qemu-tests/scenarios/formation.qemu.test.ts"],
          testTimeout: 3_600_000,
          hookTimeout: 3_600_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The end-to-end HA stories on booted 1- and 3-node clusters (about 40 minutes under
        // TCG): `npm run test:cluster`. `npm test` runs the single-node file in the qemu
        // project and then the 3-node file here (docs/decisions.md, "The cluster stories
        // and CI").
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
