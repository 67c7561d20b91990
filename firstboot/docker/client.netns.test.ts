import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { pack } from "tar-stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NetnsCluster, type NetnsNode } from "../../qemu-tests/netns/cluster.ts";
import { DockerClient } from "./client.ts";
import { type DockerError, isDockerError } from "./errors.ts";
import { waitForDocker } from "./wait-ready.ts";

// The client against real dockerd: two namespaces, each with its own daemon.
let cluster: NetnsCluster;
let n1: NetnsNode;
let n2: NetnsNode;
let failed = false;

beforeAll(async () => {
  cluster = await NetnsCluster.create({ nodes: 2, label: "docker-client" });
  n1 = cluster.node("n1");
  n2 = cluster.node("n2");
});
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});
afterAll(async () => {
  const report = await cluster?.destroy({ keepLogs: failed });
  expect(report?.killed).toEqual([]);
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as DockerError,
  );

/** A `docker save` archive of a one-empty-layer image tagged `tag`. */
async function imageArchive(tag: string): Promise<Buffer> {
  const layer = await tarOf([]);
  const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/nothing"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created_by: "swarmforge test" }],
    }),
  );
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const manifest = Buffer.from(
    JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ["layer0/layer.tar"] }]),
  );
  return tarOf([
    ["manifest.json", manifest],
    [configName, config],
    ["layer0/layer.tar", layer],
  ]);
}

function tarOf(files: [string, Buffer][]): Promise<Buffer> {
  const p = pack();
  for (const [name, data] of files) p.entry({ name }, data);
  p.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    p.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    p.on("end", () => resolve(Buffer.concat(chunks)));
    p.on("error", reject);
  });
}

describe("DockerClient against real dockerd", () => {
  it("waits for a daemon that starts later, then answers ping, version and info", async () => {
    const waiting = waitForDocker(n1.docker, { timeoutMs: 60_000 });
    await cluster.startAll();
    await waiting;
    await n1.docker.ping();
    expect((await n1.docker.version()).ApiVersion).toBe("1.41");
    const info = await n1.docker.info();
    expect(info.Name).toBe("n1");
    expect(info.Swarm.LocalNodeState).toBe("inactive");
    expect(info.Swarm.ControlAvailable).toBe(false);
  });

  it("fails fast on a socket nobody listens on", async () => {
    const c = new DockerClient({ socketPath: `${n1.dir}/nothing.sock` });
    expect(isDockerError(await failure(c.ping()), "unreachable")).toBe(true);
    const e = await waitForDocker(c, { timeoutMs: 300, intervalMs: 50 }).catch((x: unknown) => x as Error);
    expect(e?.message).toMatch(/timed out waiting for dockerd/);
  });

  it("classifies the errors of a node outside any swarm", async () => {
    const inspectErr = await failure(n1.docker.swarmInspect());
    expect(inspectErr.status).toBe(503);
    expect(inspectErr.kind).toBe("not-in-swarm");
    const listErr = await failure(n1.docker.nodeList());
    expect(listErr.status).toBe(503);
    expect(listErr.kind).toBe("not-in-swarm");
    const leaveErr = await failure(n1.docker.swarmLeave());
    expect(leaveErr.kind).toBe("not-in-swarm");
  });

  it("inits a swarm, hides its join tokens, and refuses a second init", async () => {
    const id = await n1.docker.swarmInit({
      listenAddr: `${n1.address}:2377`,
      advertiseAddr: n1.address,
      dataPathAddr: n1.address,
      defaultAddrPool: ["198.19.128.0/17"],
      subnetSize: 24,
    });
    const info = await n1.docker.info();
    expect(info.Swarm.NodeID).toBe(id);
    expect(info.Swarm.ControlAvailable).toBe(true);
    const sw = await n1.docker.swarmInspect();
    expect(sw.ID).toBe(info.Swarm.Cluster?.ID);
    expect(sw.DefaultAddrPool).toEqual(["198.19.128.0/17"]);
    expect(sw.JoinTokens.Manager.reveal()).toMatch(/^SWMTKN-1-/);
    expect(JSON.stringify(sw)).not.toContain("SWMTKN");
    expect(inspect(sw, { depth: 5 })).not.toContain("SWMTKN");
    const again = await failure(
      n1.docker.swarmInit({ listenAddr: `${n1.address}:2377`, advertiseAddr: n1.address }),
    );
    expect(again.kind).toBe("already-in-swarm");
    expect(again.status).toBe(503);
  });

  it("refuses a forged join token without echoing it, then joins with the real one", async () => {
    const real = (await n1.docker.swarmInspect()).JoinTokens.Worker.reveal();
    // Same cluster fingerprint, wrong secret part.
    const forged = real.replace(/-[a-z0-9]+$/, "-0123456789abcdefghijklmnop");
    const join = (token: string) =>
      n2.docker.swarmJoin({
        remoteAddrs: [`${n1.address}:2377`],
        joinToken: token,
        listenAddr: `${n2.address}:2377`,
        advertiseAddr: n2.address,
        dataPathAddr: n2.address,
      });
    const e = await failure(join(forged));
    expect(e.kind).toBe("invalid-token");
    expect(e.message).not.toContain(forged);
    expect(e.message).not.toContain(forged.split("-").pop());
    await join(real);
    const nodes = await n1.docker.nodeList();
    expect(nodes.map((n) => `${n.Description.Hostname}:${n.Spec.Role}`).sort()).toEqual([
      "n1:manager",
      "n2:worker",
    ]);
    const workers = await n1.docker.nodeList({ role: ["worker"] });
    expect(workers.map((n) => n.Description.Hostname)).toEqual(["n2"]);
    // A worker refuses manager calls.
    expect((await failure(n2.docker.nodeList())).kind).toBe("not-manager");
  });

  it("lists services and reports a missing one as not-found", async () => {
    expect(await n1.docker.serviceList()).toEqual([]);
    const e = await failure(n1.docker.serviceInspect("no-such-service"));
    expect(e.status).toBe(404);
    expect(e.kind).toBe("not-found");
    expect((await failure(n1.docker.nodeInspect("no-such-node"))).kind).toBe("not-found");
  });

  it("loads an image archive and reports a broken one", async () => {
    const r = await n1.docker.imageLoad(await imageArchive("swarmforge/test-empty:1"));
    expect(r.loaded).toEqual(["swarmforge/test-empty:1"]);
    const img = await n1.docker.imageInspect("swarmforge/test-empty:1");
    expect(img.RepoTags).toEqual(["swarmforge/test-empty:1"]);
    const bad = await failure(n1.docker.imageLoad(Buffer.from("this is not a tar archive")));
    expect(isDockerError(bad)).toBe(true);
    console.log(`broken archive: ${bad.message}`);
  });

  it("leaves: a worker plainly, a manager only with force", async () => {
    await n2.docker.swarmLeave();
    expect((await n2.docker.info()).Swarm.LocalNodeState).toBe("inactive");
    const e = await failure(n1.docker.swarmLeave(false));
    expect(e.status).toBe(503);
    console.log(`manager leave: ${e.kind}: ${e.dockerMessage}`);
    await n1.docker.swarmLeave(true);
    expect((await n1.docker.info()).Swarm.LocalNodeState).toBe("inactive");
  });
});
