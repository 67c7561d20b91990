import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter.ts";

describe("LineSplitter", () => {
  it("strips SeaBIOS's escapes and carriage returns", () => {
    const s = new LineSplitter();
    const lines = s.push(
      "\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\nBooting from Hard Disk...\r\n",
    );
    expect(lines).toEqual(["SeaBIOS (version 1.16.2-debian-1.16.2-1)", "Booting from Hard Disk..."]);
  });

  it("ends a line where OVMF moves the cursor instead of printing a newline", () => {
    const s = new LineSplitter();
    const lines = s.push(
      "\x1b[05;01HPress ESC in 5 seconds\x1b[05;01HPress ESC in 4 seconds\x1b[06;01HShell> ",
    );
    expect(lines).toEqual(["Press ESC in 5 seconds", "Press ESC in 4 seconds"]);
    expect(s.partial).toBe("Shell> ");
  });

  it("keeps an escape or a UTF-8 character split across chunks together", () => {
    const s = new LineSplitter();
    const euro = Buffer.from("€\n");
    expect(s.push(Buffer.from("a\x1b[1"))).toEqual([]);
    expect(s.partial).toBe("a");
    expect(s.push(Buffer.concat([Buffer.from("m"), euro.subarray(0, 1)]))).toEqual([]);
    expect(s.push(euro.subarray(1))).toEqual(["a€"]);
  });

  it("shows an unfinished prompt as partial and ends it at the end of the stream", () => {
    const s = new LineSplitter();
    expect(s.push("debian login: ")).toEqual([]);
    expect(s.partial).toBe("debian login: ");
    expect(s.end()).toEqual(["debian login: "]);
    expect(s.partial).toBe("");
  });
});
