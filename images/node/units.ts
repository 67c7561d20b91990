/** The systemd units the node image ships (data only). */
import type { UnitFile } from "../recipe.ts";

/**
 * The node agent. Ordered after cloud-final (cloud-init has written
 * /etc/swarmforge/node.yaml by then) and after docker and the image loader. It is
 * wanted by cloud-init.target, not multi-user.target: cloud-final.service is ordered
 * after multi-user.target, so hanging the agent on multi-user would be an ordering cycle.
 */
export const agentUnit: UnitFile = {
  name: "swarmforge-agent.service",
  wantedBy: ["cloud-init.target"],
  content: `[Unit]
Description=swarmforge node agent
Wants=network-online.target docker.service swarmforge-load-images.service
After=network-online.target cloud-init.target cloud-final.service docker.service swarmforge-load-images.service chrony.service
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
 * Loads the container images baked under /usr/share/swarmforge/images into docker
 * before the agent starts, so stacks deploy with no registry reachable.
 */
export const loadImagesUnit: UnitFile = {
  name: "swarmforge-load-images.service",
  wantedBy: ["multi-user.target"],
  content: `[Unit]
Description=Load swarmforge container images baked into the node image
Requires=docker.service
After=docker.service
Before=swarmforge-agent.service
ConditionDirectoryNotEmpty=/usr/share/swarmforge/images

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/lib/swarmforge/load-images.sh

[Install]
WantedBy=multi-user.target
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

/** Every unit the node image ships. */
export const nodeUnits: UnitFile[] = [agentUnit, loadImagesUnit, sshHostKeysUnit];
