import { describe, expect, it } from "vitest";
import { AUTH_HEADERS, RequestVerifier, signRequest } from "./auth.ts";
import { derivePeerKeys } from "./keys.ts";

const keys = derivePeerKeys("a-cluster-secret-of-at-least-32-characters");
const other = derivePeerKeys("another-cluster-secret-of-32-characters!!");
const req = { method: "POST", path: "/v1/swarm/join", body: '{"node":"node2","role":"manager"}' };
const T = 1_800_000_000_000;

describe("request signatures", () => {
  it("derives different TLS and request keys, and the same ones on every node", () => {
    expect(keys.tlsPsk.equals(keys.requestKey)).toBe(false);
    expect(derivePeerKeys("a-cluster-secret-of-at-least-32-characters").tlsPsk.equals(keys.tlsPsk)).toBe(
      true,
    );
    expect(other.tlsPsk.equals(keys.tlsPsk)).toBe(false);
  });

  it("accepts a fresh signed request once and refuses the replay", () => {
    const v = new RequestVerifier(keys.requestKey);
    const h = signRequest(keys.requestKey, req, T);
    expect(v.verify(req, h, T + 500)).toEqual({ ok: true });
    expect(v.verify(req, h, T + 1_000)).toEqual({ ok: false, reason: "replayed" });
  });

  it("refuses a request replayed after the time window even by a fresh verifier (agent restarted)", () => {
    const h = signRequest(keys.requestKey, req, T);
    expect(new RequestVerifier(keys.requestKey).verify(req, h, T + 301_000)).toEqual({
      ok: false,
      reason: "stale",
      skewMs: -301_000,
    });
    expect(new RequestVerifier(keys.requestKey).verify(req, h, T - 301_000)).toMatchObject({
      ok: false,
      reason: "stale",
    });
    // A clock a few minutes off (no NTP yet at first boot) is still accepted.
    expect(new RequestVerifier(keys.requestKey).verify(req, h, T + 240_000)).toEqual({ ok: true });
  });

  it("refuses a wrong key, a changed body, path or method, and missing or malformed headers", () => {
    const v = new RequestVerifier(keys.requestKey);
    const wrong = signRequest(other.requestKey, req, T);
    expect(v.verify(req, wrong, T)).toEqual({ ok: false, reason: "bad-signature" });
    const h = signRequest(keys.requestKey, req, T);
    expect(v.verify({ ...req, body: '{"node":"evil","role":"manager"}' }, h, T)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(v.verify({ ...req, path: "/v1/status" }, h, T)).toEqual({ ok: false, reason: "bad-signature" });
    expect(v.verify({ ...req, method: "GET" }, h, T)).toEqual({ ok: false, reason: "bad-signature" });
    expect(v.verify(req, {}, T)).toEqual({ ok: false, reason: "missing" });
    expect(v.verify(req, { ...h, [AUTH_HEADERS.signature]: "zz" }, T)).toEqual({
      ok: false,
      reason: "malformed",
    });
    // The genuine request still passes afterwards: failed attempts do not burn its nonce.
    expect(v.verify(req, h, T)).toEqual({ ok: true });
  });

  it("forgets nonces once their window has passed (bounded memory)", () => {
    const v = new RequestVerifier(keys.requestKey, 300_000, 3);
    for (let i = 0; i < 3; i++) expect(v.verify(req, signRequest(keys.requestKey, req, T), T).ok).toBe(true);
    // Cache full within the window: refuse rather than forget a nonce that could be replayed.
    expect(v.verify(req, signRequest(keys.requestKey, req, T), T).ok).toBe(false);
    const later = T + 601_000;
    expect(v.verify(req, signRequest(keys.requestKey, req, later), later)).toEqual({ ok: true });
  });
});
