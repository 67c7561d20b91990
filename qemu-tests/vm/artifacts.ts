/**
 * A scenario's artifact directory, `out/test-logs/<scenario>/`: every VM's serial log,
 * QEMU's log and the disks live there while the scenario runs. A passed scenario's
 * directory is removed; a failed one's is kept whole for the post-mortem.
 */
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** `out/test-logs` of this checkout. */
export const DEFAULT_ARTIFACT_ROOT = resolve(fileURLToPath(new URL("../../out/test-logs", import.meta.url)));

/** The artifact directory of one scenario. */
export class ScenarioArtifacts {
  private constructor(
    readonly scenario: string,
    readonly dir: string,
  ) {}

  /** Creates an empty directory for `scenario` (what an earlier run left there is replaced). */
  static async create(scenario: string, root = DEFAULT_ARTIFACT_ROOT): Promise<ScenarioArtifacts> {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(scenario)) {
      throw new Error(`scenario name ${JSON.stringify(scenario)} must be 1-64 of [a-z0-9._-]`);
    }
    const dir = join(root, scenario);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new ScenarioArtifacts(scenario, dir);
  }

  /** The directory of one VM. */
  vmDir(name: string): string {
    return join(this.dir, name);
  }

  /** Removes everything after a pass; keeps everything after a failure. Returns the kept directory, if any. */
  async finish(passed: boolean): Promise<string | undefined> {
    if (!passed) return this.dir;
    await rm(this.dir, { recursive: true, force: true });
    return undefined;
  }
}
