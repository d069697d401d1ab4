/**
 * `retry()`: call an operation again after a retryable failure, honouring the server's `RetryInfo`
 * hint and backing off with decorrelated jitter otherwise, within a time budget.
 */
import { isRetryable } from "./errors.js";

/** What `retry` hands to the operation on each call. */
export interface RetryContext {
  /** Which call this is, counting from 1. */
  readonly attempt: number;
  /**
   * Aborts when the `signal` given to `retry` aborts (with the same reason). Pass it on to the
   * transport (a grpc-js call's `cancel()`, `fetch`'s `signal`) so an abandoned call stops too.
   * It never aborts otherwise.
   */
  readonly signal: AbortSignal;
}

/** What `onRetry` learns before each sleep. */
export interface RetryEvent {
  /** The error the call threw, unchanged. */
  readonly error: unknown;
  /** The call that threw it, counting from 1; the next call is `attempt + 1`. */
  readonly attempt: number;
  /** How long `retry` will now sleep before the next call, in milliseconds (a whole number). */
  readonly delayMs: number;
}

/** Options of {@link retry}. Every field is optional; `undefined` means the default. */
export interface RetryOptions {
  /**
   * How long retrying may go on, in milliseconds, counted from the **first retryable failure** (so
   * a slow first call does not eat into it). Once it is spent, the last error is re-thrown. Every
   * sleep is cut to what is left of it. `0` turns retries off; `Infinity` lets `maxAttempts` alone
   * decide. Default `30_000`.
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

interface Settings {
  readonly budgetMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly maxHintedDelayMs: number;
  readonly signal: AbortSignal | undefined;
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly random: () => number;
}

/**
 * Calls `operation` until it resolves, and resolves with its value.
 *
 * After a failure that `shouldRetry` accepts (by default {@link isRetryable}), `retry` sleeps and
 * calls again:
 *
 * - when the error carries a `retryDelay` hint above 0 (a server's `RetryInfo`, read from errors of
 *   any copy of this package, or any error with that field), it sleeps
 *   `min(hint, remaining budget, maxHintedDelayMs)`;
 * - otherwise it backs off with decorrelated jitter: the sleep is drawn uniformly between
 *   `baseDelayMs` and `max(baseDelayMs, min(maxDelayMs, previous × factor, remaining budget))`,
 *   where `previous` is the last backoff sleep (at first `baseDelayMs`; hinted sleeps do not count),
 *   then cut to the remaining budget.
 *
 * Sleeps are rounded up to whole milliseconds (timers truncate, and a sleep must never be shorter
 * than the server asked). Time is read with `Date.now()` and waited with `setTimeout`, so fake
 * timers control both.
 *
 * @returns What `operation` resolved with.
 * @throws A rejected promise, never a synchronous throw:
 * - the first error `shouldRetry` refuses, unchanged;
 * - the last error, unchanged (never wrapped), once `maxAttempts` calls were made or the budget is
 *   spent;
 * - `signal.reason` when `signal` aborts, at once, even while the operation is still running (its
 *   later result is ignored), and before any call when the signal had already aborted;
 * - a `TypeError` or `RangeError` naming the option, before any call, for invalid options (a
 *   negative or NaN budget, a `factor` below 1, `baseDelayMs` above `maxDelayMs`, ...);
 * - whatever `shouldRetry` or `onRetry` threw.
 *
 * @example
 * ```ts
 * const sandbox = await retry(
 *   async ({ signal }) => {
 *     try {
 *       return await client.getSandbox({ sandboxId }, { signal });
 *     } catch (error) {
 *       throw fromGrpcStatus(error, { operation: "getSandbox", sandboxId });
 *     }
 *   },
 *   { budgetMs: 10_000, signal: AbortSignal.timeout(15_000) },
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
  const { shouldRetry, onRetry, random, signal: outer } = settings;
  if (outer?.aborted) throw outer.reason;

  // One signal for the whole run: it is what the operation sees, and what every wait below races.
  const controller = new AbortController();
  const signal = controller.signal;
  const relay = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", relay, { once: true });
  try {
    let previousDelayMs = baseDelayMs;
    let budgetStart: number | undefined;
    for (let attempt = 1; ; attempt++) {
      let error: unknown;
      try {
        // A synchronous throw lands in the catch below, like a rejection.
        return await untilAborted(Promise.resolve(operation({ attempt, signal })), signal);
      } catch (caught) {
        // Once aborted, the caller gets the signal's reason, whatever the operation rejected with
        // (typically its own "cancelled" error), and `shouldRetry` is not asked.
        signal.throwIfAborted();
        error = caught;
      }
      if (!shouldRetry(error, attempt)) throw error;
      const now = Date.now();
      budgetStart ??= now;
      const remainingMs = budgetMs - (now - budgetStart);
      if (attempt >= maxAttempts || remainingMs <= 0) throw error;

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
    }
  } finally {
    outer?.removeEventListener("abort", relay);
  }
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
    signal: signal as AbortSignal | undefined,
    shouldRetry: functionOption(options, "shouldRetry") ?? isRetryable,
    onRetry: functionOption(options, "onRetry"),
    random: functionOption(options, "random") ?? Math.random,
  };
}
