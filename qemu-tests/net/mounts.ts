/**
 * Mounts left under a directory: dockerd bind-mounts its data root and network
 * sandboxes; killed with SIGKILL it leaves them behind, and `rm -rf` over a live nsfs
 * or overlay mount fails. These helpers find and detach them, deepest first.
 */
import { readFile, rm } from "node:fs/promises";
import { run } from "../../lib/subprocess/index.ts";

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = dir.replace(/\/+$/, "");
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = new Set<string>();
  for (const line of info.split("\n")) {
    const field = line.split(" ")[4];
    if (!field) continue;
    // mountinfo escapes spaces and the like as octal.
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (point === root || point.startsWith(`${root}/`)) points.add(point);
  }
  return [...points].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything at or below `dir`; returns what it detached. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const done: string[] = [];
  // A mount may be stacked several times on one point: repeat until none is left.
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) break;
    for (const p of points) {
      await run("umount", ["-l", p], { reject: false, timeoutMs: 10_000 });
      done.push(p);
    }
  }
  return done;
}

/**
 * Unmounts everything at or below `dir`, then removes it. A killed daemon's last mount can
 * land between the two (CI, session 11: `unlink .../exec/netns/ingress_sbox` failed with
 * EBUSY in a sweep): on EBUSY the tree is unmounted again and the removal retried, up to
 * five times, half a second apart. Returns what was detached.
 */
export async function removeUnder(dir: string): Promise<string[]> {
  const detached: string[] = [];
  for (let attempt = 1; ; attempt++) {
    detached.push(...(await unmountUnder(dir)));
    try {
      await rm(dir, { recursive: true, force: true });
      return detached;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EBUSY" || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
