import { describe, expect, it } from "vitest";
import { classifyStatus, errorFromResponse, isDockerError, redactTokens } from "./errors.ts";

// Messages as Docker 20.10 writes them.
const NOT_MANAGER =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";
const NOT_IN_SWARM =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const ALREADY =
  'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';

describe("classifyStatus", () => {
  it("maps Docker's swarm states to kinds", () => {
    expect(classifyStatus(503, NOT_MANAGER)).toBe("not-manager");
    expect(classifyStatus(503, NOT_IN_SWARM)).toBe("not-in-swarm");
    expect(classifyStatus(503, ALREADY)).toBe("already-in-swarm");
    expect(classifyStatus(503, "This node is not part of a swarm")).toBe("not-in-swarm");
    expect(classifyStatus(503, "rpc error: code = Unknown desc = The swarm does not have a leader.")).toBe(
      "unavailable",
    );
  });

  it("maps plain statuses", () => {
    expect(classifyStatus(404, "node x not found")).toBe("not-found");
    expect(classifyStatus(409, "name conflicts")).toBe("conflict");
    expect(classifyStatus(400, "must be demoted")).toBe("bad-request");
    expect(classifyStatus(500, "rpc error: code = Unknown desc = update out of sequence")).toBe(
      "out-of-sequence",
    );
    expect(classifyStatus(500, "invalid join token")).toBe("invalid-token");
    expect(classifyStatus(500, "boom")).toBe("server");
  });
});

describe("errorFromResponse", () => {
  it("takes Docker's JSON message and keeps status and request", () => {
    const e = errorFromResponse("GET", "/v1.41/nodes", 503, JSON.stringify({ message: NOT_IN_SWARM }));
    expect(isDockerError(e, "not-in-swarm")).toBe(true);
    expect(e.status).toBe(503);
    expect(e.dockerMessage).toBe(NOT_IN_SWARM);
    expect(e.message).toContain("GET /v1.41/nodes: 503");
  });

  it("keeps a non-JSON body as the message", () => {
    const e = errorFromResponse("GET", "/x", 502, "Bad Gateway\n");
    expect(e.kind).toBe("server");
    expect(e.dockerMessage).toBe("Bad Gateway");
  });

  it("never carries a join token", () => {
    const token = "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";
    const e = errorFromResponse(
      "POST",
      "/swarm/join",
      400,
      JSON.stringify({ message: `bad token ${token}` }),
    );
    expect(e.message).not.toContain(token);
    expect(e.message).toContain("SWMTKN-<redacted>");
    expect(redactTokens(`a ${token} b ${token}`)).toBe("a SWMTKN-<redacted> b SWMTKN-<redacted>");
  });
});
