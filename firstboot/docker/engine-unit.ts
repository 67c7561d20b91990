/**
 * The system's Docker is started by the agent, not by the boot: the image ships
 * docker.service and docker.socket not enabled, because on a Ceph node Docker has no work
 * before /var/data is mounted and its first start (with `docker load`) is minutes of a small
 * node's CPU. The swarm phase, which runs only once storage is ready, asks for the start
 * and enables the unit so later boots start Docker themselves (after the mount, through
 * the mount binding). docs/image-build.md has the decision.
 */
import { run as runProgram } from "../../lib/subprocess/index.ts";

/** Starts the engine when it does not answer at all. */
export interface DockerStarter {
  /** Asks for the start; resolves with what the caller should report while it waits. */
  start(): Promise<string>;
}

/** Options of {@link SystemdDockerStarter}. */
export interface SystemdDockerStarterOptions {
  /** Runs systemctl (the node's subprocess module by default). */
  run?: typeof runProgram;
  now?: () => number;
  /** Asks systemd again only after this long (a start in an emulated VM takes minutes). */
  againAfterMs?: number;
}

/** Enables and starts a Docker service through systemd, at most once a minute. */
export class SystemdDockerStarter implements DockerStarter {
  private askedAt: number | undefined;

  constructor(
    private readonly unit: string,
    private readonly o: SystemdDockerStarterOptions = {},
  ) {}

  async start(): Promise<string> {
    const now = (this.o.now ?? Date.now)();
    const again = this.o.againAfterMs ?? 60_000;
    const asked = this.askedAt;
    if (asked !== undefined && now - asked < again)
      return `Docker is starting (${this.unit} asked ${Math.round((now - asked) / 1000)} s ago)`;
    this.askedAt = now;
    const run = this.o.run ?? runProgram;
    // Enabled for the next boots, where the mount binding orders it after /var/data;
    // --no-reload: nothing about the unit files changed, and a reload is PID 1's CPU. Not
    // fatal: a Docker that is not enabled is started again here at the next boot.
    await run("systemctl", ["enable", "--no-reload", "--quiet", this.unit], { reject: false });
    // --no-block: the agent keeps answering its peers while dockerd initialises.
    await run("systemctl", ["start", "--no-block", this.unit]);
    return `Docker is starting (storage is ready; ${this.unit} started)`;
  }
}
