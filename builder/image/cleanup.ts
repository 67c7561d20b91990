/**
 * A stack of undo steps (unmount, detach a loop device, remove a temp file), run in
 * reverse order. Every step runs even when an earlier one fails; the first failure is
 * reported after all have run.
 */

/** Undo steps for resources a build has created. */
export class Cleanup {
  private readonly steps: Array<{ what: string; fn: () => Promise<void> }> = [];

  /** Registers an undo step (runs before the ones registered earlier). */
  push(what: string, fn: () => Promise<void>): void {
    this.steps.push({ what, fn });
  }

  /** Runs and forgets every registered step, last first. */
  async runAll(): Promise<void> {
    const errors: string[] = [];
    for (let s = this.steps.pop(); s; s = this.steps.pop()) {
      try {
        await s.fn();
      } catch (e) {
        errors.push(`${s.what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (errors.length > 0) throw new Error(`clean-up failed:\n${errors.join("\n")}`);
  }

  /** How many steps are pending (tests check that a build left none). */
  get pending(): number {
    return this.steps.length;
  }
}
