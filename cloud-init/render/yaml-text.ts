/**
 * YAML output shared by the renderers: block style, no line folding, no anchors, and
 * YAML 1.1 quoting because cloud-init reads these files with PyYAML (YAML 1.1), which
 * turns an unquoted MAC like 52:54:00:00:00:12 into a base-60 integer.
 */
import { stringify } from "yaml";

/** Renders a value as a YAML document body (no header). */
export function toYaml(value: unknown): string {
  // lineWidth 0: never fold long lines (SSH keys, base64); aliasDuplicateObjects off: the
  // same object used twice must be written twice, cloud-init's loader is not the point.
  return stringify(value, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}
