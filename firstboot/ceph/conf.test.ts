import { describe, expect, it } from "vitest";
import { cephConfSections, osdMemoryTarget, renderCephConf } from "./conf.ts";
import { nodeLayout, sandboxLayout } from "./layout.ts";
import { testSpec } from "./test-spec.ts";

const fsid = "0d8f1a5e-4a44-4d52-9a3b-7f0c1d2e3f40";

describe("ceph.conf", () => {
  it("names every monitor with msgr2 and v1 addresses, the subnet and cephx", () => {
    const spec = testSpec(3);
    const text = renderCephConf({ fsid, spec, node: spec.nodes[1]!, layout: nodeLayout() });
    expect(text).toContain(`fsid = ${fsid}\n`);
    expect(text).toContain(
      "mon_host = [v2:198.18.0.11:3300,v1:198.18.0.11:6789],[v2:198.18.0.12:3300,v1:198.18.0.12:6789],[v2:198.18.0.13:3300,v1:198.18.0.13:6789]\n",
    );
    expect(text).toContain("mon_initial_members = node1,node2,node3\n");
    expect(text).toContain("public_network = 198.18.0.0/24\n");
    for (const k of ["auth_cluster_required", "auth_service_required", "auth_client_required"])
      expect(text).toContain(`${k} = cephx\n`);
    expect(text).toContain("ms_bind_msgr2 = true\n");
    expect(text).toContain("mon_allow_pool_delete = false\n");
    expect(text).toContain("auth_allow_insecure_global_id_reclaim = false\n");
    expect(text).toMatch(/\[mon\]\nmon_lease = 20\nmon_lease_renew_interval_factor = 0.3\n/);
    expect(text).toMatch(/\[osd\]\ncrush_location = root=default host=node2\n/);
    // A dead node's CephFS session is evicted even while an OSD counts as laggy.
    expect(text).toMatch(/\[mds\]\ndefer_client_eviction_on_laggy_osds = false\n/);
    // Node paths are Ceph's defaults: nothing relocated.
    expect(text).not.toContain("run_dir");
  });

  it("takes pool size and min_size from the spec", () => {
    const spec = testSpec(5, (s) => {
      s.storage = { mode: "ceph", ceph: { poolSize: 2, poolMinSize: 1 } };
    });
    const g = cephConfSections({ fsid, spec, node: spec.nodes[0]!, layout: nodeLayout() }).global!;
    expect(g["osd_pool_default_size"]).toBe(2);
    expect(g["osd_pool_default_min_size"]).toBe(1);
    // Only the 3 managers are monitors even with 5 nodes.
    expect(String(g["mon_initial_members"])).toBe("node1,node2,node3");
  });

  it("sets the slow heartbeat warning only when the spec names one", () => {
    const spec = testSpec(3);
    const plain = cephConfSections({ fsid, spec, node: spec.nodes[0]!, layout: nodeLayout() }).global!;
    expect(plain).not.toHaveProperty("mon_warn_on_slow_ping_time");
    const slow = testSpec(3, (s) => {
      s.storage = { mode: "ceph", ceph: { slowHeartbeatWarnMs: 10_000 } };
    });
    const text = renderCephConf({ fsid, spec: slow, node: slow.nodes[0]!, layout: nodeLayout() });
    expect(text).toContain("mon_warn_on_slow_ping_time = 10000\n");
  });

  it("relocates daemon data, sockets and logs in a sandbox and merges extra options", () => {
    const spec = testSpec(3);
    const text = renderCephConf({
      fsid,
      spec,
      node: spec.nodes[0]!,
      layout: sandboxLayout("/tmp/x/node1", "sft1"),
      osdMemoryTargetBytes: 1 << 30,
      extra: { global: { mon_data_avail_warn: 2 } },
    });
    expect(text).toContain("mon_data = /tmp/x/node1/mon/$cluster-$id\n");
    expect(text).toContain("admin_socket = /tmp/x/node1/run/$cluster-$name.asok\n");
    expect(text).toContain("[client.admin]\nkeyring = /tmp/x/node1/etc/sft1.client.admin.keyring\n");
    expect(text).toContain("osd_memory_target = 1073741824\n");
    expect(text).toContain("mon_data_avail_warn = 2\n");
  });

  it("rejects a malformed fsid as a bug", () => {
    const spec = testSpec(3);
    expect(() => renderCephConf({ fsid: "nope", spec, node: spec.nodes[0]!, layout: nodeLayout() })).toThrow(
      /bug: fsid/,
    );
  });

  it("sizes the OSD memory target between Ceph's minimum and default", () => {
    expect(osdMemoryTarget(3 * 1024 ** 3, 1)).toBe(896 * 1024 * 1024);
    expect(osdMemoryTarget(8 * 1024 ** 3, 1)).toBe(2 * 1024 ** 3);
    expect(osdMemoryTarget(64 * 1024 ** 3, 1)).toBe(4 * 1024 ** 3);
  });
});
