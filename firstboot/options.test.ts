import { describe, expect, it } from "vitest";
import { parseAgentOptions } from "./options.ts";

describe("parseAgentOptions", () => {
  it("has the node defaults", () => {
    expect(parseAgentOptions([], {})).toEqual({
      configPath: "/etc/swarmforge/node.yaml",
      stateDir: "/var/lib/swarmforge",
      statusFile: "/run/swarmforge/status.json",
      dockerSocket: "/var/run/docker.sock",
      dockerUnit: "docker.service",
      reconcileIntervalMs: 5_000,
      managerGraceMs: 60_000,
      configPollMs: 2_000,
      once: false,
    });
  });

  it("takes the environment, and the command line over it", () => {
    const o = parseAgentOptions(["--manager-grace-ms", "5000", "--swarm-address-pool", "198.19.128.0/17"], {
      SWARMFORGE_MANAGER_GRACE_MS: "1",
      SWARMFORGE_STATE_DIR: "/s",
      SWARMFORGE_STATUS_FILE: "/s/status.json",
      DOCKER_HOST: "unix:///run/d.sock",
    });
    expect(o).toMatchObject({
      managerGraceMs: 5_000,
      stateDir: "/s",
      statusFile: "/s/status.json",
      dockerSocket: "/run/d.sock",
      swarmAddressPool: ["198.19.128.0/17"],
    });
    // a private Docker (DOCKER_HOST, --docker-socket) is not the agent's to start
    expect(o).not.toHaveProperty("dockerUnit");
    expect(
      parseAgentOptions(["--docker-socket", "/t/d.sock", "--docker-unit", "dockerd-test.service"], {}),
    ).toMatchObject({
      dockerSocket: "/t/d.sock",
      dockerUnit: "dockerd-test.service",
    });
  });

  it("says what is wrong with a bad value", () => {
    expect(() => parseAgentOptions(["--port", "99999"], {})).toThrow(/--port must be 1-65535/);
    expect(() => parseAgentOptions(["--manager-grace-ms", "soon"], {})).toThrow(/whole number/);
    expect(() => parseAgentOptions(["--swarm-address-pool", "10.0.0.0"], {})).toThrow(/IPv4 subnets/);
    expect(() => parseAgentOptions(["--bogus"], {})).toThrow(/bogus/);
    expect(() => parseAgentOptions(["--docker-unit", "docker; reboot"], {})).toThrow(
      /must name a systemd service/,
    );
  });
});
