/**
 * The baked container images against a real dockerd: `docker load` accepts the
 * archives, and the images run (Caddy starts, the backend serves a page naming its
 * container). A real-dockerd test, so it lives with the netns suite; the daemon gets no
 * network at all (--bridge=none, no iptables) and its own roots under a temp dir.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDY_HEALTHCHECK } from "../../../firstboot/ingress/caddy.ts";
import { backendImage } from "../../../images/containers/backend.ts";
import { ingressOfflineImage } from "../../../images/containers/ingress-offline.ts";
import { nodeRecipe } from "../../../images/node/recipe.ts";
import { run } from "../../../lib/subprocess/index.ts";
import { waitFor } from "../../../lib/wait.ts";
import {
  bakeDockerStore,
  KEPT_STORE_DIRS,
  type PrivateDockerd,
  type StoreImage,
  startPrivateDockerd,
} from "./docker-store.ts";
import { archiveFileName, buildContainerImage } from "./from-debs.ts";

let dir = "";
const daemons: PrivateDockerd[] = [];
/** The `docker` client of the first dockerd (the one `docker load` fills here). */
const docker = (args: string[]) => daemons[0]!.docker(args);

beforeAll(async () => {
  // short path: dockerd's and containerd's unix sockets live under it
  dir = await mkdtemp("/tmp/sfdl-");
  const debs = join(dir, "debs");
  await mkdir(debs);
  // the same packages the image build fetches, through the host's apt
  await run("apt-get", ["download", ...nodeRecipe.rootfs.containerDebs], { cwd: debs, timeoutMs: 300_000 });
  daemons.push(await startPrivateDockerd(`${dir}/data`, dir));
}, 600_000);

afterAll(async () => {
  for (const d of daemons) await d.daemon.stop(20_000);
  // overlay2 mounts go when dockerd stops; anything left would make rm fail loudly
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("container images from Debian packages", () => {
  it("docker load accepts both archives and tags them", async () => {
    const debsDir = join(dir, "debs");
    expect((await readdir(debsDir)).length).toBe(nodeRecipe.rootfs.containerDebs.length);
    for (const recipe of [backendImage, ingressOfflineImage]) {
      const a = await buildContainerImage(recipe, {
        debsDir,
        rootfsDir: "/",
        mtime: new Date(1_735_689_600_000),
      });
      const file = join(dir, archiveFileName(recipe));
      await writeFile(file, a.bytes);
      const r = await docker(["load", "--input", file]);
      expect(r.stdout).toContain(`Loaded image: ${recipe.tags[0]}`);
      const id = (await docker(["image", "inspect", "--format", "{{.Id}}", recipe.tags[0]!])).stdout.trim();
      expect(id).toBe(a.imageId);
    }
  });

  it("the backend serves a page naming its container", async () => {
    const r = await docker([
      "run",
      "--rm",
      "--network",
      "none",
      "--hostname",
      "backend-test-1",
      "--entrypoint",
      "/bin/sh",
      backendImage.tags[0]!,
      "-c",
      "backend & sleep 1; wget -q -O - http://127.0.0.1:8080/",
    ]);
    expect(r.stdout).toContain("served by backend-test-1");
  });

  it("the offline ingress runs Debian's Caddy with its config and CA bundle", async () => {
    const v = await docker(["run", "--rm", "--network", "none", ingressOfflineImage.tags[0]!, "version"]);
    expect(v.stdout).toMatch(/^v?2\.\d+\.\d+/);
    const r = await docker([
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "/usr/bin/caddy",
      ingressOfflineImage.tags[0]!,
      "validate",
      "--config",
      "/etc/caddy/Caddyfile",
      "--adapter",
      "caddyfile",
    ]);
    expect(`${r.stdout}${r.stderr}`).toContain("Valid configuration");
    const cid = (await docker(["create", ingressOfflineImage.tags[0]!])).stdout.trim();
    const bundle = await run(
      "docker",
      ["--host", `unix://${dir}/docker.sock`, "cp", `${cid}:/etc/ssl/certs/ca-certificates.crt`, "-"],
      { binary: true },
    );
    await docker(["rm", cid]);
    expect(bundle.stdoutBytes?.length ?? 0).toBeGreaterThan(100_000);
  });

  it("the stack's health check passes when Caddy listens on its port and fails when not", async () => {
    // The image's own Caddyfile listens on 80 only: the check as the stack runs it (443)
    // must fail there, and the same check against 80 must pass.
    const [cmd, ...argv] = CADDY_HEALTHCHECK.test;
    expect(cmd).toBe("CMD");
    const cid = (
      await docker(["run", "-d", "--network", "none", ingressOfflineImage.tags[0]!])
    ).stdout.trim();
    try {
      // exit codes are the point here: the client that does not throw on a failed command
      const exec = (args: string[]) =>
        run("docker", ["--host", `unix://${dir}/docker.sock`, "exec", cid, ...args], {
          reject: false,
          timeoutMs: 60_000,
        });
      const closed = await exec(argv);
      expect(closed.exitCode).toBe(1);
      const on80 = argv.map((a) => (a === "443" ? "80" : a));
      expect(on80).not.toEqual(argv);
      const open = await waitFor(
        async () => {
          const r = await exec(on80);
          return r.exitCode === 0
            ? { ok: true, value: r }
            : { ok: false, saw: `exit ${r.exitCode}: ${r.stderr}` };
        },
        { what: "the check passing against Caddy's port 80", timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(open.exitCode).toBe(0);
    } finally {
      await docker(["rm", "-f", cid]);
    }
  });

  it("a store baked at build time serves another dockerd with no docker load", async () => {
    const root = join(dir, "root");
    const images: StoreImage[] = [];
    for (const recipe of [backendImage, ingressOfflineImage]) {
      const a = await buildContainerImage(recipe, {
        debsDir: join(dir, "debs"),
        rootfsDir: "/",
        mtime: new Date(1_735_689_600_000),
      });
      const archive = join(dir, `baked-${archiveFileName(recipe)}`);
      await writeFile(archive, a.bytes);
      images.push({ archive, imageId: a.imageId, tags: recipe.tags });
    }
    await bakeDockerStore({ root, images });
    // only the image store ships: no network IDs, containerd state or volume database
    expect((await readdir(join(root, "var/lib/docker"))).sort()).toEqual([...KEPT_STORE_DIRS].sort());
    // a node's Docker, started on that store, has both images under their IDs and runs them
    const node = await startPrivateDockerd(join(root, "var/lib/docker"), join(dir, "node"));
    daemons.push(node);
    for (const img of images) {
      const id = (await node.docker(["image", "inspect", "--format", "{{.Id}}", img.tags[0]!])).stdout;
      expect(id.trim()).toBe(img.imageId);
    }
    const r = await node.docker([
      "run",
      "--rm",
      "--network",
      "none",
      "--hostname",
      "baked-1",
      "--entrypoint",
      "/bin/sh",
      backendImage.tags[0]!,
      "-c",
      "backend & sleep 1; wget -q -O - http://127.0.0.1:8080/",
    ]);
    expect(r.stdout).toContain("served by baked-1");
  });
});
