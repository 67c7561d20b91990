import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import AjvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NODE_CONFIG_PATH, parseSpecValue } from "../../spec/index.ts";
import { secretsOf, specCases } from "../testing/specs.ts";
import { decodeDataUrl } from "./data-url.ts";
import { IGNITION_VERSIONS, type IgnitionConfig } from "./model.ts";
import { renderIgnition } from "./render.ts";
import { WORKER_JOIN_UNIT, workerJoinCredential } from "./worker-join.ts";

// The official schemas live beside the repository (../shared from the repo root).
const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/ignition/", import.meta.url));

function validatorFor(version: string) {
  const file = `${FIXTURES}ignition-v${version.split(".").slice(0, 2).join("_")}.schema.json`;
  if (!existsSync(file))
    throw new Error(
      `the official Ignition schema ${file} is missing: the shared fixtures (../shared/fixtures/ignition from the repo root) must be present for this test`,
    );
  // CommonJS packages: under NodeNext the class and the plugin are their `default` export.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(file, "utf8")));
}

describe("Ignition configs", () => {
  it("the schema fixtures are present (a missing directory fails, never skips)", () => {
    expect(existsSync(FIXTURES), `missing ${FIXTURES}`).toBe(true);
  });

  for (const version of IGNITION_VERSIONS) {
    it(`${version}: every worker of every spec validates against the official schema`, () => {
      const validate = validatorFor(version);
      for (const { label, spec } of specCases()) {
        for (const n of spec.nodes) {
          const text = renderIgnition(spec, n.name, version);
          const cfg = JSON.parse(text) as IgnitionConfig;
          const ok = validate(cfg);
          expect(validate.errors ?? [], `${label} ${n.name}`).toEqual([]);
          expect(ok).toBe(true);
          expect(cfg.ignition.version).toBe(version);

          const files = new Map(cfg.storage!.files!.map((f) => [f.path, f]));
          const nc = files.get(NODE_CONFIG_PATH)!;
          expect(nc.mode).toBe(0o600);
          const nodeConfig = parse(decodeDataUrl(nc.contents!.source).toString("utf8"));
          expect(nodeConfig.node).toBe(n.name);
          const back = parseSpecValue(nodeConfig.cluster);
          expect(back.ok && back.spec).toEqual(spec);
          expect(decodeDataUrl(files.get("/etc/hostname")!.contents!.source).toString()).toBe(`${n.name}\n`);
          const header = files.get("/etc/swarmforge/worker-join.header")!;
          expect(header.mode).toBe(0o600);
          expect(decodeDataUrl(header.contents!.source).toString()).toBe(
            `Authorization: Bearer ${workerJoinCredential(spec.secrets.clusterSecret)}\n`,
          );
          // Every file other than the 0600 ones carries no secret.
          for (const f of cfg.storage!.files!) {
            if (f.mode === 0o600) continue;
            const body = decodeDataUrl(f.contents!.source).toString();
            for (const s of secretsOf(spec)) expect(body, f.path).not.toContain(s);
          }
          const unit = cfg.systemd!.units.find((u) => u.name === WORKER_JOIN_UNIT)!;
          expect(unit.enabled).toBe(true);
          expect(unit.contents).toMatch(/ExecStart=\/etc\/swarmforge\/join-worker\.sh/);
          expect(cfg.systemd!.units).toContainEqual({ name: "docker.service", enabled: true });
          expect(cfg.passwd!.users[0]!.name).toBe("core");
          expect(cfg.passwd!.users[0]!.sshAuthorizedKeys ?? []).toEqual(spec.image.sshKeys);
        }
      }
    });
  }

  it("the validator is real: it rejects a file mode written as a string and a missing version", () => {
    const validate = validatorFor("3.4.0");
    const [c] = specCases();
    const cfg = JSON.parse(renderIgnition(c!.spec, "node1")) as { storage: { files: { mode: unknown }[] } };
    cfg.storage.files[0]!.mode = "0600";
    expect(validate(cfg)).toBe(false);
    expect(validate({ ignition: {} })).toBe(false);
  });

  it("renders 3.4.0 by default", () => {
    const [c] = specCases();
    expect(JSON.parse(renderIgnition(c!.spec, "node1")).ignition.version).toBe("3.4.0");
  });
});
