/**
 * Answering the creator's promise request (pure). A promise is permanent and bound to
 * one creator incarnation: a creator whose state was wiped comes back with a new
 * incarnation and does not get it again.
 */
import type { PromiseAnswer, PromiseFacts, PromiseRequest, SwarmFacts } from "../../lib/peer/protocol.ts";

/** The answer plus the promise to persist before sending it (when new). */
export interface PromiseReply {
  answer: PromiseAnswer;
  persist?: PromiseFacts;
}

/** Decides how this node answers a promise request. Throws for a request not from the creator. */
export function answerPromise(
  self: { name: string; swarm: SwarmFacts | null; promise?: PromiseFacts },
  creator: string,
  req: PromiseRequest,
): PromiseReply {
  if (self.swarm) return { answer: { kind: "member", node: self.name, swarm: self.swarm } };
  if (req.creator !== creator)
    throw new Error(
      `${req.creator} asked for a bootstrap promise, but the creator in this node's spec is ${creator}`,
    );
  if (self.promise && self.promise.incarnation !== req.incarnation)
    return { answer: { kind: "refused", node: self.name, promisedTo: self.promise } };
  const answer: PromiseAnswer = { kind: "promised", node: self.name };
  return self.promise
    ? { answer }
    : { answer, persist: { creator: req.creator, incarnation: req.incarnation } };
}

/**
 * Promise contagion (pure): a node in no swarm and bound by no promise that sees a peer
 * promised to an incarnation of the spec's creator takes on the same promise. A creator
 * wiped during formation then meets refusals from everyone who saw the first round, not
 * only from the managers it asked, and waits instead of creating a second swarm (see
 * bootstrap.md). Returns the promise to persist, or undefined.
 */
export function promiseToAdopt(
  self: { swarm: SwarmFacts | null; promise?: PromiseFacts },
  creator: string,
  peerPromises: ReadonlyArray<PromiseFacts | null>,
): PromiseFacts | undefined {
  if (self.swarm || self.promise) return undefined;
  const seen = peerPromises
    .filter((p): p is PromiseFacts => p !== null && p.creator === creator)
    .sort((a, b) => a.incarnation.localeCompare(b.incarnation));
  return seen[0];
}
