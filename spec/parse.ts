/**
 * Parsing a spec: YAML text -> schema (types, defaults) -> cross-field rules. Every
 * problem is collected and reported at once with its path, value, line and fix.
 */
import { readFile, stat } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { UserError } from "../lib/errors.ts";
import { formatPath, renderProblem, type SpecProblem } from "./problems.ts";
import { checkRules } from "./rules.ts";
import { type ClusterSpec, clusterSpecSchema } from "./schema.ts";

/** The result of parsing a spec: a value or every problem found. */
export type SpecParseResult =
  | { ok: true; spec: ClusterSpec; warnings: string[] }
  | { ok: false; problems: SpecProblem[] };

/** Parses spec YAML text (pure). */
export function parseSpecText(text: string): SpecParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: "(yaml)",
        line: lineCounter.linePos(e.pos[0]).line,
        message: `malformed YAML: ${e.message.split("\n")[0]}`,
        fix: "fix the YAML syntax at that line (indentation, a missing ':' or an unclosed quote)",
      })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [
        { path: "(root)", message: "the spec must be a YAML mapping", fix: "start from `swarmforge init`" },
      ],
    };
  }
  return parseSpecValue(raw, (path) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  });
}

/** Validates an already-decoded value (JSON or YAML) against the schema and rules. */
export function parseSpecValue(
  raw: unknown,
  lineOf: (path: PropertyKey[]) => number | undefined = () => undefined,
): SpecParseResult {
  const r = clusterSpecSchema.safeParse(raw);
  if (!r.success) {
    return { ok: false, problems: r.error.issues.flatMap((i) => issueToProblems(i, raw, lineOf)) };
  }
  const spec = applyDerivedDefaults(r.data);
  const problems = checkRules(spec);
  if (problems.length > 0) {
    for (const p of problems) p.line ??= lineOf(pathToKeys(p.path));
    return { ok: false, problems };
  }
  return { ok: true, spec, warnings: [] };
}

/** Reads and parses a spec file; throws a UserError listing every problem. */
export async function loadSpecFile(file: string): Promise<{ spec: ClusterSpec; warnings: string[] }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      "SPEC_UNREADABLE",
      `cannot read spec ${file}: ${code ?? String(e)}`,
      code === "ENOENT"
        ? "create one with `swarmforge init --out " + file + "`"
        : "check the path and its permissions",
    );
  }
  const r = parseSpecText(text);
  if (!r.ok) {
    throw new UserError(
      "SPEC_INVALID",
      `${file} has ${r.problems.length} problem(s)`,
      "fix each problem listed above and run `swarmforge validate` again",
      r.problems.map(renderProblem),
    );
  }
  const warnings = [...r.warnings];
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0)
    warnings.push(
      `${file} holds cluster secrets but is readable by others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${file}`,
    );
  return { spec: r.spec, warnings };
}

/** Fills defaults that depend on other fields (managers, seeds, storage mode). */
function applyDerivedDefaults(p: z.output<typeof clusterSpecSchema>): ClusterSpec {
  const n = p.nodes.length;
  const managers = p.managers ?? (n >= 3 ? 3 : 1);
  const mode = p.storage.mode ?? (n >= 3 ? "ceph" : "local");
  const seeds = p.seeds ?? p.nodes.slice(0, managers).map((nd) => nd.address);
  return { ...p, managers, seeds, storage: { ...p.storage, mode } };
}

function pathToKeys(path: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return keys;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function issueToProblems(
  issue: z.core.$ZodIssue,
  raw: unknown,
  lineOf: (path: PropertyKey[]) => number | undefined,
): SpecProblem[] {
  const path = issue.path as PropertyKey[];
  const value = valueAt(raw, path);
  const base = { path: formatPath(path), line: lineOf(path) };
  const shown = value === undefined ? undefined : JSON.stringify(value);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({
        path: formatPath([...path, k]),
        line: lineOf([...path, k]),
        message: "is not a known key",
        fix: `remove "${k}" or correct its spelling (see spec/cluster-spec.schema.json for the known keys)`,
      }));
    case "invalid_type": {
      if (value === undefined) {
        const isSecret = path[0] === "secrets";
        return [
          {
            ...base,
            message: "is missing",
            fix: isSecret
              ? "run `swarmforge init` to make a spec with fresh secrets, or copy the secrets of this cluster into the file"
              : `add ${formatPath(path)} (${issue.expected})`,
          },
        ];
      }
      return [
        {
          ...base,
          value: shown,
          message: `must be ${article(issue.expected)}`,
          fix: `write ${article(issue.expected)} here`,
        },
      ];
    }
    case "invalid_value":
      return [
        {
          ...base,
          value: shown,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
          fix: `use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        },
      ];
    case "invalid_union":
      return [
        {
          ...base,
          value: shown,
          message: "has a value that is not allowed",
          fix: "see the field's description in spec/cluster-spec.schema.json",
        },
      ];
    default:
      return [{ ...base, value: shown, message: issue.message, fix: fixFor(issue) }];
  }
}

function fixFor(issue: z.core.$ZodIssue): string {
  if (issue.code === "too_small" && issue.origin === "string")
    return `use at least ${issue.minimum} characters`;
  if (issue.code === "too_small" && issue.origin === "array") return `list at least ${issue.minimum} item(s)`;
  if (issue.code === "too_small" || issue.code === "too_big")
    return `use a value within the allowed range (${issue.message})`;
  return `change the value so it ${issue.message.replace(/^must /, "is ")}`.replace(/is be /, "is ");
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
