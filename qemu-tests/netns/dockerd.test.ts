import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newRunId } from "../net/names.ts";
import { CLUSTER_PREFIX } from "./cluster.ts";
import { daemonConfig, dockerdArgs, dockerdPaths } from "./dockerd.ts";

describe("dockerd arguments", () => {
  const paths = dockerdPaths("/tmp/sfn-abcdef/n1");

  it("keeps every path of the daemon under the node's directory", () => {
    const args = dockerdArgs(paths);
    for (const flag of ["--config-file", "--data-root", "--exec-root", "--pidfile", "--host"]) {
      const arg = args.find((a) => a.startsWith(`${flag}=`));
      expect(arg, flag).toBeDefined();
      expect(arg).toContain("/tmp/sfn-abcdef/n1/");
    }
    expect(daemonConfig(paths)).toEqual({ "deprecated-key-path": "/tmp/sfn-abcdef/n1/key.json" });
  });

  it("keeps addresses inside the test space and appends extra flags last", () => {
    const args = dockerdArgs(paths, ["--iptables=false"]);
    expect(args).toContain("--bridge=none");
    expect(args).toContain("--default-address-pool=base=198.19.0.0/17,size=24");
    expect(args.at(-1)).toBe("--iptables=false");
  });

  it("leaves room for the socket path limit with the roots clusters really use", () => {
    // sun_path holds 108 bytes including the terminating NUL; containerd's ttrpc socket is the longest.
    const real = dockerdPaths(join(tmpdir(), newRunId(CLUSTER_PREFIX), "n10"));
    expect(`${real.execRoot}/containerd/containerd.sock.ttrpc`.length).toBeLessThan(108);
    expect(real.socket.length).toBeLessThan(108);
  });
});
