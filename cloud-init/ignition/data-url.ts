/** RFC 2397 data URLs for Ignition file contents. */

/** `data:;base64,...` for `content` (base64 keeps any byte and any newline intact). */
export function dataUrl(content: string | Uint8Array): string {
  return `data:;base64,${Buffer.from(content).toString("base64")}`;
}

/** Decodes a base64 data URL back to bytes (for checks); throws on anything else. */
export function decodeDataUrl(url: string): Buffer {
  const m = /^data:[^,]*;base64,([A-Za-z0-9+/=]*)$/.exec(url);
  if (!m) throw new Error(`not a base64 data URL: ${url.slice(0, 40)}...`);
  return Buffer.from(m[1]!, "base64");
}
