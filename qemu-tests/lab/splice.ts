/** Joins two sockets both ways; either side closing or failing closes both. */
import type { Socket } from "node:net";

export function splice(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.once("error", close);
    s.once("close", close);
  }
}
