/**
 * A typed Docker Engine API client over the unix socket: the calls the agent needs for
 * Swarm (info, init, join, leave, nodes, services) and for loading image archives.
 * No CLI, no output parsing; every call has a timeout and takes an AbortSignal.
 */
import { DockerError, isDockerError } from "./errors.ts";
import { revealed, Secret } from "./secret.ts";
import { type Body, type CallOptions, parseJson, request } from "./transport.ts";
import type {
  Filters,
  ImageInfo,
  NodeSpec,
  SwarmInspect,
  SwarmNode,
  SwarmService,
  SwarmTask,
  SystemInfo,
  VersionInfo,
} from "./types.ts";
import { API_VERSION, apiPath, type Query, seg } from "./url.ts";

/** Where dockerd listens on a node. */
export const DEFAULT_SOCKET = "/var/run/docker.sock";

/** Options for {@link DockerClient}. */
export interface DockerClientOptions {
  socketPath?: string;
  /** Default timeout for each call (ms). */
  timeoutMs?: number;
  apiVersion?: string;
}

/** Arguments of `swarm init`. Addresses are the node's cluster address. */
export interface SwarmInitRequest {
  /** Where the manager listens for swarm traffic, e.g. "0.0.0.0:2377" or "198.18.0.11:2377". */
  listenAddr: string;
  advertiseAddr: string;
  dataPathAddr?: string;
  /** Address pools for overlay networks (CIDRs) and the size of each network. */
  defaultAddrPool?: string[];
  subnetSize?: number;
  /** Only for an explicit operator recovery, never automatic. */
  forceNewCluster?: boolean;
  spec?: Record<string, unknown>;
}

/** Arguments of `swarm join`. */
export interface SwarmJoinRequest {
  /** Managers to contact ("addr:2377"). */
  remoteAddrs: string[];
  /** The worker or manager token: decides the role the node joins with. */
  joinToken: Secret | string;
  listenAddr?: string;
  advertiseAddr: string;
  dataPathAddr?: string;
}

/** The result of loading an image archive. */
export interface ImageLoadResult {
  /** "name:tag" (or image ids) Docker reported as loaded. */
  loaded: string[];
}

// Init and join wait for raft: they get longer than ordinary calls.
const SWARM_CHANGE_TIMEOUT_MS = 90_000;
const IMAGE_LOAD_TIMEOUT_MS = 600_000;

/** The Engine API on one unix socket. */
export class DockerClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;
  private readonly apiVersion: string;

  constructor(opts: DockerClientOptions = {}) {
    this.socketPath = opts.socketPath ?? DEFAULT_SOCKET;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.apiVersion = opts.apiVersion ?? API_VERSION;
  }

  /** `GET /_ping`: resolves when the daemon answers "OK". */
  async ping(opts: CallOptions = {}): Promise<void> {
    const res = await this.call("GET", "/_ping", {}, undefined, opts);
    if (res.text.trim() !== "OK") {
      throw new DockerError("protocol", "GET", "/_ping", `unexpected answer ${JSON.stringify(res.text)}`);
    }
  }

  /** `GET /version`. */
  version(opts: CallOptions = {}): Promise<VersionInfo> {
    return this.json("GET", "/version", {}, undefined, opts);
  }

  /** `GET /info`: identity and swarm state (NodeID, LocalNodeState, ControlAvailable, Cluster.ID). */
  info(opts: CallOptions = {}): Promise<SystemInfo> {
    return this.json("GET", "/info", {}, undefined, opts);
  }

  /** `GET /swarm` (managers only): the cluster and its join tokens, wrapped so they cannot be logged. */
  async swarmInspect(opts: CallOptions = {}): Promise<SwarmInspect<Secret>> {
    const raw = await this.json<SwarmInspect>("GET", "/swarm", {}, undefined, opts);
    return {
      ...raw,
      JoinTokens: { Worker: new Secret(raw.JoinTokens.Worker), Manager: new Secret(raw.JoinTokens.Manager) },
    };
  }

  /** `POST /swarm/init`: creates a new swarm with this node as its first manager; returns the node ID. */
  swarmInit(req: SwarmInitRequest, opts: CallOptions = {}): Promise<string> {
    const body = {
      ListenAddr: req.listenAddr,
      AdvertiseAddr: req.advertiseAddr,
      DataPathAddr: req.dataPathAddr,
      DefaultAddrPool: req.defaultAddrPool,
      SubnetSize: req.subnetSize,
      ForceNewCluster: req.forceNewCluster ?? false,
      Spec: req.spec ?? {},
    };
    return this.json("POST", "/swarm/init", {}, { json: body }, this.longer(opts, SWARM_CHANGE_TIMEOUT_MS));
  }

  /** `POST /swarm/join`: joins an existing swarm (as manager or worker, by token). */
  async swarmJoin(req: SwarmJoinRequest, opts: CallOptions = {}): Promise<void> {
    const body = {
      ListenAddr: req.listenAddr ?? "0.0.0.0:2377",
      AdvertiseAddr: req.advertiseAddr,
      DataPathAddr: req.dataPathAddr,
      RemoteAddrs: req.remoteAddrs,
      JoinToken: revealed(req.joinToken),
    };
    await this.call("POST", "/swarm/join", {}, { json: body }, this.longer(opts, SWARM_CHANGE_TIMEOUT_MS));
  }

  /** `POST /swarm/leave`; `force` is needed on a manager. */
  async swarmLeave(force = false, opts: CallOptions = {}): Promise<void> {
    await this.call("POST", "/swarm/leave", { force }, undefined, this.longer(opts, SWARM_CHANGE_TIMEOUT_MS));
  }

  /** `GET /nodes` (managers only). */
  nodeList(filters?: Filters, opts: CallOptions = {}): Promise<SwarmNode[]> {
    return this.json("GET", "/nodes", { filters }, undefined, opts);
  }

  /** `GET /nodes/{id}` (managers only); `id` may be a node ID or hostname. */
  nodeInspect(id: string, opts: CallOptions = {}): Promise<SwarmNode> {
    return this.json("GET", `/nodes/${seg(id)}`, {}, undefined, opts);
  }

  /**
   * `POST /nodes/{id}/update`: replaces the node's spec (role, availability, labels).
   * `version` must be the `Version.Index` just read; a stale one fails "out-of-sequence".
   */
  async nodeUpdate(id: string, version: number, spec: NodeSpec, opts: CallOptions = {}): Promise<void> {
    await this.call("POST", `/nodes/${seg(id)}/update`, { version }, { json: spec }, opts);
  }

  /**
   * Reads a node, changes its spec with `change` and writes it back, retrying when
   * another writer got in between (out-of-sequence). Returns the spec written.
   */
  async modifyNode(
    id: string,
    change: (spec: NodeSpec) => NodeSpec,
    opts: CallOptions = {},
  ): Promise<NodeSpec> {
    for (let attempt = 1; ; attempt++) {
      const node = await this.nodeInspect(id, opts);
      const spec = change(structuredClone(node.Spec));
      try {
        await this.nodeUpdate(id, node.Version.Index, spec, opts);
        return spec;
      } catch (e) {
        if (!isDockerError(e, "out-of-sequence") || attempt >= 5) throw e;
      }
    }
  }

  /** `DELETE /nodes/{id}`: removes a node; `force` removes one that is still up. */
  async nodeRemove(id: string, force = false, opts: CallOptions = {}): Promise<void> {
    await this.call("DELETE", `/nodes/${seg(id)}`, { force }, undefined, opts);
  }

  /** `GET /services` (managers only). */
  serviceList(filters?: Filters, opts: CallOptions = {}): Promise<SwarmService[]> {
    return this.json("GET", "/services", { filters }, undefined, opts);
  }

  /** `GET /tasks` (managers only), e.g. filtered by `service` (IDs or names). */
  taskList(filters?: Filters, opts: CallOptions = {}): Promise<SwarmTask[]> {
    return this.json("GET", "/tasks", { filters }, undefined, opts);
  }

  /** `GET /services/{id}`; `id` may be an ID or name. */
  serviceInspect(id: string, opts: CallOptions = {}): Promise<SwarmService> {
    return this.json("GET", `/services/${seg(id)}`, {}, undefined, opts);
  }

  /** `GET /images/{name}/json`: an image by name or ID (not-found when it is not there). */
  imageInspect(name: string, opts: CallOptions = {}): Promise<ImageInfo> {
    return this.json("GET", `/images/${seg(name)}/json`, {}, undefined, opts);
  }

  /**
   * `POST /images/load`: loads a `docker save` (or OCI) tar archive. Docker reports
   * failures inside a 200 stream, so the stream is read and its errors raised.
   */
  async imageLoad(
    tar: Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
    opts: CallOptions = {},
  ): Promise<ImageLoadResult> {
    const path = apiPath("/images/load", {}, this.apiVersion);
    const body: Body = {
      raw: tar as Uint8Array | AsyncIterable<Uint8Array>,
      contentType: "application/x-tar",
    };
    const res = await this.call("POST", "/images/load", {}, body, this.longer(opts, IMAGE_LOAD_TIMEOUT_MS));
    const loaded: string[] = [];
    for (const line of res.text.split("\n")) {
      if (!line.trim()) continue;
      let msg: { stream?: string; error?: string; errorDetail?: { message?: string } };
      try {
        msg = JSON.parse(line);
      } catch {
        throw new DockerError(
          "protocol",
          "POST",
          path,
          `bad progress line: ${line.slice(0, 200)}`,
          res.status,
        );
      }
      if (msg.error || msg.errorDetail) {
        throw new DockerError(
          "server",
          "POST",
          path,
          msg.errorDetail?.message ?? msg.error ?? "",
          res.status,
        );
      }
      const m = /^Loaded image(?: ID)?: (\S+)/.exec(msg.stream?.trim() ?? "");
      if (m) loaded.push(m[1]!);
    }
    return { loaded };
  }

  private longer(opts: CallOptions, timeoutMs: number): CallOptions {
    return { ...opts, timeoutMs: opts.timeoutMs ?? timeoutMs };
  }

  private call(method: string, path: string, query: Query, body: Body | undefined, opts: CallOptions) {
    return request(this.socketPath, method, apiPath(path, query, this.apiVersion), body, {
      ...opts,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
    });
  }

  private async json<T>(
    method: string,
    path: string,
    query: Query,
    body: Body | undefined,
    opts: CallOptions,
  ) {
    const res = await this.call(method, path, query, body, opts);
    return parseJson<T>(method, path, res);
  }
}
