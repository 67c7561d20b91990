import { describe, expect, it } from "vitest";
import { notReadyReason } from "./not-ready.ts";

describe("notReadyReason", () => {
  it("names the boot stage of the SSH failures a booting VM gives", () => {
    const ssh =
      "node1: sudo cat /run/swarmforge/status.json: exit 255: ssh: connect to host 198.18.0.11 port 22:";
    expect(notReadyReason(`${ssh} No route to host`)).toBe("booting (its network is not up yet)");
    expect(notReadyReason(`${ssh} Connection refused`)).toBe("booting (SSH is not up yet)");
    expect(
      notReadyReason(
        "node1: sudo cat /run/swarmforge/status.json: exit 1: cat: /run/swarmforge/status.json: No such file or directory",
      ),
    ).toBe("booted; the agent has not reported yet");
  });

  it("passes any other failure through unchanged", () => {
    const other = "node1: sudo cat /run/swarmforge/status.json: exit 1: sudo: a password is required";
    expect(notReadyReason(other)).toBe(other);
  });
});
