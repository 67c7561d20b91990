/**
 * Reading the node config (`{ node, cluster }`, written at boot by cloud-init) into the
 * typed cluster spec plus this node's entry. Invalid config is a value, not a crash: the
 * agent reports it in its log and status and waits for the file to change.
 */
import { readFile, stat } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { nodeConfigSchema } from "../../spec/node-config.ts";
import { parseSpecValue } from "../../spec/parse.ts";
import { renderProblem, type SpecProblem } from "../../spec/problems.ts";
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";

/** A valid node config: the spec, this node's entry and its index in spec order. */
export interface NodeConfig {
  spec: ClusterSpec;
  node: NodeSpec;
  /** Position of this node in spec.nodes (decides manager/worker and the creator). */
  index: number;
}

/** The outcome of reading the node config. */
export type NodeConfigResult = { ok: true; config: NodeConfig } | { ok: false; error: string };

/** Parses node config text (pure). Never throws; the error lists every problem. */
export function parseNodeConfigText(text: string, source: string): NodeConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    return { ok: false, error: `${source}: malformed YAML: ${(e as Error).message.split("\n")[0]}` };
  }
  const env = nodeConfigSchema.safeParse(raw);
  if (!env.success) {
    const issues = env.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return {
      ok: false,
      error: `${source}: not a node config (want "node: NAME" and "cluster: SPEC"): ${issues.join("; ")}`,
    };
  }
  const r = parseSpecValue(env.data.cluster);
  if (!r.ok) {
    return {
      ok: false,
      error: `${source}: the cluster spec has ${r.problems.length} problem(s): ${r.problems
        .map((p) => renderProblem(withoutSecretValue({ ...p, path: `cluster.${p.path}` })))
        .join("; ")}`,
    };
  }
  const index = r.spec.nodes.findIndex((n) => n.name === env.data.node);
  const node = r.spec.nodes[index];
  if (!node) {
    return {
      ok: false,
      error: `${source}: node ${JSON.stringify(env.data.node)} is not in cluster.nodes (known: ${r.spec.nodes
        .map((n) => n.name)
        .join(", ")}); fix: set "node" to one of those names`,
    };
  }
  return { ok: true, config: { spec: r.spec, node, index } };
}

/** Secrets never reach a log: a problem about one names the path but not the value. */
function withoutSecretValue(p: SpecProblem): SpecProblem {
  if (!p.path.startsWith("cluster.secrets")) return p;
  const { value: _dropped, ...rest } = p;
  return rest;
}

/** A config file as last seen: its modification stamp and parse result. */
export interface ConfigSnapshot {
  stamp: string;
  result: NodeConfigResult;
}

/** Reads the node config file; a missing or unreadable file is an error result. */
export async function readNodeConfig(path: string): Promise<ConfigSnapshot> {
  const stamp = await configStamp(path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return { stamp, result: { ok: false, error: `${path}: cannot read the node config (${code})` } };
  }
  return { stamp, result: parseNodeConfigText(text, path) };
}

/** A stamp that changes when the file changes (mtime, size, inode); "absent" when missing. */
export async function configStamp(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return "absent";
  }
}
