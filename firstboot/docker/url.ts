/** Request paths for the Engine API: version prefix and query strings. */

/** The Engine API version Debian 12's docker.io (20.10) speaks. */
export const API_VERSION = "1.41";

/** Query values; undefined ones are left out, objects are JSON (Docker's `filters`). */
export type Query = Record<string, string | number | boolean | undefined | Record<string, unknown>>;

/** Builds `/v1.41/path?query` with every value encoded. */
export function apiPath(path: string, query: Query = {}, version = API_VERSION): string {
  if (!path.startsWith("/")) throw new Error(`API path must start with "/": ${path}`);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  const qs = params.toString();
  return `/v${version}${path}${qs ? `?${qs}` : ""}`;
}

/** Encodes one path segment (an object id or name). */
export function seg(value: string): string {
  if (value === "") throw new Error("empty path segment");
  return encodeURIComponent(value);
}
