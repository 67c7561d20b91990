import { describe, expect, it } from "vitest";
import { checkIfName, newRunId } from "./names.ts";
import { hostAddress, nthHost, parseTestSubnet } from "./subnet.ts";
import { qemuTapArgs } from "./tap.ts";

describe("test network names", () => {
  it("gives every run a fresh id under its prefix", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRunId("sft-")));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^sft-[a-z0-9]{6}$/);
    expect(() => newRunId("Bad Prefix")).toThrow(/prefix/);
  });

  it("refuses interface names Linux would refuse", () => {
    expect(checkIfName("vp12")).toBe("vp12");
    expect(() => checkIfName("a-name-that-is-too-long")).toThrow(/1-15/);
    expect(() => checkIfName("a b")).toThrow();
  });
});

describe("test subnets", () => {
  it("accepts only subnets inside 198.18.0.0/15", () => {
    expect(parseTestSubnet("198.19.4.0/24").cidr).toBe("198.19.4.0/24");
    expect(parseTestSubnet("198.18.0.7/24").cidr).toBe("198.18.0.0/24");
    for (const bad of ["10.0.0.0/24", "198.20.0.0/24", "198.16.0.0/14", "198.18.0.0", "nonsense"]) {
      expect(() => parseTestSubnet(bad)).toThrow(/198.18.0.0\/15/);
    }
  });

  it("checks host addresses and numbers hosts", () => {
    const net = parseTestSubnet("198.18.0.0/24");
    expect(hostAddress(net, "198.18.0.11")).toBe("198.18.0.11/24");
    expect(() => hostAddress(net, "198.18.1.11")).toThrow(/not a host address/);
    expect(() => hostAddress(net, "198.18.0.0")).toThrow(/not a host address/);
    expect(nthHost(net, 11)).toBe("198.18.0.11");
  });
});

describe("qemuTapArgs", () => {
  it("builds a virtio NIC on the tap and checks the MAC", () => {
    expect(qemuTapArgs({ name: "tap0", ns: "x" }, "52:54:00:12:34:56")).toEqual([
      "-netdev",
      "tap,id=n0,ifname=tap0,script=no,downscript=no",
      "-device",
      "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56",
    ]);
    expect(() => qemuTapArgs({ name: "tap0", ns: "x" }, "52:54:00")).toThrow(/MAC/);
  });
});
