/**
 * A group of VMs with one artifact directory and one owner: `VmScenario.create(name)`,
 * `startVm`/`createVm` per machine, `dispose({ passed })` at the end. Disposal kills
 * every VM it started, removes the runtime directory, and keeps the artifacts only when
 * the scenario failed. Creating a scenario first sweeps what crashed runs left.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScenarioArtifacts } from "./artifacts.ts";
import type { VmDefinition } from "./definition.ts";
import { currentOwner, type Owner, ownerTag } from "./owner.ts";
import { sweepVms, type VmSweepReport } from "./sweep.ts";
import { Vm } from "./vm.ts";

/** Options for {@link VmScenario.create}. */
export interface VmScenarioOptions {
  /** Family prefix for QEMU names and runtime dirs; default "sfvm-". */
  prefix?: string;
  /** Root of the artifact directories; default `out/test-logs`. */
  artifactRoot?: string;
  /** Sweep leftovers of crashed runs first (default true). */
  sweep?: boolean;
}

/** What {@link VmScenario.dispose} did. */
export interface ScenarioDisposal {
  /** Where the artifacts were kept (failed scenarios only). */
  keptArtifacts: string | undefined;
  /** PIDs of VMs that were still running and got killed. */
  killed: number[];
}

/** VMs that live and die together. */
export class VmScenario implements AsyncDisposable {
  private readonly machines = new Map<string, Vm>();
  private disposed = false;
  private failed = false;

  private constructor(
    readonly artifacts: ScenarioArtifacts,
    private readonly owner: Owner,
    private readonly runDir: string,
    /** What the sweep at creation removed. */
    readonly swept: VmSweepReport | undefined,
  ) {}

  /** Sweeps leftovers, makes the artifact and runtime directories. */
  static async create(name: string, opts: VmScenarioOptions = {}): Promise<VmScenario> {
    const owner = await currentOwner(opts.prefix);
    const swept = opts.sweep === false ? undefined : await sweepVms(owner.prefix);
    const artifacts = await ScenarioArtifacts.create(name, opts.artifactRoot);
    const runDir = await mkdtemp(join(tmpdir(), `${ownerTag(owner)}-`));
    return new VmScenario(artifacts, owner, runDir, swept);
  }

  /** The scenario's name. */
  get name(): string {
    return this.artifacts.scenario;
  }

  /** Makes a VM's disks; it stays off until `powerOn`. */
  async createVm(def: VmDefinition): Promise<Vm> {
    if (this.disposed) throw new Error(`scenario ${this.name} is disposed`);
    if (this.machines.has(def.name)) throw new Error(`scenario ${this.name} already has a VM ${def.name}`);
    const vm = await Vm.create(def, {
      dir: this.artifacts.vmDir(def.name),
      runDir: this.runDir,
      tag: `${ownerTag(this.owner)}-${def.name}`,
    });
    this.machines.set(def.name, vm);
    return vm;
  }

  /** Makes a VM and powers it on. */
  async startVm(def: VmDefinition): Promise<Vm> {
    const vm = await this.createVm(def);
    await vm.powerOn();
    return vm;
  }

  /** The VM called `name`. */
  vm(name: string): Vm {
    const vm = this.machines.get(name);
    if (!vm)
      throw new Error(
        `scenario ${this.name} has no VM ${name} (has: ${[...this.machines.keys()].join(", ")})`,
      );
    return vm;
  }

  /** All VMs, in creation order. */
  get vms(): Vm[] {
    return [...this.machines.values()];
  }

  /** Records that the scenario failed, so disposal keeps the artifacts. */
  markFailed(): void {
    this.failed = true;
  }

  /** Kills every VM, removes the runtime directory, keeps or removes the artifacts. */
  async dispose(opts: { passed?: boolean } = {}): Promise<ScenarioDisposal> {
    if (this.disposed) return { keptArtifacts: undefined, killed: [] };
    this.disposed = true;
    const killed: number[] = [];
    for (const vm of this.vms) {
      if (vm.pid !== undefined) killed.push(vm.pid);
      await vm.dispose();
    }
    await rm(this.runDir, { recursive: true, force: true });
    const passed = (opts.passed ?? true) && !this.failed;
    return { keptArtifacts: await this.artifacts.finish(passed), killed };
  }

  /** `await using` support: keeps the artifacts when {@link markFailed} was called. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
