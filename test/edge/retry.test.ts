import { execFile } from "node:child_process";
import { getEventListeners } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  createRetryThrottle,
  type RetryContext,
  type RetryEvent,
  type RetryOptions,
  type RetryPolicy,
  type RetryThrottleOptions,
  retryWith,
} from "../../src/edge/retry.js";
import {
  CWSANDBOX_RETRY_POLICY as DEFAULT_POLICY,
  isRetryable,
  RequestSizeError,
  retry,
  SandboxNotFoundError,
  SandboxRequestTimeoutError,
  SandboxResourceExhaustedError,
  SandboxUnavailableError,
  SnapshotBackendThrottledError,
} from "../../src/index.js";

const execFileAsync = promisify(execFile);

/** A retryable error, with the server's hint when given. */
function unavailable(retryDelay?: number): SandboxUnavailableError {
  return new SandboxUnavailableError("Service unavailable: runner busy", { retryDelay });
}

/**
 * An operation that plays a script: an `Error` in the script is thrown by that call, anything else
 * is returned. It records the fake clock at each call, so sleeps show up as exact gaps.
 */
function scripted(...script: unknown[]) {
  const times: number[] = [];
  const contexts: RetryContext[] = [];
  const operation = vi.fn(async (context: RetryContext) => {
    times.push(Date.now());
    contexts.push(context);
    const step = script[Math.min(context.attempt, script.length) - 1];
    if (step instanceof Error) throw step;
    return step;
  });
  return { operation, times, contexts };
}

/** Runs every timer `retry` schedules, and reports how it settled. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  return outcome;
}

/** How a promise settled, without running any timer (unlike `settle`). */
function outcomeOf<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Waits with the global `setTimeout`, which fake timers control (`node:timers/promises` is not). */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A `finally` callback that notes the fake clock when a promise settles, in `time`. */
function settledAtClock(): (() => void) & { time: number | undefined } {
  const note = Object.assign(
    () => {
      note.time = Date.now();
    },
    { time: undefined as number | undefined },
  );
  return note;
}

/** The sleeps between calls, from the times the calls were made. */
function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

describe("retry with fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe("results", () => {
    it("resolves with the first call's value without sleeping", async () => {
      const { operation } = scripted("done");
      const result = retry(operation);
      expect(vi.getTimerCount()).toBe(0);
      await expect(result).resolves.toBe("done");
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("passes the attempt number, counting from 1, and one signal to every call without a time limit", async () => {
      const { operation, contexts } = scripted(unavailable(), unavailable(), "done");
      await settle(retry(operation, { budgetMs: Number.POSITIVE_INFINITY }));
      expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(contexts[0]?.signal).toBeInstanceOf(AbortSignal);
      expect(new Set(contexts.map((c) => c.signal)).size).toBe(1);
      expect(contexts[0]?.signal.aborted).toBe(false);
      expect(contexts.map((c) => c.timeoutMs)).toEqual([undefined, undefined, undefined]);
    });

    it("retries an operation that throws synchronously", async () => {
      let calls = 0;
      const result = settle(
        retry(() => {
          calls++;
          if (calls === 1) throw unavailable(50);
          return "done";
        }),
      );
      expect(await result).toEqual({ value: "done" });
      expect(calls).toBe(2);
    });

    it("types the result as the operation's resolved value", () => {
      expectTypeOf(retry(async () => 42)).toEqualTypeOf<Promise<number>>();
      expectTypeOf(retry(() => "sync")).toEqualTypeOf<Promise<string>>();
    });
  });

  describe("server hints (retryDelay)", () => {
    it("sleeps exactly the hinted delay before each retry", async () => {
      const { operation, times } = scripted(unavailable(300), unavailable(450), "done");
      expect(await settle(retry(operation))).toEqual({ value: "done" });
      expect(times).toEqual([0, 300, 750]);
    });

    it("caps a hint at maxHintedDelayMs (default 10 s)", async () => {
      const { operation, times } = scripted(unavailable(60_000), "done");
      await settle(retry(operation));
      expect(times).toEqual([0, 10_000]);

      const custom = scripted(unavailable(60_000), "done");
      await settle(retry(custom.operation, { maxHintedDelayMs: 1_234 }));
      expect(gaps(custom.times)).toEqual([1_234]);
    });

    it("caps a hint at the remaining budget, then re-throws the last error when it is spent", async () => {
      const last = unavailable(700);
      const events: RetryEvent[] = [];
      const settledAt = settledAtClock();
      const { operation, times } = scripted(unavailable(700), last, unavailable(700));
      const result = retry(operation, { budgetMs: 1_000, onRetry: (event) => events.push(event) });
      const outcome = await settle(result.finally(settledAt));
      expect(outcome.error).toBe(last);
      // The second sleep is cut to the 300 ms left; it ends at the deadline, so no third call.
      expect(events.map((e) => e.delayMs)).toEqual([700, 300]);
      expect(times).toEqual([0, 700]);
      expect(settledAt.time).toBe(1_000);
    });

    it("rounds a fractional hint up to whole milliseconds, never sleeping less than asked", async () => {
      const events: RetryEvent[] = [];
      const { operation, times } = scripted(unavailable(300.2), "done");
      await settle(retry(operation, { onRetry: (event) => events.push(event) }));
      expect(events.map((e) => e.delayMs)).toEqual([301]);
      expect(times).toEqual([0, 301]);
    });

    it.each([
      ["zero", 0],
      ["negative", -500],
      ["NaN", Number.NaN],
      ["absent", undefined],
    ])("falls back to backoff for a %s hint", async (_label, hint) => {
      const { operation, times } = scripted(unavailable(hint), "done");
      // uniform(0, 200) at 0.5 is 100.
      await settle(retry(operation, { random: () => 0.5 }));
      expect(times).toEqual([0, 100]);
    });

    it("reads retryDelay as a plain field, so any error that carries one is honoured", async () => {
      const foreign = Object.assign(new Error("from another copy of the package"), { retryDelay: 700 });
      const { operation, times } = scripted(foreign, "done");
      await settle(retry(operation, { shouldRetry: () => true }));
      expect(times).toEqual([0, 700]);
    });

    it("counts unhinted retries only: a hinted sleep neither advances nor resets the backoff", async () => {
      const { operation, times } = scripted(
        unavailable(),
        unavailable(),
        unavailable(5_000),
        unavailable(),
        unavailable(50),
        unavailable(),
        "done",
      );
      await settle(retry(operation, { random: () => 1 }));
      // Unhinted retries 1, 2, 3, 4 sleep 200, 400, 800, 1 600, whatever hints come between.
      expect(gaps(times)).toEqual([200, 400, 5_000, 800, 50, 1_600]);
    });
  });

  describe("backoff (gRFC A6)", () => {
    it("sleeps 200, 400, 800, 1 600, 3 200, 5 000, 5 000 ms with the defaults and random = () => 1", async () => {
      const { operation, times } = scripted(...Array.from({ length: 7 }, () => unavailable()), "done");
      await settle(retry(operation, { random: () => 1 }));
      expect(gaps(times)).toEqual([200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    });

    it("follows baseDelayMs, factor and maxDelayMs when given", async () => {
      const { operation, times } = scripted(...Array.from({ length: 5 }, () => unavailable()), "done");
      await settle(retry(operation, { random: () => 1, baseDelayMs: 100, factor: 3, maxDelayMs: 1_000 }));
      expect(gaps(times)).toEqual([100, 300, 900, 1_000, 1_000]);
    });

    it("draws each sleep from [0, ceiling]: the random source scales the ceiling", async () => {
      const { operation, times } = scripted(unavailable(), unavailable(), unavailable(), "done");
      await settle(retry(operation, { random: () => 0.25 }));
      // 0.25 × 200, 0.25 × 400, 0.25 × 800.
      expect(gaps(times)).toEqual([50, 100, 200]);
    });

    it("sleeps 0 ms when the random source gives 0, and never a negative time", async () => {
      const events: RetryEvent[] = [];
      const { operation, times } = scripted(unavailable(), unavailable(), unavailable(), "done");
      const onRetry = (event: RetryEvent) => events.push(event);
      expect(await settle(retry(operation, { random: () => 0, onRetry }))).toEqual({ value: "done" });
      expect(events.map((e) => e.delayMs)).toEqual([0, 0, 0]);
      expect(times).toEqual([0, 0, 0, 0]);
    });

    it("grows the ceiling whatever the random draws were", async () => {
      // Low draws first, then a high one: the ceiling kept growing meanwhile (800 at the third retry).
      const draws = [0.01, 0.01, 1];
      const random = () => draws.shift() ?? 1;
      const { operation, times } = scripted(unavailable(), unavailable(), unavailable(), "done");
      await settle(retry(operation, { random }));
      expect(gaps(times)).toEqual([2, 4, 800]);
    });

    it("keeps every sleep within [0, min(maxDelayMs, baseDelayMs × factor^(n−1))]", async () => {
      // A fixed pseudo-random sequence (a linear congruential generator), so the test is repeatable.
      let seed = 12_345;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      const { operation, times } = scripted(...Array.from({ length: 60 }, () => unavailable()), "done");
      await settle(retry(operation, { random, budgetMs: Number.POSITIVE_INFINITY, factor: 1.5 }));
      const sleeps = gaps(times);
      expect(sleeps).toHaveLength(60);
      for (const [i, sleep] of sleeps.entries()) {
        expect(sleep).toBeGreaterThanOrEqual(0);
        expect(sleep).toBeLessThanOrEqual(Math.ceil(Math.min(5_000, 200 * 1.5 ** i)));
      }
      // Jitter, not a fixed schedule: the sleeps differ.
      expect(new Set(sleeps).size).toBeGreaterThan(10);
    });

    it("keeps a zero baseDelayMs at zero however many retries grow it", async () => {
      const delays = new Set<number>();
      const { operation } = scripted(...Array.from({ length: 1_100 }, () => unavailable()), "done");
      const options = {
        random: () => 1,
        baseDelayMs: 0,
        budgetMs: Number.POSITIVE_INFINITY,
        onRetry: (event: RetryEvent) => delays.add(event.delayMs),
      };
      // 2^1100 is Infinity, and 0 × Infinity is NaN: a NaN sleep would be a 1 ms timer.
      expect(await settle(retry(operation, options))).toEqual({ value: "done" });
      expect([...delays]).toEqual([0]);
    });

    it("cuts the sleep to the remaining budget, then re-throws the last error", async () => {
      const last = unavailable();
      const events: RetryEvent[] = [];
      const { operation, times } = scripted(unavailable(), unavailable(), last, "done");
      const options = {
        random: () => 1,
        budgetMs: 1_000,
        onRetry: (event: RetryEvent) => events.push(event),
      };
      const outcome = await settle(retry(operation, options));
      // 200, 400, then only 400 are left of the 800: the sleep ends at 1 000, where the budget is spent.
      expect(times).toEqual([0, 200, 600]);
      expect(events.map((e) => e.delayMs)).toEqual([200, 400, 400]);
      expect(outcome.error).toBe(last);
    });

    it("draws from the whole ceiling first and cuts the draw to the budget after", async () => {
      const events: RetryEvent[] = [];
      const { operation } = scripted(unavailable(), unavailable(), unavailable());
      const onRetry = (event: RetryEvent) => events.push(event);
      await settle(retry(operation, { random: () => 0.5, budgetMs: 600, onRetry }));
      // 100 (0.5 × 200), 200 (0.5 × 400), then 0.5 × 800 = 400 cut to the 300 left; a ceiling cut
      // to the budget before the draw would have given 150.
      expect(events.map((e) => e.delayMs)).toEqual([100, 200, 300]);
    });

    it("sleeps what is left of the budget when that is less than the draw", async () => {
      const events: RetryEvent[] = [];
      const { operation, times } = scripted(unavailable(50), unavailable(), "done");
      const onRetry = (event: RetryEvent) => events.push(event);
      await settle(retry(operation, { budgetMs: 170, onRetry, random: () => 1 }));
      // The hint takes 50 ms; 120 are left, under the 200 ms ceiling.
      expect(events.map((e) => e.delayMs)).toEqual([50, 120]);
      expect(times).toEqual([0, 50]);
    });

    it("clamps a random source that leaves [0, 1]", async () => {
      const high = scripted(unavailable(), "done");
      await settle(retry(high.operation, { random: () => 7 }));
      expect(gaps(high.times)).toEqual([200]);
      const low = scripted(unavailable(), "done");
      await settle(retry(low.operation, { random: () => -3 }));
      expect(gaps(low.times)).toEqual([0]);
      const nan = scripted(unavailable(), "done");
      await settle(retry(nan.operation, { random: () => Number.NaN }));
      expect(gaps(nan.times)).toEqual([0]);
    });
  });

  describe("budget and attempts", () => {
    it("starts the budget at the first retryable failure, not at the first call", async () => {
      const last = unavailable(600);
      let calls = 0;
      const times: number[] = [];
      const operation = async () => {
        calls++;
        times.push(Date.now());
        // The first call is slow: 5 s pass before it fails.
        if (calls === 1) await delay(5_000);
        throw calls === 2 ? last : unavailable(600);
      };
      const outcome = await settle(retry(operation, { budgetMs: 1_000 }));
      // Counted from the start, the budget would be spent before the first retry; counted from the
      // failure at 5 000, it ends at 6 000, where no call starts.
      expect(times).toEqual([0, 5_600]);
      expect(outcome.error).toBe(last);
    });

    it("makes no retry with budgetMs 0", async () => {
      const error = unavailable(100);
      const { operation } = scripted(error, "done");
      const outcome = await settle(retry(operation, { budgetMs: 0 }));
      expect(outcome.error).toBe(error);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("makes at most maxAttempts calls and re-throws the last error", async () => {
      const errors = [unavailable(), unavailable(), unavailable(), unavailable()];
      const { operation } = scripted(...errors, "done");
      const outcome = await settle(retry(operation, { maxAttempts: 3 }));
      expect(operation).toHaveBeenCalledTimes(3);
      expect(outcome.error).toBe(errors[2]);
    });

    it("makes one call with maxAttempts 1", async () => {
      const { operation } = scripted(unavailable(), "done");
      await settle(retry(operation, { maxAttempts: 1 }));
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("re-throws the last error itself: not wrapped, not copied", async () => {
      const errors = [unavailable(10), unavailable(10), unavailable(10)];
      const { operation } = scripted(...errors);
      const outcome = await settle(retry(operation, { maxAttempts: 3 }));
      expect(outcome.error).toBe(errors[2]);
      expect(outcome.error).not.toBe(errors[0]);
    });
  });

  describe("which errors are retried", () => {
    it.each([
      ["SandboxUnavailableError", new SandboxUnavailableError("x")],
      ["SnapshotBackendThrottledError", new SnapshotBackendThrottledError("x")],
      ["SandboxRequestTimeoutError", new SandboxRequestTimeoutError("x")],
      ["SandboxResourceExhaustedError", new SandboxResourceExhaustedError("x")],
    ])("retries %s by default", async (_name, error) => {
      const { operation } = scripted(error, "done");
      expect(await settle(retry(operation))).toEqual({ value: "done" });
      expect(operation).toHaveBeenCalledTimes(2);
    });

    it.each([
      ["SandboxNotFoundError", new SandboxNotFoundError("x")],
      ["RequestSizeError, even with a retryDelay", new RequestSizeError("x", { retryDelay: 100 })],
      ["a raw NOT_FOUND", Object.assign(new Error("5 NOT_FOUND: x"), { code: 5, details: "x" })],
      ["a string", "boom"],
    ])("re-throws %s at once, after one call", async (_name, error) => {
      const operation = vi.fn(async () => {
        throw error;
      });
      const result = retry(operation);
      const outcome = await settle(result);
      expect(outcome.error).toBe(error);
      expect(operation).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("retries a raw UNAVAILABLE as the mapping judges it, honours its hint, and re-throws it unchanged", async () => {
      const raw = Object.assign(new Error("14 UNAVAILABLE: x"), {
        code: 14,
        details: "x",
        metadata: { "grpc-retry-pushback-ms": "700" },
      });
      const operation = vi.fn(async () => {
        throw raw;
      });
      const onRetry = vi.fn();
      const outcome = await settle(retry(operation, { maxAttempts: 3, onRetry }));
      expect(outcome.error).toBe(raw);
      expect(operation).toHaveBeenCalledTimes(3);
      expect(onRetry.mock.calls.map(([event]) => event.delayMs)).toEqual([700, 700]);
    });

    it("never retries the caller's own abort, nor a raw CANCELLED the client made", async () => {
      for (const error of [
        new DOMException("stop", "AbortError"),
        Object.assign(new Error("1 CANCELLED: Cancelled on client"), {
          code: 1,
          details: "Cancelled on client",
        }),
      ]) {
        const operation = vi.fn(async () => {
          throw error;
        });
        expect((await settle(retry(operation))).error).toBe(error);
        expect(operation).toHaveBeenCalledTimes(1);
      }
    });

    it("asks shouldRetry with each error and the attempt that threw it", async () => {
      const first = new Error("first");
      const second = new Error("second");
      const { operation } = scripted(first, second, "done");
      const shouldRetry = vi.fn(() => true);
      expect(await settle(retry(operation, { shouldRetry }))).toEqual({ value: "done" });
      expect(shouldRetry.mock.calls).toEqual([
        [first, 1],
        [second, 2],
      ]);
    });

    it("re-throws at once when shouldRetry refuses a retryable error", async () => {
      const error = unavailable(100);
      const { operation } = scripted(error, "done");
      const outcome = await settle(retry(operation, { shouldRetry: () => false }));
      expect(outcome.error).toBe(error);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("calls onRetry with the error, its attempt and the sleep, before sleeping", async () => {
      const first = unavailable(300);
      const second = unavailable();
      const { operation } = scripted(first, second, "done");
      const seen: { event: RetryEvent; callsSoFar: number; now: number }[] = [];
      const onRetry = (event: RetryEvent) =>
        seen.push({ event, callsSoFar: operation.mock.calls.length, now: Date.now() });
      await settle(retry(operation, { onRetry, random: () => 0.5 }));
      expect(seen).toEqual([
        { event: { error: first, attempt: 1, delayMs: 300 }, callsSoFar: 1, now: 0 },
        { event: { error: second, attempt: 2, delayMs: 100 }, callsSoFar: 2, now: 300 },
      ]);
    });

    it("does not call onRetry when it will not retry", async () => {
      const onRetry = vi.fn();
      const { operation } = scripted(unavailable(), "done");
      await settle(retry(operation, { onRetry, maxAttempts: 1 }));
      expect(onRetry).not.toHaveBeenCalled();
    });

    it("rejects with what shouldRetry or onRetry throws", async () => {
      const broken = new Error("classifier bug");
      const a = scripted(unavailable(), "done");
      const outcomeA = await settle(
        retry(a.operation, {
          shouldRetry: () => {
            throw broken;
          },
        }),
      );
      expect(outcomeA.error).toBe(broken);

      const b = scripted(unavailable(), "done");
      const outcomeB = await settle(
        retry(b.operation, {
          onRetry: () => {
            throw broken;
          },
        }),
      );
      expect(outcomeB.error).toBe(broken);
      expect(b.operation).toHaveBeenCalledTimes(1);
    });
  });

  describe("abort", () => {
    it("rejects with the reason and calls nothing when the signal has already aborted", async () => {
      const reason = new Error("shutting down");
      const operation = vi.fn(async () => "done");
      await expect(retry(operation, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(operation).not.toHaveBeenCalled();
    });

    it("rejects at once during a sleep, clears its timer and calls no more", async () => {
      const controller = new AbortController();
      const reason = new Error("user cancelled");
      const { operation } = scripted(unavailable(5_000), "done");
      const result = retry(operation, { signal: controller.signal });
      const outcome = result.then(
        () => "resolved",
        (error: unknown) => error,
      );
      await vi.advanceTimersByTimeAsync(1_000);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort(reason);
      // No time passes: the rejection does not wait for the sleep to end.
      expect(await outcome).toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("rejects at once while the operation runs, and aborts the signal the operation holds", async () => {
      const controller = new AbortController();
      const reason = new Error("user cancelled");
      let seen: AbortSignal | undefined;
      // A call that never settles on its own, like a hung RPC.
      const operation = vi.fn(({ signal }: RetryContext) => {
        seen = signal;
        return new Promise<never>(() => {});
      });
      const result = retry(operation, { signal: controller.signal });
      await vi.advanceTimersByTimeAsync(0);
      expect(seen?.aborted).toBe(false);
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toBe(reason);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("rejects with the signal's reason when the operation rejects with its own error on abort", async () => {
      const controller = new AbortController();
      const reason = new Error("user cancelled");
      const operation = ({ signal }: RetryContext) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(unavailable()));
        });
      const result = retry(operation, { signal: controller.signal });
      await vi.advanceTimersByTimeAsync(0);
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("rejects with the reason when the operation itself aborts the signal and then throws", async () => {
      const controller = new AbortController();
      const reason = new Error("aborted from inside");
      const shouldRetry = vi.fn(() => true);
      const operation = vi.fn(() => {
        controller.abort(reason);
        throw unavailable();
      });
      await expect(retry(operation, { signal: controller.signal, shouldRetry })).rejects.toBe(reason);
      expect(shouldRetry).not.toHaveBeenCalled();
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("gives the default AbortError when the signal aborts without a reason", async () => {
      const controller = new AbortController();
      const { operation } = scripted(unavailable(5_000), "done");
      const result = retry(operation, { signal: controller.signal });
      await vi.advanceTimersByTimeAsync(10);
      controller.abort();
      await expect(result).rejects.toMatchObject({ name: "AbortError" });
      expect(controller.signal.reason).toMatchObject({ name: "AbortError" });
    });

    it("removes its listener from the caller's signal when it settles", async () => {
      const controller = new AbortController();
      const ok = scripted(unavailable(), "done");
      await settle(retry(ok.operation, { signal: controller.signal }));
      const failed = scripted(new SandboxNotFoundError("x"));
      await settle(retry(failed.operation, { signal: controller.signal }));
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    });
  });

  describe("the budget, read again after every sleep", () => {
    it("starts no call at the deadline exactly", async () => {
      const last = unavailable(500);
      const settledAt = settledAtClock();
      const { operation, times } = scripted(unavailable(500), last, "done");
      const outcome = await settle(retry(operation, { budgetMs: 1_000 }).finally(settledAt));
      // Failures at 0 and 500; the second sleep ends at 1 000 = 0 + budgetMs.
      expect(times).toEqual([0, 500]);
      expect(outcome.error).toBe(last);
      expect(settledAt.time).toBe(1_000);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("still starts a call one millisecond before the deadline", async () => {
      const last = unavailable(500);
      const { operation, times } = scripted(unavailable(500), unavailable(500), last, "done");
      const outcome = await settle(retry(operation, { budgetMs: 1_001 }));
      expect(times).toEqual([0, 500, 1_000]);
      expect(outcome.error).toBe(last);
    });

    it("re-throws the last error, with no further call, when the clock jumps past the budget during a sleep", async () => {
      const first = unavailable(300);
      const { operation } = scripted(first, "done");
      const outcome = outcomeOf(retry(operation, { budgetMs: 10_000 }));
      await vi.advanceTimersByTimeAsync(100);
      expect(vi.getTimerCount()).toBe(1);
      // The laptop sleeps for an hour: the wall clock jumps while the sleep's timer waits.
      vi.setSystemTime(Date.now() + 3_600_000);
      await vi.runAllTimersAsync();
      expect((await outcome).error).toBe(first);
      expect(operation).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("re-throws after a backoff sleep too when the clock jumped to the deadline exactly", async () => {
      const first = unavailable();
      const { operation } = scripted(first, "done");
      const outcome = outcomeOf(retry(operation, { budgetMs: 5_000, random: () => 1 }));
      await vi.advanceTimersByTimeAsync(50);
      // 50 ms into the 200 ms sleep, the clock jumps so that the sleep ends at 5 000.
      vi.setSystemTime(5_000 - 150);
      await vi.runAllTimersAsync();
      expect((await outcome).error).toBe(first);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("goes on when the clock jumped less than what was left of the budget", async () => {
      const { operation, times } = scripted(unavailable(300), "done");
      const outcome = outcomeOf(retry(operation, { budgetMs: 10_000 }));
      await vi.advanceTimersByTimeAsync(100);
      vi.setSystemTime(Date.now() + 5_000);
      await vi.runAllTimersAsync();
      expect(await outcome).toEqual({ value: "done" });
      expect(times).toEqual([0, 5_300]);
    });
  });

  describe("deadline", () => {
    it.each([
      ["a number in the past", 5_000],
      ["a Date in the past", new Date(5_000)],
      ["now exactly", 10_000],
    ])(
      "rejects at once with a SandboxRequestTimeoutError and calls nothing for %s",
      async (_label, deadline) => {
        vi.setSystemTime(10_000);
        const operation = vi.fn(async () => "done");
        const error = await retry(operation, { deadline }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SandboxRequestTimeoutError);
        expect((error as Error).message).toMatch(/deadline \(1970-01-01T00:00:\d\d\.000Z\) had passed/);
        expect((error as Error).cause).toBeUndefined();
        expect(operation).not.toHaveBeenCalled();
        expect(vi.getTimerCount()).toBe(0);
      },
    );

    it("cuts a hinted sleep to the deadline and starts no call at it", async () => {
      const last = unavailable(700);
      const settledAt = settledAtClock();
      const { operation, times } = scripted(unavailable(700), last, "done");
      const outcome = await settle(retry(operation, { deadline: 1_000 }).finally(settledAt));
      // The second sleep is cut to the 300 ms before the deadline; no call starts at 1 000.
      expect(times).toEqual([0, 700]);
      expect(outcome.error).toBe(last);
      expect(settledAt.time).toBe(1_000);
    });

    it("cuts a backoff sleep to the deadline too, with an infinite budget", async () => {
      const last = unavailable();
      const events: RetryEvent[] = [];
      const { operation, times } = scripted(unavailable(), last, "done");
      const options = {
        deadline: new Date(500),
        budgetMs: Number.POSITIVE_INFINITY,
        random: () => 1,
        onRetry: (event: RetryEvent) => events.push(event),
      };
      const outcome = await settle(retry(operation, options));
      // 200, then the 400 drawn is cut to the 300 left.
      expect(events.map((e) => e.delayMs)).toEqual([200, 300]);
      expect(times).toEqual([0, 200]);
      expect(outcome.error).toBe(last);
    });

    it("reads a Date once: changing it later does not move the deadline", async () => {
      const deadline = new Date(1_000);
      const { operation, times } = scripted(unavailable(700), unavailable(700), "done");
      const result = retry(operation, { deadline });
      deadline.setTime(100_000);
      const outcome = await settle(result);
      expect(times).toEqual([0, 700]);
      expect(outcome.error).toBeInstanceOf(SandboxUnavailableError);
    });

    it("takes a Date of another realm", async () => {
      const foreign: unknown = runInNewContext("new Date(1000)");
      expect(foreign instanceof Date).toBe(false);
      const { operation, times } = scripted(unavailable(700), unavailable(700), "done");
      await settle(retry(operation, { deadline: foreign as Date }));
      expect(times).toEqual([0, 700]);
    });

    it("aborts an attempt still running at the deadline and rejects with a SandboxRequestTimeoutError caused by what it threw", async () => {
      const signals: AbortSignal[] = [];
      const operation = vi.fn(
        ({ signal }: RetryContext) =>
          new Promise<never>((_resolve, reject) => {
            signals.push(signal);
            signal.addEventListener("abort", () => reject(signal.reason));
          }),
      );
      const settledAt = settledAtClock();
      const outcome = await settle(retry(operation, { deadline: 1_500 }).finally(settledAt));
      expect(operation).toHaveBeenCalledTimes(1);
      expect(settledAt.time).toBe(1_500);
      const reason = signals[0]?.reason as DOMException;
      expect(reason).toMatchObject({ name: "TimeoutError" });
      expect(reason.message).toMatch(/attempt 1 ran past the deadline \(1970-01-01T00:00:01\.500Z\)/);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect((outcome.error as Error).cause).toBe(reason);
    });

    it("aborts an attempt still running when the budget runs out, and rejects with a SandboxRequestTimeoutError", async () => {
      const hung = new Error("hung call cancelled");
      const operation = vi.fn(({ attempt, signal }: RetryContext) => {
        if (attempt === 1) return Promise.reject(unavailable(100));
        return new Promise<never>((_resolve, reject) => signal.addEventListener("abort", () => reject(hung)));
      });
      const settledAt = settledAtClock();
      const outcome = await settle(retry(operation, { budgetMs: 1_000 }).finally(settledAt));
      // The budget starts at the failure at 0; the second call, at 100, is cut at 1 000.
      expect(operation).toHaveBeenCalledTimes(2);
      expect(settledAt.time).toBe(1_000);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect((outcome.error as Error).cause).toBe(hung);
      expect((outcome.error as Error).message).toMatch(/attempt 2 ran past the end of the retry budget/);
    });

    it("sets no timer for a deadline further away than a timer can wait", async () => {
      let timersDuringCall = -1;
      const operation = vi.fn(async ({ timeoutMs }: RetryContext) => {
        timersDuringCall = vi.getTimerCount();
        return timeoutMs;
      });
      const deadline = 2 ** 31 + 5_000;
      expect(await settle(retry(operation, { deadline }))).toEqual({ value: deadline });
      expect(timersDuringCall).toBe(0);
    });
  });

  describe("timeoutMs: the time left for each attempt", () => {
    it("is undefined without limits, then what is left of the default budget once it started", async () => {
      const { operation, contexts } = scripted(unavailable(500), "done");
      await settle(retry(operation));
      expect(contexts.map((c) => c.timeoutMs)).toEqual([undefined, 29_500]);
    });

    it("is attemptTimeoutMs until the budget has started, then the budget when that is less", async () => {
      const { operation, contexts } = scripted(unavailable(500), unavailable(500), "done");
      await settle(retry(operation, { attemptTimeoutMs: 4_000, budgetMs: 3_000 }));
      // The budget starts at the first failure (0): 3 000 − 500, then 3 000 − 1 000.
      expect(contexts.map((c) => c.timeoutMs)).toEqual([4_000, 2_500, 2_000]);
    });

    it("is the time to the deadline when that is less", async () => {
      const { operation, contexts } = scripted(unavailable(500), "done");
      await settle(retry(operation, { attemptTimeoutMs: 4_000, deadline: 1_200 }));
      expect(contexts.map((c) => c.timeoutMs)).toEqual([1_200, 700]);
    });

    it("does not count the budget before the first failure, however slow the first call", async () => {
      const contexts: RetryContext[] = [];
      const operation = async (context: RetryContext) => {
        contexts.push(context);
        if (context.attempt > 1) return "done";
        await delay(5_000);
        throw unavailable(100);
      };
      await settle(retry(operation, { budgetMs: 1_000 }));
      expect(contexts.map((c) => c.timeoutMs)).toEqual([undefined, 900]);
    });
  });

  describe("a clock that cannot be trusted", () => {
    it("reads a NaN clock as a spent budget: one call, no retry, no spin", async () => {
      const now = vi.spyOn(Date, "now").mockReturnValue(Number.NaN);
      try {
        const first = unavailable(100);
        const { operation } = scripted(first, "done");
        // The deadline cannot be judged either: the first call is made.
        const outcome = await settle(retry(operation, { deadline: 1_000 }));
        expect(outcome.error).toBe(first);
        expect(operation).toHaveBeenCalledTimes(1);
      } finally {
        now.mockRestore();
      }
    });

    it("stops when the clock starts reading NaN mid-run", async () => {
      const real = Date.now;
      let broken = false;
      const now = vi.spyOn(Date, "now").mockImplementation(() => (broken ? Number.NaN : real()));
      try {
        const second = unavailable(100);
        const operation = vi.fn(async ({ attempt }: RetryContext) => {
          if (attempt === 1) throw unavailable(100);
          broken = true;
          throw second;
        });
        const outcome = await settle(retry(operation));
        expect(outcome.error).toBe(second);
        expect(operation).toHaveBeenCalledTimes(2);
      } finally {
        now.mockRestore();
      }
    });

    it("reads a clock that throws as a spent budget", async () => {
      const now = vi.spyOn(Date, "now").mockImplementation(() => {
        throw new Error("no clock here");
      });
      try {
        const first = unavailable(100);
        const operation = vi.fn(async () => {
          throw first;
        });
        expect((await settle(retry(operation))).error).toBe(first);
        expect(operation).toHaveBeenCalledTimes(1);
      } finally {
        now.mockRestore();
      }
    });

    it("counts a clock set back during a sleep as a spent budget, rather than stretching it", async () => {
      const first = unavailable(300);
      const { operation } = scripted(first, "done");
      const outcome = outcomeOf(retry(operation, { budgetMs: 10_000 }));
      await vi.advanceTimersByTimeAsync(100);
      vi.setSystemTime(Date.now() - 60_000);
      await vi.runAllTimersAsync();
      expect((await outcome).error).toBe(first);
      expect(operation).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe("retryWith: the policy judges", () => {
    /** A raw transport error: a code and a hint, as a road would carry them. */
    function raw(code: number, hintMs?: number) {
      return Object.assign(new Error(`raw ${code}`), { code, hintMs });
    }
    class CustomTimeout extends Error {}
    const policy: RetryPolicy = {
      judge: (error) => ({
        retryable: (error as { code?: number }).code === 14,
        retryDelay: (error as { hintMs?: number }).hintMs,
      }),
      timeoutError: (message, cause) => new CustomTimeout(message, { cause }),
    };

    it("retries what the policy calls retryable, sleeps its hint, and re-throws the raw error unchanged", async () => {
      const last = raw(14, 400);
      const { operation, times } = scripted(raw(14, 700), last);
      const outcome = await settle(retryWith(operation, { maxAttempts: 2 }, policy));
      expect(times).toEqual([0, 700]);
      expect(outcome.error).toBe(last);
    });

    it("re-throws at once what the policy refuses, whatever its hint", async () => {
      const refused = raw(3, 700);
      const { operation } = scripted(refused, "done");
      expect((await settle(retryWith(operation, {}, policy))).error).toBe(refused);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("lets shouldRetry replace the policy's verdict, while the hint still comes from the policy", async () => {
      const { operation, times } = scripted(raw(3, 700), "done");
      const shouldRetry = vi.fn(() => true);
      expect(await settle(retryWith(operation, { shouldRetry }, policy))).toEqual({ value: "done" });
      expect(times).toEqual([0, 700]);
      expect(shouldRetry).toHaveBeenCalledTimes(1);

      const refused = raw(14, 700);
      const second = scripted(refused, "done");
      const outcome = await settle(retryWith(second.operation, { shouldRetry: () => false }, policy));
      expect(outcome.error).toBe(refused);
    });

    it("rejects with the policy's timeout error: for a deadline already past, and after a timed-out attempt", async () => {
      vi.setSystemTime(1_000);
      const operation = vi.fn(async () => "done");
      const early = await retryWith(operation, { deadline: 1 }, policy).catch((caught: unknown) => caught);
      expect(early).toBeInstanceOf(CustomTimeout);
      expect(operation).not.toHaveBeenCalled();

      const hung = ({ signal }: RetryContext) =>
        new Promise<never>((_resolve, reject) => signal.addEventListener("abort", () => reject(raw(1))));
      const outcome = await settle(retryWith(hung, { attemptTimeoutMs: 100, maxAttempts: 1 }, policy));
      expect(outcome.error).toBeInstanceOf(CustomTimeout);
      expect((outcome.error as Error).cause).toMatchObject({ code: 1 });
    });

    it("rejects with what judge throws", async () => {
      const broken = new Error("judge bug");
      const throwing: RetryPolicy = {
        ...policy,
        judge: () => {
          throw broken;
        },
      };
      const { operation } = scripted(raw(14), "done");
      expect((await settle(retryWith(operation, {}, throwing))).error).toBe(broken);
    });

    it.each([
      ["undefined", undefined],
      ["an object without timeoutError", { judge: () => ({ retryable: true, retryDelay: undefined }) }],
      ["a function", () => true],
    ])("rejects %s as a policy with a TypeError before any call", async (_label, bad) => {
      const operation = vi.fn(async () => "done");
      const error = await retryWith(operation, {}, bad as never).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/policy/);
      expect(operation).not.toHaveBeenCalled();
    });

    it("is what retry runs with the default policy: the same sleeps and the same errors", async () => {
      const a = scripted(unavailable(300), unavailable(), "done");
      const b = scripted(unavailable(300), unavailable(), "done");
      await settle(retry(a.operation, { random: () => 1 }));
      await settle(retryWith(b.operation, { random: () => 1 }, DEFAULT_POLICY));
      expect(gaps(a.times)).toEqual([300, 200]);
      expect(gaps(b.times)).toEqual(gaps(a.times));
    });
  });

  describe("attemptTimeoutMs", () => {
    /**
     * An operation whose calls hang until their signal aborts, then reject with `rejectWith(signal)`
     * (by default the signal's reason, as `fetch` does); a value in `script` is returned at once.
     */
    function hanging(script: readonly unknown[] = [], rejectWith = (signal: AbortSignal) => signal.reason) {
      const signals: AbortSignal[] = [];
      const abortedAt: number[] = [];
      const operation = vi.fn(({ attempt, signal }: RetryContext) => {
        signals.push(signal);
        const step = script[attempt - 1];
        if (step !== undefined) return Promise.resolve(step);
        return new Promise<never>((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            abortedAt.push(Date.now());
            reject(rejectWith(signal));
          });
        });
      });
      return { operation, signals, abortedAt };
    }

    it("aborts the attempt's signal after attemptTimeoutMs with a TimeoutError DOMException", async () => {
      const { operation, signals, abortedAt } = hanging();
      const outcome = await settle(retry(operation, { attemptTimeoutMs: 1_000, maxAttempts: 1 }));
      expect(abortedAt).toEqual([1_000]);
      const reason: unknown = signals[0]?.reason;
      expect(reason).toBeInstanceOf(DOMException);
      expect(reason).toMatchObject({ name: "TimeoutError" });
      expect((reason as DOMException).message).toMatch(/attemptTimeoutMs \(1000 ms\)/);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect((outcome.error as Error).cause).toBe(reason);
    });

    it("retries a timed-out attempt whatever it threw, without asking shouldRetry, and resolves with a later success", async () => {
      const notFound = new SandboxNotFoundError("gone");
      const { operation, signals } = hanging([undefined, "done"], () => notFound);
      const shouldRetry = vi.fn(isRetryable);
      const events: RetryEvent[] = [];
      const options = {
        attemptTimeoutMs: 500,
        shouldRetry,
        onRetry: (event: RetryEvent) => events.push(event),
      };
      expect(await settle(retry(operation, options))).toEqual({ value: "done" });
      expect(operation).toHaveBeenCalledTimes(2);
      expect(shouldRetry).not.toHaveBeenCalled();
      // onRetry sees what retry would have rejected with.
      expect(events[0]?.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect((events[0]!.error as Error).cause).toBe(notFound);
      // Each attempt has its own signal: the second did not start aborted.
      expect(signals[0]).not.toBe(signals[1]);
      expect(signals[1]?.aborted).toBe(false);
    });

    it("rejects with a SandboxRequestTimeoutError whose cause is what the last attempt threw, once attempts run out", async () => {
      const thrown: Error[] = [];
      const { operation } = hanging([], () => {
        const error = new Error(`cancelled #${thrown.length + 1}`);
        thrown.push(error);
        return error;
      });
      const outcome = await settle(retry(operation, { attemptTimeoutMs: 100, maxAttempts: 3 }));
      expect(operation).toHaveBeenCalledTimes(3);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect(isRetryable(outcome.error)).toBe(true);
      expect((outcome.error as Error).cause).toBe(thrown[2]);
      expect((outcome.error as Error).message).toMatch(/attempt 3 ran past attemptTimeoutMs \(100 ms\)/);
    });

    it("rejects with a SandboxRequestTimeoutError when the budget is spent after a timed-out attempt", async () => {
      const { operation } = hanging();
      const outcome = await settle(retry(operation, { attemptTimeoutMs: 1_000, budgetMs: 0 }));
      expect(operation).toHaveBeenCalledTimes(1);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
      expect((outcome.error as Error).cause).toMatchObject({ name: "TimeoutError" });
    });

    it("backs off after a timed-out attempt: a hint on what it threw is not read", async () => {
      const { operation } = hanging([undefined, "done"], () => unavailable(5_000));
      const times: number[] = [];
      const timed = vi.fn((context: RetryContext) => {
        times.push(Date.now());
        return operation(context);
      });
      await settle(retry(timed, { attemptTimeoutMs: 1_000, random: () => 1 }));
      expect(times).toEqual([0, 1_200]);
    });

    it("judges an attempt that ends before its timeout as usual, and clears the timer", async () => {
      const notFound = new SandboxNotFoundError("gone");
      const operation = vi.fn(async () => {
        await delay(500);
        throw notFound;
      });
      const outcome = outcomeOf(retry(operation, { attemptTimeoutMs: 1_000 }));
      await vi.advanceTimersByTimeAsync(500);
      expect(vi.getTimerCount()).toBe(0);
      expect((await outcome).error).toBe(notFound);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("resolves with the value of an attempt that ignored its signal and succeeded late", async () => {
      let signal: AbortSignal | undefined;
      const operation = vi.fn(async (context: RetryContext) => {
        signal = context.signal;
        await delay(3_000);
        return "late";
      });
      expect(await settle(retry(operation, { attemptTimeoutMs: 1_000 }))).toEqual({ value: "late" });
      expect(signal?.aborted).toBe(true);
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it("rejects with the caller's reason, not a timeout, when the caller aborts during a timed attempt", async () => {
      const controller = new AbortController();
      const reason = new Error("user cancelled");
      const { operation, signals } = hanging();
      const result = retry(operation, { attemptTimeoutMs: 1_000, signal: controller.signal });
      await vi.advanceTimersByTimeAsync(400);
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
      expect(signals[0]?.reason).toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe("throttle (gRFC A6)", () => {
    it("starts full, with the documented defaults", () => {
      const throttle = createRetryThrottle();
      expect([throttle.tokens, throttle.maxTokens, throttle.tokenRatio]).toEqual([10, 10, 0.1]);
      expect(createRetryThrottle({ maxTokens: 3.5 }).tokens).toBe(3.5);
    });

    it("takes a token per retryable failure and retries only while more than maxTokens / 2 remain", async () => {
      const throttle = createRetryThrottle({ maxTokens: 10 });
      const errors = Array.from({ length: 8 }, () => unavailable(10));
      const { operation } = scripted(...errors);
      const outcome = await settle(retry(operation, { throttle }));
      // 9, 8, 7, 6 are above 5: four retries; the fifth failure leaves 5, which is not.
      expect(operation).toHaveBeenCalledTimes(5);
      expect(outcome.error).toBe(errors[4]);
      expect(throttle.tokens).toBe(5);
    });

    it("is shared: a second call is refused at its first failure once the first call drained it", async () => {
      const throttle = createRetryThrottle({ maxTokens: 4 });
      const first = scripted(unavailable(10), unavailable(10), unavailable(10));
      await settle(retry(first.operation, { throttle }));
      expect(first.operation).toHaveBeenCalledTimes(2);
      const refused = unavailable(10);
      const second = scripted(refused, "done");
      expect((await settle(retry(second.operation, { throttle }))).error).toBe(refused);
      expect(second.operation).toHaveBeenCalledTimes(1);
      expect(throttle.tokens).toBe(1);
    });

    it("takes no token for a non-retryable failure, nor for an abort", async () => {
      const throttle = createRetryThrottle();
      const notFound = scripted(new SandboxNotFoundError("x"));
      await settle(retry(notFound.operation, { throttle }));
      const controller = new AbortController();
      const aborted = retry(() => new Promise<never>(() => {}), { throttle, signal: controller.signal });
      controller.abort(new Error("stop"));
      await expect(aborted).rejects.toThrow("stop");
      expect(throttle.tokens).toBe(10);
    });

    it("takes a token for the failure that ends retrying on maxAttempts or the budget", async () => {
      const throttle = createRetryThrottle();
      await settle(retry(scripted(unavailable()).operation, { throttle, maxAttempts: 1 }));
      await settle(retry(scripted(unavailable()).operation, { throttle, budgetMs: 0 }));
      expect(throttle.tokens).toBe(8);
    });

    it("gives back tokenRatio per success, never above maxTokens", async () => {
      const throttle = createRetryThrottle({ maxTokens: 10, tokenRatio: 0.4 });
      await settle(retry(scripted(unavailable(10), unavailable(10), "done").operation, { throttle }));
      // 10 − 2 + 0.4
      expect(throttle.tokens).toBe(8.4);
      for (let i = 0; i < 10; i++) await settle(retry(async () => "ok", { throttle }));
      expect(throttle.tokens).toBe(10);
    });

    it("re-throws the refused error itself, and a timed-out attempt as its SandboxRequestTimeoutError", async () => {
      const throttle = createRetryThrottle({ maxTokens: 1 });
      const refused = unavailable();
      const { operation } = scripted(refused, "done");
      expect((await settle(retry(operation, { throttle }))).error).toBe(refused);

      const hung = vi.fn(
        ({ signal }: RetryContext) =>
          new Promise<never>((_resolve, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason)),
          ),
      );
      const outcome = await settle(retry(hung, { throttle, attemptTimeoutMs: 100 }));
      expect(hung).toHaveBeenCalledTimes(1);
      expect(outcome.error).toBeInstanceOf(SandboxRequestTimeoutError);
    });

    it("with tokenRatio 0, gives nothing back: once it refuses, it keeps refusing", async () => {
      const throttle = createRetryThrottle({ maxTokens: 2, tokenRatio: 0 });
      const drain = scripted(unavailable(), "done");
      await settle(retry(drain.operation, { throttle }));
      // 1 token left, not more than 2 / 2: refused at the first failure.
      expect(drain.operation).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 5; i++) await settle(retry(async () => "ok", { throttle }));
      expect(throttle.tokens).toBe(1);
      const { operation } = scripted(unavailable(), "done");
      await settle(retry(operation, { throttle }));
      expect(operation).toHaveBeenCalledTimes(1);
      expect(throttle.tokens).toBe(0);
    });

    it("keeps exact token arithmetic when shared by 100 concurrent retry calls", async () => {
      const tokenRatio = 0.007;
      const throttle = createRetryThrottle({ maxTokens: 1_000, tokenRatio });
      let failures = 0;
      let successes = 0;
      // Call i fails 1 + i % 5 times, each with its own hint, then succeeds: the calls interleave.
      const run = (i: number) =>
        retry(
          async ({ attempt }) => {
            if (attempt <= 1 + (i % 5)) {
              failures++;
              throw unavailable(1 + ((i * 7 + attempt * 13) % 50));
            }
            successes++;
            return i;
          },
          { throttle },
        );
      const wave = Array.from({ length: 100 }, (_, i) => run(i));
      expect(await settle(Promise.all(wave))).toEqual({ value: Array.from({ length: 100 }, (_, i) => i) });
      // Nine more waves of 100 calls that succeed at once.
      for (let round = 0; round < 9; round++) {
        await settle(
          Promise.all(Array.from({ length: 100 }, () => retry(async () => successes++, { throttle }))),
        );
      }
      expect(failures).toBe(300);
      expect(successes).toBe(1_000);
      // The bucket never reached its floor (500) or its top, so order does not matter: the same
      // sum in integer thousandths. Floating-point accumulation would give 706.9999999999482.
      const expected =
        (1_000 * 1_000 - failures * 1_000 + successes * Math.round(tokenRatio * 1_000)) / 1_000;
      expect(throttle.tokens).toBe(expected);
      expect(throttle.tokens).toBe(707);
    });

    it("refuses 96 of 100 concurrent calls that fail at once, exactly as the token count says", async () => {
      const throttle = createRetryThrottle({ maxTokens: 10, tokenRatio: 0.1 });
      const firstErrors = Array.from({ length: 100 }, () => unavailable(100));
      const calls = firstErrors.map((first) => scripted(first, "done"));
      const outcomes = await settle(Promise.all(calls.map((c) => settle(retry(c.operation, { throttle })))));
      const retried = calls.filter((c) => c.operation.mock.calls.length === 2).length;
      // Tokens 9, 8, 7, 6 allow a retry; 5 and below do not.
      expect(retried).toBe(4);
      const rejected = (outcomes.value ?? []).filter((o) => "error" in o);
      expect(rejected).toHaveLength(96);
      for (const [i, c] of calls.entries()) {
        if (c.operation.mock.calls.length === 1) expect(outcomes.value?.[i]?.error).toBe(firstErrors[i]);
      }
      // Drained to 0 (never below), then 4 successes: 4 × 0.1.
      expect(throttle.tokens).toBe(0.4);
    });

    it.each<[string, RetryThrottleOptions, ErrorConstructor, RegExp]>([
      ["maxTokens 0", { maxTokens: 0 }, RangeError, /maxTokens/],
      ["a negative maxTokens", { maxTokens: -1 }, RangeError, /maxTokens/],
      ["a NaN maxTokens", { maxTokens: Number.NaN }, RangeError, /maxTokens/],
      ["an infinite maxTokens", { maxTokens: Number.POSITIVE_INFINITY }, RangeError, /maxTokens/],
      ["maxTokens above 1000", { maxTokens: 1_001 }, RangeError, /maxTokens.*1000/],
      ["maxTokens in ten-thousandths", { maxTokens: 5.0001 }, RangeError, /maxTokens.*three decimal/],
      ["a string maxTokens", { maxTokens: "10" as never }, TypeError, /maxTokens/],
      ["a negative tokenRatio", { tokenRatio: -0.1 }, RangeError, /tokenRatio/],
      ["a NaN tokenRatio", { tokenRatio: Number.NaN }, RangeError, /tokenRatio/],
      ["an infinite tokenRatio", { tokenRatio: Number.POSITIVE_INFINITY }, RangeError, /tokenRatio/],
      ["a tokenRatio above maxTokens", { maxTokens: 2, tokenRatio: 3 }, RangeError, /tokenRatio.*maxTokens/],
      ["a tokenRatio in ten-thousandths", { tokenRatio: 0.0005 }, RangeError, /tokenRatio.*three decimal/],
    ])("createRetryThrottle rejects %s", (_label, options, type, message) => {
      expect(() => createRetryThrottle(options)).toThrow(type);
      expect(() => createRetryThrottle(options)).toThrow(message);
    });

    it("createRetryThrottle accepts gRFC A6's extremes and a zero ratio", () => {
      expect(createRetryThrottle({ maxTokens: 1_000, tokenRatio: 0.001 }).tokens).toBe(1_000);
      expect(createRetryThrottle({ maxTokens: 0.002, tokenRatio: 0 }).tokens).toBe(0.002);
    });
  });

  describe("options", () => {
    it.each<[string, RetryOptions, ErrorConstructor, RegExp]>([
      ["a negative budget", { budgetMs: -1 }, RangeError, /budgetMs/],
      ["a NaN budget", { budgetMs: Number.NaN }, RangeError, /budgetMs/],
      ["a string budget", { budgetMs: "1000" as unknown as number }, TypeError, /budgetMs/],
      ["maxAttempts 0", { maxAttempts: 0 }, RangeError, /maxAttempts/],
      ["a fractional maxAttempts", { maxAttempts: 2.5 }, RangeError, /maxAttempts/],
      ["a negative baseDelayMs", { baseDelayMs: -1 }, RangeError, /baseDelayMs/],
      [
        "baseDelayMs above the default maxDelayMs",
        { baseDelayMs: 6_000 },
        RangeError,
        /maxDelayMs.*baseDelayMs/,
      ],
      [
        "maxDelayMs below the default baseDelayMs",
        { maxDelayMs: 100 },
        RangeError,
        /maxDelayMs.*baseDelayMs/,
      ],
      ["an infinite factor", { factor: Number.POSITIVE_INFINITY }, RangeError, /factor/],
      ["an infinite maxDelayMs", { maxDelayMs: Number.POSITIVE_INFINITY }, RangeError, /maxDelayMs/],
      ["a maxDelayMs beyond what a timer can wait", { maxDelayMs: 2 ** 31 }, RangeError, /maxDelayMs/],
      ["factor below 1", { factor: 0.5 }, RangeError, /factor/],
      ["a NaN factor", { factor: Number.NaN }, RangeError, /factor/],
      ["a negative maxHintedDelayMs", { maxHintedDelayMs: -1 }, RangeError, /maxHintedDelayMs/],
      ["a NaN deadline", { deadline: Number.NaN }, RangeError, /deadline.*NaN/],
      ["an infinite deadline", { deadline: Number.POSITIVE_INFINITY }, RangeError, /deadline.*Infinity/],
      [
        "an invalid Date deadline",
        { deadline: new Date("not a date") },
        RangeError,
        /deadline.*invalid Date/,
      ],
      ["a string deadline", { deadline: "2030-01-01" as never }, TypeError, /deadline.*string/],
      [
        "an object deadline that is no Date",
        { deadline: { getTime: () => 5 } as never },
        TypeError,
        /deadline/,
      ],
      ["a non-function shouldRetry", { shouldRetry: true as never }, TypeError, /shouldRetry/],
      ["a non-function onRetry", { onRetry: "log" as never }, TypeError, /onRetry/],
      ["a non-function random", { random: 0.5 as never }, TypeError, /random/],
      ["a signal that is not an AbortSignal", { signal: {} as AbortSignal }, TypeError, /signal/],
      ["attemptTimeoutMs 0", { attemptTimeoutMs: 0 }, RangeError, /attemptTimeoutMs.*got 0/],
      ["a NaN attemptTimeoutMs", { attemptTimeoutMs: Number.NaN }, RangeError, /attemptTimeoutMs.*NaN/],
      ["a negative attemptTimeoutMs", { attemptTimeoutMs: -5 }, RangeError, /attemptTimeoutMs.*-5/],
      [
        "an infinite attemptTimeoutMs",
        { attemptTimeoutMs: Number.POSITIVE_INFINITY },
        RangeError,
        /attemptTimeoutMs.*Infinity/,
      ],
      ["an attemptTimeoutMs beyond a timer", { attemptTimeoutMs: 2 ** 31 }, RangeError, /attemptTimeoutMs/],
      [
        "a string attemptTimeoutMs",
        { attemptTimeoutMs: "5000" as never },
        RangeError,
        /attemptTimeoutMs.*"5000"/,
      ],
      ["a null attemptTimeoutMs", { attemptTimeoutMs: null as never }, RangeError, /attemptTimeoutMs.*null/],
      [
        "a throttle not made by createRetryThrottle",
        { throttle: { tokens: 5 } as never },
        TypeError,
        /throttle/,
      ],
    ])("rejects %s before any call", async (_label, options, type, message) => {
      const operation = vi.fn(async () => "done");
      let result: Promise<string> | undefined;
      expect(() => {
        result = retry(operation, options);
      }).not.toThrow();
      const error = await result?.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      expect(operation).not.toHaveBeenCalled();
    });

    it("rejects an operation that is not a function with a TypeError", async () => {
      await expect(retry("nope" as never)).rejects.toThrow(TypeError);
    });

    it("takes undefined as the default", async () => {
      const { operation, times } = scripted(unavailable(300), "done");
      await settle(retry(operation, { budgetMs: undefined, maxHintedDelayMs: undefined }));
      expect(times).toEqual([0, 300]);
    });

    it("accepts an infinite budget and an infinite maxAttempts", async () => {
      const { operation } = scripted(unavailable(), unavailable(), "done");
      const options = { budgetMs: Number.POSITIVE_INFINITY, maxAttempts: Number.POSITIVE_INFINITY };
      expect(await settle(retry(operation, options))).toEqual({ value: "done" });
    });
  });
});

describe("one signal shared by many concurrent retry calls", () => {
  /** Collects the process warnings emitted while `body` runs, and a turn of the event loop after. */
  async function warningsDuring(body: () => Promise<void>): Promise<Error[]> {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      await body();
      // Node emits a warning on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    return warnings;
  }

  const CALLS = 1_000;

  it("gains one listener for 1,000 calls, none once they settled, and no MaxListenersExceededWarning", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    let during = -1;
    const warnings = await warningsDuring(async () => {
      const calls = Array.from({ length: CALLS }, (_, i) =>
        retry(
          async ({ attempt }) => {
            if (attempt === 1) throw unavailable(50 + (i % 3));
            return i;
          },
          { signal },
        ),
      );
      // Every call is in its first sleep now: each has subscribed.
      await new Promise((resolve) => setImmediate(resolve));
      during = getEventListeners(signal, "abort").length;
      expect(await Promise.all(calls)).toEqual(Array.from({ length: CALLS }, (_, i) => i));
    });
    expect(during).toBe(1);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(warnings).toEqual([]);
  });

  it("aborts all 1,000 with the signal's reason, and leaves no listener", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const reason = new Error("shutting down");
    const operations = Array.from({ length: CALLS }, () => vi.fn(() => new Promise<never>(() => {})));
    let outcomes: unknown[] = [];
    const warnings = await warningsDuring(async () => {
      const calls = operations.map((operation) =>
        retry(operation, { signal }).catch((error: unknown) => error),
      );
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort(reason);
      outcomes = await Promise.all(calls);
    });
    expect(new Set(outcomes)).toEqual(new Set([reason]));
    expect(outcomes).toHaveLength(CALLS);
    for (const operation of operations) expect(operation).toHaveBeenCalledTimes(1);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(warnings).toEqual([]);
  });

  it("lets calls that settle at different times each take their subscription away", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    let release: () => void = () => {};
    const slow = retry(() => new Promise<string>((resolve) => (release = () => resolve("slow"))), { signal });
    await retry(async () => "fast", { signal });
    // The fast call has gone; the slow one still listens.
    expect(getEventListeners(signal, "abort")).toHaveLength(1);
    release();
    await expect(slow).resolves.toBe("slow");
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    // A later call subscribes afresh and still hears the abort.
    const later = retry(() => new Promise<never>(() => {}), { signal });
    controller.abort(new Error("later"));
    await expect(later).rejects.toThrow("later");
  });
});

describe("an operation that ignores its signal", () => {
  it("rejects at once on the caller's abort, and its later rejection is not reported as unhandled", async () => {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    let rejectLate: (error: unknown) => void = () => {};
    const operation = vi.fn(() => new Promise<never>((_resolve, reject) => (rejectLate = reject)));
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => unhandled.push(error);
    process.on("unhandledRejection", onUnhandled);
    try {
      const result = retry(operation, { signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
      // The operation never looked at its signal: it fails much later, on its own.
      rejectLate(unavailable());
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(operation).toHaveBeenCalledTimes(1);
  });
});

describe("retry with real timers", () => {
  const child = fileURLToPath(new URL("../support/retry-child.ts", import.meta.url));

  /**
   * Runs a scenario of test/support/retry-child.ts in a fresh process: this worker's own timers
   * come and go, a bare process has none. A leaked timer would keep the child alive for ten
   * minutes; the 20 s limit turns that into a failure.
   */
  async function inChild(scenario: string): Promise<{ outcome: string; timers: number }> {
    const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", child, scenario], {
      timeout: 20_000,
    });
    return JSON.parse(stdout);
  }

  it.each([
    ["retries that succeed", "success", "resolved"],
    ["an abort during a long sleep", "abort-during-sleep", "aborted"],
    ["an abort while the operation runs", "abort-during-call", "aborted"],
    [
      "attempts that ran past attemptTimeoutMs",
      "attempt-timeouts",
      "SandboxRequestTimeoutError caused by TimeoutError",
    ],
    ["attempts that ended within attemptTimeoutMs", "attempts-within-timeout", "resolved"],
    ["an abort during a timed attempt", "abort-during-timed-call", "aborted"],
    ["a non-retryable failure within attemptTimeoutMs", "non-retryable-within-timeout", "gone"],
    ["an attempt cut at the deadline", "deadline-cut", "SandboxRequestTimeoutError caused by TimeoutError"],
    ["a sleep cut to the deadline", "deadline-during-sleep", "SandboxUnavailableError"],
  ])("leaves no timer behind after %s", async (_label, scenario, outcome) => {
    expect(await inChild(scenario)).toEqual({ outcome, timers: 0 });
  });
});
