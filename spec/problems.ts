/** A problem found in a spec: where, what was there, what is wrong, and how to fix it. */

/** One problem in a spec file. */
export interface SpecProblem {
  /** Dotted path such as `nodes[1].address`, or `(file)` / `(yaml)`. */
  path: string;
  /** The offending value as it appeared (JSON), when there was one. */
  value?: string;
  message: string;
  fix: string;
  /** 1-based line in the YAML file, when known. */
  line?: number;
}

/** Formats a path array as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(root)";
}

/** Renders one problem on one or two lines for a terminal. */
export function renderProblem(p: SpecProblem): string {
  const where = p.line ? `${p.path} (line ${p.line})` : p.path;
  const value = p.value === undefined ? "" : ` (got ${p.value})`;
  return `${where}: ${p.message}${value}\n    fix: ${p.fix}`;
}
