/**
 * Vitest glue: one VmScenario per test file, marked failed when any test fails (so its
 * artifacts are kept), disposed after the last test.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { VmScenario, type VmScenarioOptions } from "./scenario.ts";

/** Registers hooks for a scenario named `name`; call `get()` inside tests. */
export function useVmScenario(name: string, opts: VmScenarioOptions = {}): { get(): VmScenario } {
  let scenario: VmScenario | undefined;
  beforeAll(async () => {
    scenario = await VmScenario.create(name, opts);
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => scenario?.markFailed());
  });
  afterAll(async () => {
    const r = await scenario?.dispose();
    if (r?.keptArtifacts) console.error(`scenario ${name} failed: artifacts kept in ${r.keptArtifacts}`);
  });
  return {
    get() {
      if (!scenario) throw new Error(`scenario ${name} was not created (beforeAll failed?)`);
      return scenario;
    },
  };
}
