/** The one retry policy and failure classification of every HTTP client (net/). */
import { NetworkError, networkErrorCode, surelyNeverSent } from "../../net/errors";
import {
  replayOf,
  retryAfterMs,
  TRANSIENT_STATUSES,
  withRetry,
  type Answered,
  type Replay,
  type RetryPolicy,
} from "../../net/retry";
import { TwilioUnreachableError } from "../../provider/twilio/http";

const policy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  retryStatuses: TRANSIENT_STATUSES,
  retryAfter: { maxMs: 5_000, beyond: "give-up" },
};

/** Plays `script` (a status, or a code to throw) and records the tries and the waits. */
async function play(
  script: Array<number | string | { status: number; retryAfter: string }>,
  replay: Replay,
  p: RetryPolicy = policy,
): Promise<{ tries: number; waits: number[]; outcome: Awaited<ReturnType<typeof withRetry>> }> {
  let tries = 0;
  let clock = 0; // virtual: only the waits move it
  const waits: number[] = [];
  const outcome = await withRetry<Answered>(
    p,
    replay,
    async () => {
      const step = script[Math.min(tries++, script.length - 1)]!;
      if (typeof step === "string") throw Object.assign(new Error("network"), { code: step });
      if (typeof step === "number") return { status: step };
      return { status: step.status, headers: { "retry-after": step.retryAfter } };
    },
    {
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      random: () => 0.5,
      now: () => clock,
    },
  );
  return { tries, waits, outcome };
}

describe("withRetry", () => {
  it("repeats an idempotent request on 429/5xx and network errors, with full jitter under the step", async () => {
    const r = await play([503, "ECONNRESET", "timed out", 200], "idempotent");
    expect(r.tries).toBe(4);
    expect(r.waits).toEqual([50, 100, 200]);
    expect(r.outcome).toMatchObject({ kind: "answer", attempts: 4, answer: { status: 200 } });
  });

  it("repeats a request that is not idempotent only on 429 or when it surely never left", async () => {
    expect((await play([503, 200], "if-never-sent")).tries).toBe(1);
    expect((await play(["ECONNRESET", 200], "if-never-sent")).outcome).toMatchObject({
      kind: "failed",
      code: "ECONNRESET",
      attempts: 1,
    });
    expect((await play(["timed out", 200], "if-never-sent")).tries).toBe(1);
    expect((await play([429, "ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", 201], "if-never-sent")).tries).toBe(
      4,
    );
  });

  it("never repeats what another try cannot fix, nor a status the policy does not list", async () => {
    expect((await play(["CERT_HAS_EXPIRED", 200], "idempotent")).tries).toBe(1);
    expect((await play([500, 200], "idempotent", { ...policy, retryStatuses: new Set([503]) })).tries).toBe(
      1,
    );
    expect((await play([404, 200], "idempotent")).tries).toBe(1);
  });

  it("stops at maxAttempts with the last answer or failure", async () => {
    expect((await play([503], "idempotent")).outcome).toMatchObject({ kind: "answer", attempts: 4 });
    expect((await play(["ECONNREFUSED"], "if-never-sent")).outcome).toMatchObject({
      kind: "failed",
      attempts: 4,
    });
  });

  it("waits what Retry-After says; beyond the policy's limit gives up, or waits the cap", async () => {
    expect((await play([{ status: 503, retryAfter: "2" }, 200], "idempotent")).waits).toEqual([2000]);
    const long = await play([{ status: 429, retryAfter: "60" }, 200], "if-never-sent");
    expect(long).toMatchObject({ tries: 1, outcome: { kind: "answer", answer: { status: 429 } } });
    const capped = await play([{ status: 429, retryAfter: "60" }, 200], "idempotent", {
      ...policy,
      retryAfter: { maxMs: 750, beyond: "cap" },
    });
    expect(capped.waits).toEqual([750]);
  });

  it("starts no wait that would end past maxElapsedMs", async () => {
    const r = await play([503], "idempotent", { ...policy, maxElapsedMs: 120 });
    // Waits 50, then 100 more would end 150 ms after the start.
    expect(r.waits).toEqual([50]);
    expect(r.tries).toBe(2);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates, nothing else", () => {
    const now = Date.parse("Wed, 21 Oct 2037 07:28:00 GMT");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs(["7", "9"], now)).toBe(7000);
    expect(retryAfterMs("Wed, 21 Oct 2037 07:28:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Wed, 21 Oct 2037 07:27:00 GMT", now)).toBe(0);
    for (const bad of [undefined, "", "soon", "3.5", "-1", "2037-10-21"])
      expect(retryAfterMs(bad, now)).toBeUndefined();
  });
});

describe("classification", () => {
  it("reads the code along the cause chain, every timeout as 'timed out'", () => {
    expect(networkErrorCode({ cause: { cause: { code: "ECONNREFUSED" } } })).toBe("ECONNREFUSED");
    expect(networkErrorCode({ code: "UND_ERR_HEADERS_TIMEOUT" })).toBe("timed out");
    expect(networkErrorCode({ name: "TimeoutError" })).toBe("timed out");
    expect(networkErrorCode({ name: "Oops" })).toBe("Oops");
    expect(networkErrorCode("x")).toBe("unknown error");
    expect(surelyNeverSent("ECONNREFUSED")).toBe(true);
    expect(surelyNeverSent("ECONNRESET")).toBe(false);
    expect(replayOf("get")).toBe("idempotent");
    expect(replayOf("POST")).toBe("if-never-sent");
  });

  it("network errors have a stable code and a cause, and are recognised across copies of the package", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const e = new TwilioUnreachableError("https://api.twilio.com/x", "ECONNREFUSED", 2, { cause });
    expect(e).toMatchObject({
      code: "unreachable",
      reason: "ECONNREFUSED",
      causeCode: "ECONNREFUSED",
      cause,
    });
    let copy: typeof import("../../provider/twilio/http") | undefined;
    jest.isolateModules(() => {
      copy = require("../../provider/twilio/http") as typeof import("../../provider/twilio/http");
    });
    expect(copy!.TwilioUnreachableError).not.toBe(TwilioUnreachableError);
    expect(e instanceof copy!.TwilioUnreachableError).toBe(false);
    expect(copy!.TwilioUnreachableError.isInstance(e)).toBe(true);
    expect(NetworkError.isInstance(e)).toBe(true);
    expect(NetworkError.isInstance(new Error("x"))).toBe(false);
  });
});
