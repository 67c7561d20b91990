import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { DockerClient } from "./client.ts";
import { isDockerError } from "./errors.ts";
import { Secret } from "./secret.ts";

// Failure modes a healthy dockerd will not produce on demand (a hang, a cut-off answer,
// an error inside a 200 stream) come from a real HTTP server on a unix socket. Everything
// a real daemon does is tested against real dockerd in client.netns.test.ts.
let server: Server | undefined;
let dir: string | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(handler: RequestListener): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), "sf-docker-"));
  const socket = join(dir, "docker.sock");
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(socket, r));
  return socket;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );

describe("Docker transport", () => {
  it("reports a missing socket as unreachable", async () => {
    const c = new DockerClient({ socketPath: "/nonexistent/docker.sock" });
    const e = await failure(c.ping());
    expect(isDockerError(e, "unreachable")).toBe(true);
  });

  it("gives up after its timeout on a daemon that never answers", async () => {
    const socket = await serve(() => {});
    const c = new DockerClient({ socketPath: socket, timeoutMs: 200 });
    const t = Date.now();
    const e = await failure(c.info());
    expect(isDockerError(e, "timeout")).toBe(true);
    expect(Date.now() - t).toBeLessThan(2_000);
  });

  it("stops when the caller aborts, before or during the call", async () => {
    const socket = await serve(() => {});
    const c = new DockerClient({ socketPath: socket });
    expect(isDockerError(await failure(c.info({ signal: AbortSignal.abort() })), "aborted")).toBe(true);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(isDockerError(await failure(c.info({ signal: ac.signal })), "aborted")).toBe(true);
  });

  it("reports an answer cut off in the middle as a protocol error", async () => {
    const socket = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"ID":');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const e = await failure(new DockerClient({ socketPath: socket }).info());
    expect(isDockerError(e, "protocol")).toBe(true);
  });

  it("raises an error Docker reports inside a 200 image-load stream", async () => {
    let got = 0;
    const socket = await serve((req, res) => {
      req.on("data", (b: Buffer) => (got += b.length));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          `${JSON.stringify({ errorDetail: { message: "unexpected EOF" }, error: "unexpected EOF" })}\n`,
        );
      });
    });
    const e = await failure(new DockerClient({ socketPath: socket }).imageLoad(new Uint8Array(4096)));
    expect(isDockerError(e, "server")).toBe(true);
    expect((e as Error).message).toContain("unexpected EOF");
    expect(got).toBe(4096);
  });
});

describe("Secret", () => {
  it("prints as redacted everywhere but reveal()", () => {
    const s = new Secret("SWMTKN-1-abc");
    expect(`${s}`).toBe("<redacted>");
    expect(JSON.stringify({ s })).toBe('{"s":"<redacted>"}');
    expect(inspect({ s })).not.toContain("abc");
    expect(s.reveal()).toBe("SWMTKN-1-abc");
  });
});
