/**
 * `retry()`: call an operation again after a retryable failure, honouring the server's `RetryInfo`
 * hint and backing off with decorrelated jitter otherwise, within a time budget; optionally with a
 * timeout per attempt and gRPC's retry throttling shared between calls.
 */
import { SandboxRequestTimeoutError } from "../presets/cwsandbox/errors.js";
import { isRetryable } from "../presets/cwsandbox/retry-policy.js";

/** What `retry` hands to the operation on each call. */
export interface RetryContext {
  /** Which call this is, counting from 1. */
  readonly attempt: number;
  /**
   * Aborts when the `signal` given to `retry` aborts (with the same reason), and, with
   * `attemptTimeoutMs`, when this attempt has run that long (with a `TimeoutError` `DOMException`).
   * Pass it on to the transport (a grpc-js call's `cancel()`, `fetch`'s `signal`) so an abandoned
   * or overdue call stops too: `retry` waits for a timed-out attempt to end. It never aborts
   * otherwise. Without `attemptTimeoutMs` every attempt gets the same signal; with it, each its own.
   */
  readonly signal: AbortSignal;
}

/** What `onRetry` learns before each sleep. */
export interface RetryEvent {
  /**
   * The error the call threw, unchanged; for a call that ran past `attemptTimeoutMs`, the
   * `SandboxRequestTimeoutError` (whose `cause` is what the call threw) that `retry` would reject
   * with if it stopped there.
   */
  readonly error: unknown;
  /** The call that threw it, counting from 1; the next call is `attempt + 1`. */
  readonly attempt: number;
  /**
   * How long `retry` will now sleep before the next call, in milliseconds (a whole number). When
   * the sleep was cut to what is left of the budget, it ends with the budget spent, so no call
   * follows it: `retry` re-throws `error` then.
   */
  readonly delayMs: number;
}

/** Options of {@link retry}. Every field is optional; `undefined` means the default. */
export interface RetryOptions {
  /**
   * How long retrying may go on, in milliseconds, counted from the **first retryable failure** (so
   * a slow first call does not eat into it). Once it is spent, the last error is re-thrown. Every
   * sleep is cut to what is left of it, and the clock is read again after every sleep: no call
   * starts once the budget is spent, reaching the deadline exactly included, even when the clock
   * jumped during the sleep (a suspended laptop, a blocked event loop). `0` turns retries off;
   * `Infinity` lets `maxAttempts` alone decide. Default `30_000`.
   */
  budgetMs?: number | undefined;
  /**
   * The most calls to make, the first included (`1` means no retry). A whole number of at least 1,
   * or `Infinity`. Default `Infinity`: the budget alone decides.
   */
  maxAttempts?: number | undefined;
  /** The shortest backoff sleep, in milliseconds, and where the backoff starts. Default `200`. */
  baseDelayMs?: number | undefined;
  /** The longest backoff sleep, in milliseconds; at least `baseDelayMs`. Default `2_000`. */
  maxDelayMs?: number | undefined;
  /**
   * How fast the backoff's ceiling grows: each sleep is drawn between `baseDelayMs` and `factor`
   * times the previous backoff sleep (capped by `maxDelayMs`). At least 1. Default `1.5`.
   */
  factor?: number | undefined;
  /**
   * The longest sleep a server's `retryDelay` hint can ask for, in milliseconds, so a misbehaving
   * server cannot park the client. Default `10_000`.
   */
  maxHintedDelayMs?: number | undefined;
  /**
   * How long one attempt may run, in milliseconds: after that, the signal handed to the operation
   * aborts with a `TimeoutError` `DOMException`, and the attempt, once it ends, counts as a
   * retryable failure whatever it threw (`shouldRetry` is not asked). When retrying stops after
   * such an attempt (attempts, budget or throttle), `retry` rejects with a
   * `SandboxRequestTimeoutError` whose `cause` is what the attempt threw. Cooperative: `retry`
   * waits for the attempt to end, so the operation must pass the signal on to its transport. An
   * attempt that resolves all the same resolves `retry`. A positive finite number up to
   * 2,147,483,647 (what a timer can wait); anything else, `0` included, is a `RangeError`.
   * Default: none.
   */
  attemptTimeoutMs?: number | undefined;
  /**
   * gRPC's retry throttling (gRFC A6), made by {@link createRetryThrottle} and shared by every
   * `retry` call given it, so that a failing server is not hammered by every caller's retries at
   * once: each retryable failure takes a token, and retrying goes on only while more than half of
   * the tokens remain; each success gives some back. When it refuses, the last error is re-thrown.
   * Default: none (no throttling).
   */
  throttle?: RetryThrottle | undefined;
  /**
   * Stops retrying: when it aborts, `retry` rejects at once with `signal.reason`, cancels its sleep,
   * makes no further call, and aborts the signal it handed to the operation.
   */
  signal?: AbortSignal | undefined;
  /**
   * Decides whether an error is worth another call; asked about every failure (unless the signal
   * has aborted). If it returns false the error is re-thrown at once. If it throws, `retry` rejects
   * with what it threw. Default {@link isRetryable}: only the retryable classes of this package,
   * whatever their `retryDelay`; map transport errors with `fromGrpcStatus` inside the operation.
   */
  shouldRetry?: ((error: unknown, attempt: number) => boolean) | undefined;
  /**
   * Called before each sleep, for logging and metrics. If it throws, `retry` rejects with what it
   * threw.
   */
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /**
   * A source of numbers in [0, 1) for the jitter, for deterministic tests; a value outside [0, 1]
   * (or NaN) is clamped into it. Default `Math.random`.
   */
  random?: (() => number) | undefined;
}

/** The largest delay `setTimeout` honours; a longer one fires at once (Node.js and browsers). */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Options of {@link createRetryThrottle}. Every field is optional; `undefined` means the default. */
export interface RetryThrottleOptions {
  /**
   * How many tokens the throttle holds, and starts with; retrying goes on only while more than
   * half of them remain. More than 0 and at most 1,000 (gRFC A6's bounds), with at most three
   * decimal places. Default `10`.
   */
  maxTokens?: number | undefined;
  /**
   * How many tokens each success gives back. 0 or more (0: a throttle that refuses once stays
   * refusing) and at most `maxTokens`, with at most three decimal places. Default `0.1`.
   */
  tokenRatio?: number | undefined;
}

/**
 * A token bucket shared by `retry` calls (the `throttle` option) that stops retrying while a server
 * fails more than it succeeds: gRPC's retry throttling (gRFC A6). Made by
 * {@link createRetryThrottle}. Counts are kept in whole thousandths of a token, as gRFC A6 does, so
 * the arithmetic stays exact however many calls share it.
 */
export interface RetryThrottle {
  /** How many tokens are left now: from 0 to `maxTokens`, a whole number of thousandths. */
  readonly tokens: number;
  /** The bucket's size, as given to {@link createRetryThrottle}. */
  readonly maxTokens: number;
  /** What each success gives back, as given to {@link createRetryThrottle}. */
  readonly tokenRatio: number;
  /**
   * What `retry` calls after each retryable failure: takes one token (never going below 0), then
   * says whether a retry may follow (more than `maxTokens / 2` tokens remain). For other retry
   * loops that want to share the same throttle.
   */
  onRetryableFailure(): boolean;
  /** What `retry` calls after each success: gives back `tokenRatio` (never above `maxTokens`). */
  onSuccess(): void;
}

/** Token counts are whole thousandths, as in gRFC A6, so that 0.1 + 0.2 stays 0.3. */
const MILLI = 1_000;
/** gRFC A6's largest `maxTokens`. */
const MAX_THROTTLE_TOKENS = 1_000;

/**
 * Makes a {@link RetryThrottle} to pass as `throttle` to every `retry` call that talks to the same
 * server: gRPC's retry throttling (gRFC A6). It starts full, at `maxTokens`. Each retryable
 * failure takes one token, and the retry then happens only if more than `maxTokens / 2` remain;
 * each success gives back `tokenRatio` (never above `maxTokens`); a non-retryable failure takes
 * none. So retries stop once more than about one call in `1 + 1 / tokenRatio` fails (1 in 11 by
 * default), and resume as calls succeed again.
 *
 * @throws A `TypeError` or `RangeError` naming the option, for invalid options (a `maxTokens` that
 * is not a number in (0, 1000], a `tokenRatio` below 0 or above `maxTokens`, more than three
 * decimal places).
 *
 * @example
 * ```ts
 * const throttle = createRetryThrottle({ maxTokens: 10, tokenRatio: 0.1 });
 * const sandbox = await retry(({ signal }) => getSandbox(sandboxId, signal), { throttle });
 * ```
 */
export function createRetryThrottle(options?: RetryThrottleOptions): RetryThrottle {
  const given: unknown = options ?? {};
  if (typeof given !== "object" || given === null) {
    throw new TypeError(`createRetryThrottle: options must be an object, got ${typeName(given)}`);
  }
  const read = (
    name: keyof RetryThrottleOptions,
    fallback: number,
    bounds: string,
    ok: (v: number) => boolean,
  ) => {
    const value: unknown = (given as RetryThrottleOptions)[name];
    if (value === undefined) return fallback;
    if (typeof value !== "number") {
      throw new TypeError(`createRetryThrottle: ${name} must be a number, got ${typeName(value)}`);
    }
    if (!(Number.isFinite(value) && ok(value))) {
      throw new RangeError(`createRetryThrottle: ${name} must be ${bounds}, got ${value}`);
    }
    if (thousandths(value) === undefined) {
      throw new RangeError(
        `createRetryThrottle: ${name} must have at most three decimal places (tokens are counted in thousandths), got ${value}`,
      );
    }
    return value;
  };
  const maxTokens = read(
    "maxTokens",
    10,
    `more than 0 and at most ${MAX_THROTTLE_TOKENS}`,
    (v) => v > 0 && v <= MAX_THROTTLE_TOKENS,
  );
  const tokenRatio = read("tokenRatio", 0.1, `0 or more and at most maxTokens (${maxTokens})`, (v) => {
    return v >= 0 && v <= maxTokens;
  });
  const capacity = thousandths(maxTokens) as number;
  const refill = thousandths(tokenRatio) as number;
  let milliTokens = capacity;
  return Object.freeze({
    get tokens() {
      // An integer over 1000 gives the double nearest the decimal: 9100 / 1000 === 9.1.
      return milliTokens / MILLI;
    },
    maxTokens,
    tokenRatio,
    onRetryableFailure() {
      milliTokens = Math.max(0, milliTokens - MILLI);
      return milliTokens * 2 > capacity;
    },
    onSuccess() {
      milliTokens = Math.min(capacity, milliTokens + refill);
    },
  });
}

/**
 * `value` in whole thousandths, or `undefined` when it has more than three decimal places. The
 * product is rounded because 0.007 × 1000 is 7.000000000000001 in binary floating point.
 */
function thousandths(value: number): number | undefined {
  const scaled = value * MILLI;
  const whole = Math.round(scaled);
  return Math.abs(scaled - whole) <= 1e-6 ? whole : undefined;
}

interface Settings {
  readonly budgetMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly maxHintedDelayMs: number;
  readonly attemptTimeoutMs: number | undefined;
  readonly throttle: RetryThrottle | undefined;
  readonly signal: AbortSignal | undefined;
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly random: () => number;
}

/**
 * Calls `operation` until it resolves, and resolves with its value.
 *
 * After a failure that `shouldRetry` accepts (by default {@link isRetryable}), or an attempt that
 * ran past `attemptTimeoutMs`, `retry` sleeps and calls again:
 *
 * - when the error carries a `retryDelay` hint above 0 (a server's `RetryInfo`, read from errors of
 *   any copy of this package, or any error with that field), it sleeps
 *   `min(hint, remaining budget, maxHintedDelayMs)`;
 * - otherwise it backs off with decorrelated jitter: the sleep is drawn uniformly between
 *   `baseDelayMs` and `max(baseDelayMs, min(maxDelayMs, previous × factor, remaining budget))`,
 *   where `previous` is the last backoff sleep (at first `baseDelayMs`; hinted sleeps do not count),
 *   then cut to the remaining budget.
 *
 * After each sleep the clock is read again, and no call starts once the budget is spent (reaching
 * the deadline exactly counts as spent), even if the clock jumped while `retry` slept. With a
 * `throttle`, each retryable failure takes a token first, and the retry happens only if the
 * throttle still allows it; each success gives some back.
 *
 * Sleeps are rounded up to whole milliseconds (timers truncate, and a sleep must never be shorter
 * than the server asked). Time is read with `Date.now()` and waited with `setTimeout`, so fake
 * timers control both. Every timer is cleared before `retry` settles.
 *
 * @returns What `operation` resolved with.
 * @throws A rejected promise, never a synchronous throw:
 * - the first error `shouldRetry` refuses, unchanged;
 * - the last error, unchanged (never wrapped), once `maxAttempts` calls were made, the budget is
 *   spent or the throttle refuses;
 * - a `SandboxRequestTimeoutError` whose `cause` is what the attempt threw, when retrying stops
 *   after an attempt that ran past `attemptTimeoutMs`;
 * - `signal.reason` when `signal` aborts, at once, even while the operation is still running (its
 *   later result is ignored), and before any call when the signal had already aborted;
 * - a `TypeError` or `RangeError` naming the option, before any call, for invalid options (a
 *   negative or NaN budget, a `factor` below 1, `baseDelayMs` above `maxDelayMs`, an
 *   `attemptTimeoutMs` that is not a positive finite number, ...);
 * - whatever `shouldRetry` or `onRetry` threw.
 *
 * @example
 * ```ts
 * const throttle = createRetryThrottle(); // one per server, shared by every call
 * const sandbox = await retry(
 *   async ({ signal }) => {
 *     try {
 *       return await client.getSandbox({ sandboxId }, { signal });
 *     } catch (error) {
 *       throw fromGrpcStatus(error, { operation: "getSandbox", sandboxId });
 *     }
 *   },
 *   { budgetMs: 10_000, attemptTimeoutMs: 2_000, throttle, signal: AbortSignal.timeout(15_000) },
 * );
 * ```
 */
export async function retry<T>(
  operation: (context: RetryContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  if (typeof operation !== "function") {
    throw new TypeError(`retry: operation must be a function, got ${typeName(operation)}`);
  }
  const settings = validate(options ?? {});
  const { budgetMs, maxAttempts, baseDelayMs, maxDelayMs, factor, maxHintedDelayMs } = settings;
  const { attemptTimeoutMs, throttle, shouldRetry, onRetry, random, signal: outer } = settings;
  if (outer?.aborted) throw outer.reason;

  // One signal for the whole run: what every wait below races, and what each attempt's signal
  // follows.
  const controller = new AbortController();
  const signal = controller.signal;
  const relay = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", relay, { once: true });
  try {
    let previousDelayMs = baseDelayMs;
    let budgetStart: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const call = startAttempt(signal, attempt, attemptTimeoutMs);
      let settled: { readonly value: T } | undefined;
      let thrown: unknown;
      try {
        // A synchronous throw lands in the catch below, like a rejection.
        const value = await untilAborted(
          Promise.resolve(operation({ attempt, signal: call.signal })),
          signal,
        );
        settled = { value };
      } catch (caught) {
        // Once aborted, the caller gets the signal's reason, whatever the operation rejected with
        // (typically its own "cancelled" error), and `shouldRetry` is not asked.
        signal.throwIfAborted();
        thrown = caught;
      } finally {
        call.end();
      }
      if (settled !== undefined) {
        throttle?.onSuccess();
        return settled.value;
      }

      // What the caller gets if retrying stops here.
      let error = thrown;
      if (call.timedOut) {
        error = new SandboxRequestTimeoutError(
          `Request timed out: attempt ${attempt} ran past attemptTimeoutMs (${attemptTimeoutMs} ms)`,
          { cause: thrown },
        );
      } else if (!shouldRetry(thrown, attempt)) {
        throw thrown;
      }
      // gRFC A6: every retryable failure takes its token, even one that is not retried.
      const throttled = throttle !== undefined && !throttle.onRetryableFailure();
      const now = Date.now();
      budgetStart ??= now;
      const remainingMs = budgetMs - (now - budgetStart);
      if (throttled || attempt >= maxAttempts || remainingMs <= 0) throw error;

      let delayMs: number;
      const hint = retryDelayOf(error);
      if (hint > 0) {
        delayMs = Math.ceil(Math.min(hint, remainingMs, maxHintedDelayMs));
      } else {
        const ceiling = Math.max(baseDelayMs, Math.min(maxDelayMs, previousDelayMs * factor, remainingMs));
        const jittered = baseDelayMs + unit(random()) * (ceiling - baseDelayMs);
        delayMs = Math.ceil(Math.min(jittered, remainingMs));
        previousDelayMs = delayMs;
      }
      onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, signal);
      // Read the clock again: the sleep may have been cut to the deadline, or the clock may have
      // jumped past it while the process was suspended or its event loop blocked.
      if (Date.now() - budgetStart >= budgetMs) throw error;
    }
  } finally {
    outer?.removeEventListener("abort", relay);
  }
}

/** One attempt's signal, and whether its own timeout fired. */
interface Attempt {
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
  /** Clears the attempt's timer and listener; called however the attempt ended. */
  end(): void;
}

/**
 * Without a timeout, the attempt uses the run's signal. With one, it gets a signal of its own that
 * follows the run's and aborts with a `TimeoutError` after `timeoutMs` (not `AbortSignal.timeout`,
 * whose timer cannot be cleared and which fake timers do not control).
 */
function startAttempt(run: AbortSignal, attempt: number, timeoutMs: number | undefined): Attempt {
  if (timeoutMs === undefined) return { signal: run, timedOut: false, end() {} };
  const controller = new AbortController();
  let timedOut = false;
  const follow = () => controller.abort(run.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    const message = `retry: attempt ${attempt} ran past attemptTimeoutMs (${timeoutMs} ms)`;
    controller.abort(new DOMException(message, "TimeoutError"));
  }, timeoutMs);
  run.addEventListener("abort", follow, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    end() {
      clearTimeout(timer);
      run.removeEventListener("abort", follow);
    },
  };
}

/** Settles as `work` does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    // Handlers go on `work` even when the signal has already aborted (the operation may abort it
    // itself), so a late rejection of abandoned work is never reported as unhandled.
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Waits `ms` milliseconds; on abort, clears the timer and rejects with the signal's reason. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The error's `retryDelay` hint in milliseconds, or 0. A plain field read, so errors of another
 * copy of this package (or any error that carries one) are honoured; a throwing getter reads as 0.
 */
function retryDelayOf(error: unknown): number {
  if ((typeof error !== "object" && typeof error !== "function") || error === null) return 0;
  try {
    const hint: unknown = (error as { retryDelay?: unknown }).retryDelay;
    // NaN fails the comparison, so only a real positive number counts.
    return typeof hint === "number" && hint > 0 ? hint : 0;
  } catch {
    return 0;
  }
}

/** Clamps an injected random number into [0, 1], so a faulty source cannot leave the bounds. */
function unit(value: number): number {
  if (!(value > 0)) return 0; // NaN too
  return Math.min(value, 1);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return typeof value;
}

function numberOption(
  options: RetryOptions,
  name: keyof RetryOptions,
  fallback: number,
  check: (value: number) => boolean,
  requirement: string,
): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`retry: ${name} must be a number, got ${typeName(value)}`);
  }
  if (Number.isNaN(value) || !check(value)) {
    throw new RangeError(`retry: ${name} must be ${requirement}, got ${value}`);
  }
  return value;
}

function functionOption<F>(options: RetryOptions, name: keyof RetryOptions): F | undefined {
  const value: unknown = options[name];
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(`retry: ${name} must be a function, got ${typeName(value)}`);
  }
  return value as F | undefined;
}

/**
 * Every invalid value is a RangeError here, a string included: the option has a single valid shape
 * (a positive finite number of milliseconds), and a `"5000"` from a config file is as wrong as a 0.
 */
function attemptTimeoutOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0 && value <= MAX_TIMER_DELAY_MS)) {
    const shown = typeof value === "string" ? JSON.stringify(value) : typeName(value);
    throw new RangeError(
      `retry: attemptTimeoutMs must be a positive finite number of milliseconds, at most ${MAX_TIMER_DELAY_MS}, got ${shown}`,
    );
  }
  return value;
}

function throttleOption(value: unknown): RetryThrottle | undefined {
  if (value === undefined) return undefined;
  const throttle = value as Partial<RetryThrottle> | null;
  if (
    typeof throttle !== "object" ||
    throttle === null ||
    typeof throttle.onRetryableFailure !== "function" ||
    typeof throttle.onSuccess !== "function"
  ) {
    throw new TypeError(`retry: throttle must be made by createRetryThrottle, got ${typeName(value)}`);
  }
  return throttle as RetryThrottle;
}

/** Reads the options, filling in defaults; throws a TypeError or RangeError naming a bad one. */
function validate(options: RetryOptions): Settings {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`retry: options must be an object, got ${typeName(options)}`);
  }
  const timer = (value: number) => value >= 0 && value <= MAX_TIMER_DELAY_MS;
  const timerRange = `between 0 and ${MAX_TIMER_DELAY_MS} milliseconds`;
  const budgetMs = numberOption(options, "budgetMs", 30_000, (v) => v >= 0, "0 or more (or Infinity)");
  const maxAttempts = numberOption(
    options,
    "maxAttempts",
    Number.POSITIVE_INFINITY,
    (v) => v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= 1),
    "a whole number of at least 1 (or Infinity)",
  );
  const baseDelayMs = numberOption(options, "baseDelayMs", 200, timer, timerRange);
  const maxDelayMs = numberOption(options, "maxDelayMs", 2_000, timer, timerRange);
  if (baseDelayMs > maxDelayMs) {
    throw new RangeError(`retry: baseDelayMs (${baseDelayMs}) must not exceed maxDelayMs (${maxDelayMs})`);
  }
  const factor = numberOption(
    options,
    "factor",
    1.5,
    (v) => v >= 1 && v < Number.POSITIVE_INFINITY,
    "1 or more",
  );
  const maxHintedDelayMs = numberOption(options, "maxHintedDelayMs", 10_000, timer, timerRange);
  const attemptTimeoutMs = attemptTimeoutOption(options.attemptTimeoutMs);
  const throttle = throttleOption(options.throttle);

  const signal: unknown = options.signal;
  if (
    signal !== undefined &&
    (typeof signal !== "object" ||
      signal === null ||
      typeof (signal as AbortSignal).addEventListener !== "function" ||
      typeof (signal as AbortSignal).aborted !== "boolean")
  ) {
    throw new TypeError(`retry: signal must be an AbortSignal, got ${typeName(signal)}`);
  }
  return {
    budgetMs,
    maxAttempts,
    baseDelayMs,
    maxDelayMs,
    factor,
    maxHintedDelayMs,
    attemptTimeoutMs,
    throttle,
    signal: signal as AbortSignal | undefined,
    shouldRetry: functionOption(options, "shouldRetry") ?? isRetryable,
    onRetry: functionOption(options, "onRetry"),
    random: functionOption(options, "random") ?? Math.random,
  };
}
