import { describe, expect, it } from "vitest";
import { EarlyHangDetector } from "./early-hang.ts";

const HUNG = "[  243.911630] INFO: task mount:171 blocked for more than 120 seconds.";
const SYSTEMD = "[    6.204113] systemd[1]: Inserted module 'autofs4'";

/** Feeds lines (numbered from `start`) of a boot that began at `bootMark`; returns the indexes judged hung. */
function feed(d: EarlyHangDetector, lines: string[], bootMark: number, start = bootMark): number[] {
  return lines.flatMap((text, i) => (d.hung({ index: start + i, text }, bootMark) ? [start + i] : []));
}

describe("EarlyHangDetector", () => {
  it("a hung task in the initramfs, before systemd, is a hung boot", () => {
    const d = new EarlyHangDetector();
    const lines = [
      "SeaBIOS (version 1.16.2-debian-1.16.2-1)",
      "Begin: Will now check root file system ... done.",
      HUNG,
    ];
    expect(feed(d, lines, 0)).toEqual([2]);
  });

  it("a hung task once systemd runs is the node's business, not the emulator's", () => {
    const d = new EarlyHangDetector();
    expect(feed(d, ["Welcome to Debian GNU/Linux 12 (bookworm)!", HUNG], 0)).toEqual([]);
    const d2 = new EarlyHangDetector();
    expect(
      feed(d2, [SYSTEMD, "[  400.1] INFO: task ceph-osd:812 blocked for more than 120 seconds."], 0),
    ).toEqual([]);
  });

  it("each power-on starts a new boot: systemd in the last boot does not cover a hang in this one", () => {
    const d = new EarlyHangDetector();
    expect(feed(d, ["Welcome to Debian GNU/Linux 12 (bookworm)!", HUNG], 0)).toEqual([]);
    // powered off and on: the console's boot mark moved to line 2
    expect(feed(d, ["SeaBIOS (version 1.16.2-debian-1.16.2-1)", HUNG], 2)).toEqual([3]);
  });

  it("after a reset only the lines that follow count, and a boot that reaches systemd is fine", () => {
    const d = new EarlyHangDetector();
    expect(feed(d, ["Loading initial ramdisk ...", HUNG], 0)).toEqual([1]);
    d.restart(2);
    expect(feed(d, ["SeaBIOS (version 1.16.2-debian-1.16.2-1)", SYSTEMD, HUNG], 0, 2)).toEqual([]);
  });

  it("lines before the boot's start are ignored", () => {
    const d = new EarlyHangDetector();
    d.restart(5);
    expect(d.hung({ index: 3, text: HUNG }, 0)).toBe(false);
  });
});
