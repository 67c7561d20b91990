/**
 * keepalived.conf from the spec and the current membership: one VRRP instance that every
 * node runs as BACKUP with nopreempt, so the first node to win keeps the VIP until it
 * fails (no flapping back when a higher-priority node returns). Peers are unicast because
 * cloud and bridged networks often drop multicast.
 */
import { UserError } from "../../lib/errors.ts";
import type { ClusterSpec } from "../../spec/index.ts";
import { parseCidr } from "../../spec/ipv4.ts";

/** Everything the renderer needs, already resolved (pure input). */
export interface KeepalivedInput {
  /** This node's name (router_id, for logs). */
  nodeName: string;
  /** This node's address on the cluster NIC. */
  selfAddress: string;
  /** Every other current cluster member's address. */
  peers: readonly string[];
  /** VRRP priority, 1-254 (higher wins an election). */
  priority: number;
  virtualRouterId: number;
  /** At most 8 characters: keepalived's PASS authentication ignores the rest. */
  authPass: string;
  vip: string;
  prefixLength: number;
  /** The cluster NIC the VIP lives on. */
  interfaceName: string;
  /** Local port whose TCP accept proves this node serves ingress traffic. */
  healthPort: number;
  /** VRRP advertisement interval in seconds; failover takes about 3 of them. */
  advertIntervalSec: number;
}

/** Highest priority we hand out; 255 is reserved by VRRP for the address owner. */
const TOP_PRIORITY = 250;

/** Priority of the node at `rank` (0 = first in the spec): distinct, never below 1. */
export function priorityForRank(rank: number): number {
  return Math.max(1, TOP_PRIORITY - rank);
}

/**
 * Resolves the renderer input for this node from the spec and the current members'
 * addresses (the spec's nodes when no membership is known yet). Rank follows spec order;
 * members that are not in the spec (should not happen) rank after every spec node.
 */
export function keepalivedInputFromSpec(
  spec: ClusterSpec,
  nodeName: string,
  opts: { interfaceName: string; members?: readonly string[]; healthPort?: number },
): KeepalivedInput {
  const index = spec.nodes.findIndex((n) => n.name === nodeName);
  const self = spec.nodes[index];
  if (!self) {
    throw new UserError(
      "KEEPALIVED_UNKNOWN_NODE",
      `node ${JSON.stringify(nodeName)} is not in the cluster spec`,
      "check the node name in /etc/swarmforge/node.yaml against spec nodes[].name",
    );
  }
  const members = opts.members ?? spec.nodes.map((n) => n.address);
  const subnet = parseCidr(spec.network.subnet);
  if (!subnet) throw new Error(`bug: the parsed spec has a malformed subnet ${spec.network.subnet}`);
  return {
    nodeName,
    selfAddress: self.address,
    peers: [...new Set(members)].filter((a) => a !== self.address).sort(compareAddresses),
    priority: priorityForRank(index),
    virtualRouterId: spec.network.vrrpRouterId,
    authPass: vrrpAuthPass(spec.secrets.vrrpPassword),
    vip: spec.network.vip,
    prefixLength: subnet.prefix,
    interfaceName: opts.interfaceName,
    healthPort: opts.healthPort ?? 443,
    advertIntervalSec: 1,
  };
}

/** The first 8 characters of the VRRP password, refused when keepalived would misread it. */
export function vrrpAuthPass(password: string): string {
  const pass = password.slice(0, 8);
  // keepalived splits on blanks and treats '#' and '!' as comment starts; quotes are kept.
  if (!/^[A-Za-z0-9_.,:;+=@%^&*()[\]{}<>/?~|$-]{1,8}$/.test(pass)) {
    throw new UserError(
      "KEEPALIVED_BAD_PASSWORD",
      "the first 8 characters of secrets.vrrpPassword contain a blank, quote, '#' or '!', which keepalived cannot read",
      "use letters, digits, '-' or '_' in secrets.vrrpPassword (swarmforge init makes one)",
    );
  }
  return pass;
}

/** Renders keepalived.conf (pure). The text holds the VRRP password: write it mode 0600. */
export function renderKeepalivedConfig(k: KeepalivedInput): string {
  checkInput(k);
  const peers = k.peers.map((p) => `    ${p}`);
  return [
    "# Written by the swarmforge agent; rewritten whenever cluster membership changes.",
    "global_defs {",
    `  router_id ${k.nodeName}`,
    // keepalived refuses scripts a non-root user could edit. The script runs as root:
    // keepalived 2.2.7's `-t` kills itself (SIGTERM, exit 143) when script_user is not
    // root, so a config with an unprivileged script user could never be validated.
    "  enable_script_security",
    "  script_user root",
    "}",
    "",
    // TCP accept on the local ingress port: with the routing mesh this succeeds only
    // when this node's mesh forwards to a live ingress task, which is what the VIP needs.
    // Three misses in a row (about 9 s) before the node gives the VIP up: on a loaded node
    // (3 VMs under TCG) single checks time out now and then, and two in a row took the VIP
    // off every node at once (docs/ingress.md). A dead holder is still found by VRRP itself.
    // No timeout(1) around bash: keepalived's own `timeout` kills a check that hangs (its
    // process group, SIGTERM then SIGKILL), and every exec counts on a small node: in a
    // 3-VM TCG lab, one less every 3 s took keepalived from 6 % to 4 % of a node's CPU.
    "vrrp_script chk_ingress {",
    `  script "/bin/bash -c '</dev/tcp/127.0.0.1/${k.healthPort}'"`,
    "  interval 3",
    "  timeout 5",
    "  rise 2",
    "  fall 3",
    "}",
    "",
    "vrrp_instance swarmforge_vip {",
    // Everyone starts BACKUP; with nopreempt the holder keeps the VIP until it fails.
    "  state BACKUP",
    "  nopreempt",
    `  interface ${k.interfaceName}`,
    `  virtual_router_id ${k.virtualRouterId}`,
    `  priority ${k.priority}`,
    `  advert_int ${k.advertIntervalSec}`,
    // keepalived refuses unicast_src_ip without peers; a lone node advertises by multicast,
    // which nobody else on the LAN answers (its router id is the cluster's).
    ...(peers.length > 0 ? [`  unicast_src_ip ${k.selfAddress}`, "  unicast_peer {", ...peers, "  }"] : []),
    "  authentication {",
    "    auth_type PASS",
    `    auth_pass ${k.authPass}`,
    "  }",
    "  virtual_ipaddress {",
    `    ${k.vip}/${k.prefixLength} dev ${k.interfaceName}`,
    "  }",
    "  track_script {",
    "    chk_ingress",
    "  }",
    "}",
    "",
  ].join("\n");
}

function checkInput(k: KeepalivedInput): void {
  const bad = (what: string) => new Error(`bug: keepalived input has ${what}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(k.nodeName)) throw bad(`a bad node name ${k.nodeName}`);
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(k.interfaceName)) throw bad(`a bad interface ${k.interfaceName}`);
  if (!Number.isInteger(k.priority) || k.priority < 1 || k.priority > 254)
    throw bad(`priority ${k.priority}`);
  for (const a of [k.selfAddress, k.vip, ...k.peers]) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) throw bad(`a bad address ${a}`);
  }
  if (k.peers.includes(k.selfAddress)) throw bad("itself among its peers");
  vrrpAuthPass(k.authPass);
}

function compareAddresses(a: string, b: string): number {
  const n = (s: string) => s.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
  return n(a) - n(b);
}
