/**
 * `npx tsx qemu-tests/net/sweep-main.ts [PREFIX...]`: removes what crashed test runs left
 * (namespaces, their processes, mounts and temp dirs) for the given family prefixes;
 * default: test networks ("sft-") and netns clusters ("sfn-"). Live runs are left alone.
 */
import { sweep } from "./sweep.ts";

const prefixes = process.argv.slice(2);
for (const prefix of prefixes.length ? prefixes : ["sft-", "sfn-"]) {
  const r = await sweep(prefix);
  console.log(
    `${prefix}: ${r.runs.length} dead run(s)${r.runs.length ? ` (${r.runs.join(", ")})` : ""}, ` +
      `${r.namespaces.length} namespace(s), ${r.killed.length} process(es) killed, ${r.unmounted.length} mount(s) detached`,
  );
}
