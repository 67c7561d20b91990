/**
 * Turns the raw bytes of a serial console into plain lines. Firmware and kernels paint
 * the screen with ANSI escapes (OVMF moves the cursor instead of printing newlines), so
 * escapes are removed, cursor moves and screen clears end the current line, and carriage
 * returns are dropped. The unfinished last line stays visible as `partial`, because the
 * prompts worth waiting for ("login: ") end without a newline.
 */
import { StringDecoder } from "node:string_decoder";

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), other two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: console escapes are what this parses
const ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^[\]]/g;
// An escape cut off by the end of a chunk: held back until the rest arrives.
// biome-ignore lint/suspicious/noControlCharactersInRegex: console escapes are what this parses
const UNFINISHED_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*)?$/;
// Cursor positioning (H, f) and erase display (J): the screen moves on, so the line ends.
// biome-ignore lint/suspicious/noControlCharactersInRegex: console escapes are what this parses
const BREAKS_LINE = /^\x1b\[[0-?]*[HfJ]$/;
// Control characters other than tab and newline carry no text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: console escapes are what this parses
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Splits console output into clean lines. */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private held = "";
  private current = "";

  /** The line being written (no newline yet), cleaned. */
  get partial(): string {
    return this.current;
  }

  /** Feeds raw output; returns the lines it completed. */
  push(chunk: Buffer | string): string[] {
    let text = this.held + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const cut = UNFINISHED_ESCAPE.exec(text);
    this.held = cut ? text.slice(cut.index) : "";
    if (cut) text = text.slice(0, cut.index);
    const done: string[] = [];
    let last = 0;
    const endLine = () => {
      done.push(this.current);
      this.current = "";
    };
    const addText = (s: string) => {
      const parts = s.split("\n");
      parts.forEach((p, i) => {
        if (i > 0) endLine();
        this.current += p.replace(CONTROL, "");
      });
    };
    for (const m of text.matchAll(ESCAPE)) {
      addText(text.slice(last, m.index));
      last = m.index + m[0].length;
      if (BREAKS_LINE.test(m[0]) && this.current !== "") endLine();
    }
    addText(text.slice(last));
    return done;
  }

  /** Ends the stream: the partial line, if any, becomes a line. */
  end(): string[] {
    this.push(this.decoder.end());
    if (this.current === "") return [];
    const line = this.current;
    this.current = "";
    return [line];
  }
}
