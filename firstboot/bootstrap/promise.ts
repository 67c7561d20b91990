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
