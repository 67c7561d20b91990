/**
 * Words for a node that cannot answer a status probe yet. While a VM boots, the probe's
 * SSH fails in ways that are expected and say little to a user ("No route to host"); this
 * names the boot stage instead, and passes any other failure through unchanged.
 */

/** What a failed status probe of a booting node means, in a user's words. */
export function notReadyReason(message: string): string {
  // No ARP answer yet: the guest's kernel has not brought up its network.
  if (/No route to host|Network is unreachable/.test(message)) return "booting (its network is not up yet)";
  if (/Connection refused/.test(message)) return "booting (SSH is not up yet)";
  if (/timed out/i.test(message)) return "booting or busy (SSH did not answer in time)";
  // The agent writes its status file after its first round; before it the file is absent.
  if (/status\.json: No such file or directory/.test(message))
    return "booted; the agent has not reported yet";
  return message;
}
