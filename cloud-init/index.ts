/** Boot configuration: cloud-init files, seeds for each platform, Ignition. */
export { type NodeBootConfig, renderNodeBootConfig } from "./render/boot-config.ts";
export { renderMetaData } from "./render/meta-data.ts";
export { renderNetworkConfig } from "./render/network-config.ts";
export { renderNodeConfig, renderUserData } from "./render/user-data.ts";
