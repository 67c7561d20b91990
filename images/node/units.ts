/** The systemd units the node image ships (data only). */
import { FIREWALL_UNIT_NAME, renderFirewallUnit } from "../../firstboot/firewall/unit.ts";
import type { UnitFile } from "../recipe.ts";

/**
 * The node agent. Ordered after cloud-init.service, the stage that runs write_files and
 * users (a seed's /etc/swarmforge/node.yaml is there by then), and after chrony; not
 * after cloud-final, docker or the image loader: on a small or emulated node those take
 * minutes (docker's first start and `docker load` were 5 of the 12.5 minutes to the agent
 * in a 3-VM TCG run), and the agent's first work (time, Ceph) needs none of them. Docker
 * is not started by the boot at all: the agent's swarm phase starts and enables it once
 * the node's storage is ready; the ingress phase waits for the baked images
 * (docs/image-build.md). Wanted by cloud-init.target, which every boot reaches.
 */
export const agentUnit: UnitFile = {
  name: "swarmforge-agent.service",
  wantedBy: ["cloud-init.target"],
  content: `[Unit]
Description=swarmforge node agent
Wants=network-online.target
After=network-online.target cloud-init.service chrony.service
# Never give up restarting: the agent is what heals the node.
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/bin/node /usr/lib/swarmforge/agent.mjs
Restart=always
RestartSec=5
StateDirectory=swarmforge
StateDirectoryMode=0700
Environment=NODE_ENV=production

[Install]
WantedBy=cloud-init.target
`,
};

/**
 * Loads the container images baked under /usr/share/swarmforge/images into docker, so
 * stacks deploy with no registry reachable. The build already baked them into
 * /var/lib/docker (builder/image/oci/docker-store.ts), so this only does work when that
 * store was wiped or replaced. Wanted by docker.service: it runs whenever
 * Docker starts (the agent starts it at first boot). The agent does not wait for it; its
 * ingress phase deploys only once the images are there.
 */
export const loadImagesUnit: UnitFile = {
  name: "swarmforge-load-images.service",
  wantedBy: ["docker.service"],
  content: `[Unit]
Description=Load swarmforge container images baked into the node image
Requires=docker.service
After=docker.service
ConditionDirectoryNotEmpty=/usr/share/swarmforge/images

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/lib/swarmforge/load-images.sh

[Install]
WantedBy=docker.service
`,
};

/**
 * SSH host keys are never baked into the image: every machine makes its own before
 * sshd first starts (cloud-init's ssh module may replace them again; both are fine).
 */
export const sshHostKeysUnit: UnitFile = {
  name: "swarmforge-ssh-hostkeys.service",
  wantedBy: ["ssh.service", "multi-user.target"],
  content: `[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service multi-user.target
`,
};

/**
 * The firewall's boot unit, baked enabled: it loads the ruleset the agent writes, from the
 * second boot on (a first boot has none yet, so the unit's condition skips it). Baked so
 * the agent's first firewall converge needs no daemon-reload and no implied one in
 * `systemctl enable`: each is tens of seconds of PID 1's CPU on a small or emulated node.
 */
export const firewallUnit: UnitFile = {
  name: FIREWALL_UNIT_NAME,
  wantedBy: ["sysinit.target"],
  content: renderFirewallUnit(),
};

/** Every unit the node image ships. */
export const nodeUnits: UnitFile[] = [agentUnit, loadImagesUnit, sshHostKeysUnit, firewallUnit];
