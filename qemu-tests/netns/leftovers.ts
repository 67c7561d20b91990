/** Checks that a destroyed cluster left nothing behind: namespaces, processes, mounts, files. */
import { readdir, readFile, stat } from "node:fs/promises";
import { mountsUnder } from "../net/mounts.ts";
import { listNamespaces } from "../net/netns.ts";

/** What is left of run `runId` rooted at `root`; all lists empty when clean. */
export async function leftovers(
  runId: string,
  root: string,
): Promise<{ namespaces: string[]; processes: string[]; mounts: string[]; rootExists: boolean }> {
  const namespaces = (await listNamespaces()).filter((n) => n.startsWith(`${runId}-`));
  const processes: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
      if (cmd.includes(root)) processes.push(`${pid}: ${cmd}`);
    } catch {
      // Ended meanwhile.
    }
  }
  const rootExists = await stat(root).then(
    () => true,
    () => false,
  );
  return { namespaces, processes, mounts: await mountsUnder(root), rootExists };
}
