import { execFile } from "node:child_process";
import { getEventListeners } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  RequestSizeError,
  SandboxNotFoundError,
  SandboxRequestTimeoutError,
  SandboxResourceExhaustedError,
  SandboxUnavailableError,
  SnapshotBackendThrottledError,
} from "../src/errors.js";
import { type RetryContext, type RetryEvent, type RetryOptions, retry } from "../src/retry.js";

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

/** Waits with the global `setTimeout`, which fake timers control (`node:timers/promises` is not). */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

    it("passes the attempt number, counting from 1, and one signal to every call", async () => {
      const { operation, contexts } = scripted(unavailable(), unavailable(), "done");
      await settle(retry(operation));
      expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(contexts[0]?.signal).toBeInstanceOf(AbortSignal);
      expect(new Set(contexts.map((c) => c.signal)).size).toBe(1);
      expect(contexts[0]?.signal.aborted).toBe(false);
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
      const { operation, times } = scripted(unavailable(700), unavailable(700), last);
      const outcome = await settle(retry(operation, { budgetMs: 1_000 }));
      expect(outcome.error).toBe(last);
      expect(times).toEqual([0, 700, 1_000]);
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
      // uniform(200, max(200, min(2000, 200 * 1.5))) at 0.5 is 250.
      await settle(retry(operation, { random: () => 0.5 }));
      expect(times).toEqual([0, 250]);
    });

    it("reads retryDelay as a plain field, so any error that carries one is honoured", async () => {
      const foreign = Object.assign(new Error("from another copy of the package"), { retryDelay: 700 });
      const { operation, times } = scripted(foreign, "done");
      await settle(retry(operation, { shouldRetry: () => true }));
      expect(times).toEqual([0, 700]);
    });

    it("does not let a hinted sleep move the backoff", async () => {
      const { operation, times } = scripted(unavailable(), unavailable(5_000), unavailable(), "done");
      await settle(retry(operation, { random: () => 1 }));
      // 300 (200 × 1.5), the hinted 5 000, then 450 (300 × 1.5): the 5 000 did not become `previous`.
      expect(gaps(times)).toEqual([300, 5_000, 450]);
    });
  });

  describe("backoff (decorrelated jitter)", () => {
    it("grows the ceiling by factor per retry until maxDelayMs", async () => {
      const { operation, times } = scripted(...Array.from({ length: 7 }, () => unavailable()), "done");
      await settle(retry(operation, { random: () => 1 }));
      // 200 → 300 → 450 → 675 → 1012.5 (1013) → 1519.5 (1520) → 2000 (capped) → 2000.
      expect(gaps(times)).toEqual([300, 450, 675, 1_013, 1_520, 2_000, 2_000]);
    });

    it("follows baseDelayMs, factor and maxDelayMs when given", async () => {
      const { operation, times } = scripted(...Array.from({ length: 5 }, () => unavailable()), "done");
      await settle(retry(operation, { random: () => 1, baseDelayMs: 100, factor: 2, maxDelayMs: 1_000 }));
      expect(gaps(times)).toEqual([200, 400, 800, 1_000, 1_000]);
    });

    it("sleeps baseDelayMs when the random source gives 0", async () => {
      const { operation, times } = scripted(unavailable(), unavailable(), unavailable(), "done");
      await settle(retry(operation, { random: () => 0 }));
      expect(gaps(times)).toEqual([200, 200, 200]);
    });

    it("keeps every sleep within [base, min(maxDelay, previous × factor)]", async () => {
      // A fixed pseudo-random sequence (a linear congruential generator), so the test is repeatable.
      let seed = 12_345;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      const { operation, times } = scripted(...Array.from({ length: 60 }, () => unavailable()), "done");
      await settle(retry(operation, { random, budgetMs: Number.POSITIVE_INFINITY }));
      const sleeps = gaps(times);
      expect(sleeps).toHaveLength(60);
      let previous = 200;
      for (const sleep of sleeps) {
        expect(sleep).toBeGreaterThanOrEqual(200);
        expect(sleep).toBeLessThanOrEqual(Math.ceil(Math.max(200, Math.min(2_000, previous * 1.5))));
        previous = sleep;
      }
      // Jitter, not a fixed schedule: the sleeps differ.
      expect(new Set(sleeps).size).toBeGreaterThan(10);
    });

    it("cuts the ceiling and the sleep to the remaining budget", async () => {
      const last = unavailable();
      const { operation, times } = scripted(unavailable(), unavailable(), last);
      const outcome = await settle(retry(operation, { random: () => 1, budgetMs: 1_000 }));
      // 300, 450, then only 250 are left; at 1 000 the budget is spent.
      expect(times).toEqual([0, 300, 750, 1_000]);
      expect(outcome.error).toBe(last);
    });

    it("draws the sleep below a ceiling already cut to the remaining budget", async () => {
      const { operation, times } = scripted(unavailable(), unavailable(), unavailable());
      await settle(retry(operation, { random: () => 0.5, budgetMs: 600 }));
      // 250 = uniform(200, 300) at 0.5; then 350 are left, so the ceiling is 350, not 375:
      // 200 + 0.5 × 150 = 275; then 75 are left, less than the base, so 75.
      expect(gaps(times)).toEqual([250, 275, 75]);
    });

    it("sleeps less than baseDelayMs when less than that is left of the budget", async () => {
      const { operation, times } = scripted(unavailable(), "done");
      await settle(retry(operation, { budgetMs: 120 }));
      expect(times).toEqual([0, 120]);
    });

    it("clamps a random source that leaves [0, 1]", async () => {
      const high = scripted(unavailable(), "done");
      await settle(retry(high.operation, { random: () => 7 }));
      expect(gaps(high.times)).toEqual([300]);
      const low = scripted(unavailable(), "done");
      await settle(retry(low.operation, { random: () => -3 }));
      expect(gaps(low.times)).toEqual([200]);
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
        throw calls === 3 ? last : unavailable(600);
      };
      const outcome = await settle(retry(operation, { budgetMs: 1_000 }));
      // Counted from the start, the budget would be spent before the first retry.
      expect(times).toEqual([0, 5_600, 6_000]);
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
      ["a raw Error with a code", Object.assign(new Error("14 UNAVAILABLE: x"), { code: 14 })],
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
      await settle(retry(operation, { onRetry, random: () => 0 }));
      expect(seen).toEqual([
        { event: { error: first, attempt: 1, delayMs: 300 }, callsSoFar: 1, now: 0 },
        { event: { error: second, attempt: 2, delayMs: 200 }, callsSoFar: 2, now: 300 },
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

  describe("options", () => {
    it.each<[string, RetryOptions, ErrorConstructor, RegExp]>([
      ["a negative budget", { budgetMs: -1 }, RangeError, /budgetMs/],
      ["a NaN budget", { budgetMs: Number.NaN }, RangeError, /budgetMs/],
      ["a string budget", { budgetMs: "1000" as unknown as number }, TypeError, /budgetMs/],
      ["maxAttempts 0", { maxAttempts: 0 }, RangeError, /maxAttempts/],
      ["a fractional maxAttempts", { maxAttempts: 2.5 }, RangeError, /maxAttempts/],
      ["a negative baseDelayMs", { baseDelayMs: -1 }, RangeError, /baseDelayMs/],
      ["baseDelayMs above maxDelayMs", { baseDelayMs: 3_000 }, RangeError, /baseDelayMs.*maxDelayMs/],
      ["an infinite maxDelayMs", { maxDelayMs: Number.POSITIVE_INFINITY }, RangeError, /maxDelayMs/],
      ["a maxDelayMs beyond what a timer can wait", { maxDelayMs: 2 ** 31 }, RangeError, /maxDelayMs/],
      ["factor below 1", { factor: 0.5 }, RangeError, /factor/],
      ["a NaN factor", { factor: Number.NaN }, RangeError, /factor/],
      ["a negative maxHintedDelayMs", { maxHintedDelayMs: -1 }, RangeError, /maxHintedDelayMs/],
      ["a non-function shouldRetry", { shouldRetry: true as never }, TypeError, /shouldRetry/],
      ["a non-function onRetry", { onRetry: "log" as never }, TypeError, /onRetry/],
      ["a non-function random", { random: 0.5 as never }, TypeError, /random/],
      ["a signal that is not an AbortSignal", { signal: {} as AbortSignal }, TypeError, /signal/],
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

describe("retry with real timers", () => {
  const child = fileURLToPath(new URL("./support/retry-child.ts", import.meta.url));

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
  ])("leaves no timer behind after %s", async (_label, scenario, outcome) => {
    expect(await inChild(scenario)).toEqual({ outcome, timers: 0 });
  });
});
