/** Boot configuration: cloud-init files, seeds for each platform, Ignition. */
export { decodeDataUrl } from "./ignition/data-url.ts";
export {
  DEFAULT_IGNITION_VERSION,
  IGNITION_VERSIONS,
  type IgnitionConfig,
  type IgnitionVersion,
} from "./ignition/model.ts";
export { ignitionModel, renderIgnition } from "./ignition/render.ts";
export { type NodeBootConfig, renderNodeBootConfig } from "./render/boot-config.ts";
export { renderMetaData } from "./render/meta-data.ts";
export { CLUSTER_NIC_ID, renderNetworkConfig } from "./render/network-config.ts";
export { renderNodeConfig, renderUserData } from "./render/user-data.ts";
export { EC2_USER_DATA_LIMIT, encodeEc2UserData } from "./seed/ec2.ts";
export { NOCLOUD_LABEL, writeIsoSeed } from "./seed/iso.ts";
export { noCloudFiles, type SeedFile } from "./seed/seed-files.ts";
export { writeVfatSeed } from "./seed/vfat.ts";
export {
  SEED_FORMATS,
  type SeedFormat,
  type SeedOutput,
  type SeedRequest,
  writeSeeds,
} from "./seed/write-seeds.ts";
