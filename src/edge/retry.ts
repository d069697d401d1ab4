/**
 * The retry engine (SPEC §6): call an operation again after a retryable failure, honouring the
 * server's hint (`RetryInfo`, or a header a road read into `retryDelay`) and otherwise backing off
 * as gRPC does (gRFC A6), within a time budget and a deadline; optionally with a time limit per
 * attempt and gRPC's retry throttling shared between calls.
 *
 * One engine, {@link retryWith}, serves `retry()` and the transports' retries (the connect-es
 * interceptor and the nice-grpc middleware of `retry-transport.ts`); how a failure is judged is a
 * {@link RetryPolicy}, so each preset brings its own.
 */
import type { RetryThrottle } from "./throttle.js";

export { createRetryThrottle, type RetryThrottle, type RetryThrottleOptions } from "./throttle.js";

/** What `retry` hands to the operation on each call. */
export interface RetryContext {
  /** Which call this is, counting from 1. */
  readonly attempt: number;
  /**
   * Aborts when the `signal` given to `retry` aborts (with the same reason), and when this attempt
   * has run for `timeoutMs` (with a `TimeoutError` `DOMException`). Pass it on to the transport (a
   * grpc-js call's `cancel()`, `fetch`'s `signal`) so an abandoned or overdue call stops too:
   * `retry` waits for a timed-out attempt to end. It never aborts otherwise. An attempt without a
   * time limit shares the run's signal; one with a limit gets its own.
   */
  readonly signal: AbortSignal;
  /**
   * The time left for this attempt, in milliseconds: the smallest of `attemptTimeoutMs`, the time
   * to `deadline`, and what is left of the budget once it has started (after the first retryable
   * failure); `undefined` when none of them applies. For transports that take a per-call timeout
   * (connect-es's `timeoutMs`, grpc-js's `deadline`), so the server learns it too; `signal` aborts
   * when it runs out whether or not the transport was told.
   */
  readonly timeoutMs: number | undefined;
}

/** What `onRetry` learns before each sleep. */
export interface RetryEvent {
  /**
   * The error the call threw, unchanged; for a call that ran out of time (`timeoutMs`), the
   * policy's timeout error (a `SandboxRequestTimeoutError` by default, whose `cause` is what the
   * call threw) that `retry` would reject with if it stopped there.
   */
  readonly error: unknown;
  /** The call that threw it, counting from 1; the next call is `attempt + 1`. */
  readonly attempt: number;
  /**
   * How long `retry` will now sleep before the next call, in milliseconds (a whole number). When
   * the sleep was cut to what is left of the budget or to the deadline, it ends with no time left,
   * so no call follows it: `retry` re-throws `error` then.
   */
  readonly delayMs: number;
}

/** Options of {@link retry}. Every field is optional; `undefined` means the default. */
export interface RetryOptions {
  /**
   * How long retrying may go on, in milliseconds, counted from the **first retryable failure** (so
   * a slow first call does not eat into it). Once it is spent, the last error is re-thrown. Every
   * sleep is cut to what is left of it, an attempt's `timeoutMs` is at most what is left of it, and
   * the clock is read again after every sleep: no call starts once the budget is spent, reaching its
   * end exactly included, even when the clock jumped during the sleep (a suspended laptop, a blocked
   * event loop). A clock that reads NaN or goes backwards counts as a spent budget. `0` turns
   * retries off; `Infinity` lets `maxAttempts` and `deadline` decide. Default `30_000`.
   */
  budgetMs?: number | undefined;
  /**
   * An absolute time (epoch milliseconds, or a `Date`) by which everything must be over, beside the
   * budget: no call starts at or after it, no sleep runs past it, and each attempt's `timeoutMs` is
   * at most the time to it. A deadline already past when `retry` is called rejects at once with a
   * `SandboxRequestTimeoutError` and calls nothing, as gRPC fails a call whose deadline has passed.
   * A finite number or a valid `Date`; anything else is a `TypeError` or `RangeError`. Default: none.
   */
  deadline?: number | Date | undefined;
  /**
   * The most calls to make, the first included (`1` means no retry). A whole number of at least 1,
   * or `Infinity`. Default `Infinity`: the budget alone decides.
   */
  maxAttempts?: number | undefined;
  /**
   * The backoff's first ceiling, in milliseconds: the first unhinted retry sleeps a uniformly drawn
   * time up to it. Default `200`.
   */
  baseDelayMs?: number | undefined;
  /** The backoff's largest ceiling, in milliseconds; at least `baseDelayMs`. Default `5_000`. */
  maxDelayMs?: number | undefined;
  /**
   * How fast the backoff's ceiling grows: the n-th unhinted retry sleeps up to
   * `min(maxDelayMs, baseDelayMs × factor^(n−1))` (gRFC A6). At least 1. Default `2`.
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
   * retryable failure whatever it threw (`shouldRetry` is not asked). The same holds for an attempt
   * that runs past the deadline or the end of the budget (its `timeoutMs`). When retrying stops
   * after such an attempt (attempts, budget, deadline or throttle), `retry` rejects with a
   * `SandboxRequestTimeoutError` whose `cause` is what the attempt threw. Cooperative: `retry` waits
   * for the attempt to end, so the operation must pass the signal on to its transport. An attempt
   * that resolves all the same resolves `retry`. A positive finite number up to 2,147,483,647
   * (what a timer can wait); anything else, `0` included, is a `RangeError`. Default: none.
   */
  attemptTimeoutMs?: number | undefined;
  /**
   * gRPC's retry throttling (gRFC A6), made by `createRetryThrottle` and shared by every `retry`
   * call given it, so that a failing server is not hammered by every caller's retries at once:
   * each retryable failure takes a token, and retrying goes on only while more than half of the
   * tokens remain; each success gives some back. When it refuses, the last error is re-thrown.
   * Default: none (no throttling).
   */
  throttle?: RetryThrottle | undefined;
  /**
   * Stops retrying: when it aborts, `retry` rejects at once with `signal.reason`, cancels its sleep,
   * makes no further call, and aborts the signal it handed to the operation. One signal may be
   * shared by any number of concurrent `retry` calls: it gains one listener however many there are,
   * and none once they have settled.
   */
  signal?: AbortSignal | undefined;
  /**
   * Decides whether an error is worth another call, instead of the policy (by default
   * {@link isRetryable}); asked about every failure (unless the signal has aborted). If it returns
   * false the error is re-thrown at once. If it throws, `retry` rejects with what it threw. The
   * delay the server asked for is still read from the error (`retryDelay`).
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

/** What a {@link RetryPolicy} says about one failure. */
export interface RetryJudgement {
  /** Whether another call may succeed. */
  readonly retryable: boolean;
  /** The delay the server asked for, in milliseconds, if any; only a value above 0 counts. */
  readonly retryDelay: number | undefined;
}

/** How a retry loop judges a failure (a preset's retry policy). */
export interface RetryPolicy {
  /**
   * Whether `error` — mapped by this package, or raw as the transport threw it — is worth another
   * call, and the delay the server asked for (ms), if any. If it throws, the retry loop rejects
   * with what it threw.
   */
  judge(error: unknown): RetryJudgement;
  /**
   * The error to reject with when the deadline has passed before any call, or an attempt ran out
   * of time (`attemptTimeoutMs`, the deadline or the budget) and retrying stops (`cause`: what the
   * attempt threw, if anything). `message` says what ran out, in the words of a status's details
   * (`attempt 2 ran past attemptTimeoutMs (1000 ms)`), for the policy's own template.
   */
  timeoutError(message: string, cause?: unknown): Error;
}

/** The largest delay `setTimeout` honours; a longer one fires at once (Node.js and browsers). */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The defaults of the numeric options of {@link RetryOptions}, in one place: what the engine fills
 * in, and what the documentation's options table is checked against.
 *
 * @internal
 */
export const RETRY_DEFAULTS = /* @__PURE__ */ (() =>
  Object.freeze({
    budgetMs: 30_000,
    maxAttempts: Number.POSITIVE_INFINITY,
    baseDelayMs: 200,
    maxDelayMs: 5_000,
    factor: 2,
    maxHintedDelayMs: 10_000,
  }))();

/**
 * Options read and checked once, with defaults filled in: what {@link retryWith} runs on, and what
 * a transport's retry keeps for all of its calls.
 *
 * @internal
 */
export interface RetrySettings {
  readonly budgetMs: number;
  readonly deadline: number | undefined;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly maxHintedDelayMs: number;
  readonly attemptTimeoutMs: number | undefined;
  readonly throttle: RetryThrottle | undefined;
  readonly signal: AbortSignal | undefined;
  readonly shouldRetry: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly random: () => number;
}

/**
 * The engine behind {@link retry}, with the retry policy spelled out: how each failure is judged
 * (retryable? the server's hint?) and what a timeout rejects with. For an SDK's own catalogue, or a
 * preset other than the default. `shouldRetry`, when given, replaces the policy's `retryable`; the
 * hint always comes from the policy. What is re-thrown is always the operation's own error, as it
 * threw it: the policy only decides.
 *
 * @param operation - The call to make; it gets `{ attempt, signal, timeoutMs }`.
 * @param options - As for {@link retry}.
 * @param policy - How failures are judged, and the timeout error.
 * @returns What `operation` resolved with; rejects as {@link retry} does, with `policy`'s timeout
 *   error where `retry` has a `SandboxRequestTimeoutError`, and with a `TypeError` for a policy
 *   without `judge` and `timeoutError` functions.
 */
export async function retryWith<T>(
  operation: (context: RetryContext) => T | PromiseLike<T>,
  options: RetryOptions | undefined,
  policy: RetryPolicy,
): Promise<T> {
  if (typeof operation !== "function") {
    throw new TypeError(`retry: operation must be a function, got ${typeName(operation)}`);
  }
  checkPolicy(policy, "retry");
  return runRetry(operation, retrySettings(options ?? {}, "retry"), policy);
}

/** Throws a `TypeError` naming `caller` unless `policy` has `judge` and `timeoutError` functions. */
export function checkPolicy(policy: unknown, caller: string): asserts policy is RetryPolicy {
  const given = policy as Partial<RetryPolicy> | null | undefined;
  if (
    typeof given !== "object" ||
    given === null ||
    typeof given.judge !== "function" ||
    typeof given.timeoutError !== "function"
  ) {
    throw new TypeError(
      `${caller}: policy must have judge and timeoutError functions, got ${typeName(policy)}`,
    );
  }
}

/**
 * What a run may add to its settings: the transports' retries pass each call's own signal and the
 * call's own deadline here.
 *
 * @internal
 */
export interface RetryRun {
  /** Stands for `settings.signal`. */
  readonly signal?: AbortSignal | undefined;
  /** Joins `settings.deadline`: the earlier of the two counts. */
  readonly deadline?: number | undefined;
}

/**
 * Runs the retry loop on checked settings. For the transports' retries, which check their options
 * once and run the loop for every call.
 *
 * @internal
 */
export async function runRetry<T>(
  operation: (context: RetryContext) => T | PromiseLike<T>,
  settings: RetrySettings,
  policy: RetryPolicy,
  run?: RetryRun,
): Promise<T> {
  const { budgetMs, maxAttempts, baseDelayMs, maxDelayMs, factor, maxHintedDelayMs } = settings;
  const { attemptTimeoutMs, throttle, shouldRetry, onRetry, random } = settings;
  const outer = run === undefined ? settings.signal : run.signal;
  const deadline = earliest(settings.deadline, run?.deadline);
  if (outer?.aborted) throw outer.reason;

  const clock = runClock();
  const start = clock.read();
  // An unreadable clock cannot say the deadline has passed: the first call is made, and no retry.
  if (deadline !== undefined && start !== undefined && start >= deadline) {
    throw policy.timeoutError(`the deadline (${showTime(deadline)}) had passed before the first call`);
  }

  // The caller's signal is what every wait below races, and what each attempt's signal is or
  // follows. Without one, attempts share a signal that is made only if the operation reads it:
  // making an AbortSignal costs tens of microseconds in Node.js 20, more than the rest of a call
  // that succeeds at once.
  const idle = outer === undefined ? lazySignal() : undefined;
  let budgetStart: number | undefined;
  let unhinted = 0;
  let now = start;
  for (let attempt = 1; ; attempt++) {
    const limit = attemptLimit(now, attemptTimeoutMs, deadline, budgetStart, budgetMs);
    const call = new Attempt(outer, idle, attempt, limit);
    let settled: { readonly value: T } | undefined;
    let thrown: unknown;
    try {
      const context: RetryContext = new AttemptContext(attempt, limit?.ms, call);
      // A synchronous throw lands in the catch below, like a rejection.
      const value = await untilAborted(Promise.resolve(operation(context)), outer);
      settled = { value };
    } catch (caught) {
      // Once aborted, the caller gets the signal's reason, whatever the operation rejected with
      // (typically its own "cancelled" error), and the policy is not asked.
      outer?.throwIfAborted();
      thrown = caught;
    } finally {
      call.end();
    }
    if (settled !== undefined) {
      throttle?.onSuccess();
      return settled.value;
    }

    // What the caller gets if retrying stops here, and the server's hint.
    let error = thrown;
    let hint: number | undefined;
    if (call.timedOut) {
      error = policy.timeoutError(`attempt ${attempt} ran past ${limit?.what ?? "its time limit"}`, thrown);
    } else if (shouldRetry !== undefined) {
      if (!shouldRetry(thrown, attempt)) throw thrown;
      hint = policy.judge(thrown).retryDelay;
    } else {
      const judgement = policy.judge(thrown);
      if (!judgement.retryable) throw thrown;
      hint = judgement.retryDelay;
    }
    // gRFC A6: every retryable failure takes its token, even one that is not retried.
    const throttled = throttle !== undefined && !throttle.onRetryableFailure();
    now = clock.read();
    budgetStart ??= now;
    const remainingMs = timeLeft(now, deadline, budgetStart, budgetMs);
    if (throttled || attempt >= maxAttempts || !(remainingMs > 0)) throw error;

    let delayMs: number;
    // NaN fails the comparison, so only a real positive number counts.
    if (typeof hint === "number" && hint > 0) {
      delayMs = Math.ceil(Math.min(hint, remainingMs, maxHintedDelayMs));
    } else {
      unhinted++;
      // A zero base stays zero: 0 × Infinity (a factor raised past the largest double) is NaN.
      const grown = baseDelayMs === 0 ? 0 : baseDelayMs * factor ** (unhinted - 1);
      const ceiling = Math.min(maxDelayMs, grown);
      delayMs = Math.ceil(Math.min(unit(random()) * ceiling, remainingMs));
    }
    onRetry?.({ error, attempt, delayMs });
    await sleep(delayMs, outer);
    // Read the clock again: the sleep may have been cut to the end of the budget or the
    // deadline, or the clock may have jumped past them while the process was suspended or its
    // event loop blocked.
    now = clock.read();
    if (!(timeLeft(now, deadline, budgetStart, budgetMs) > 0)) throw error;
  }
}

/** A signal that never aborts, made on first read. */
function lazySignal(): { readonly signal: AbortSignal } {
  let controller: AbortController | undefined;
  return {
    get signal() {
      controller ??= new AbortController();
      return controller.signal;
    },
  };
}

/** The largest time a `Date` can hold, either side of the epoch (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** A time for a message: ISO 8601, or epoch milliseconds where a `Date` cannot hold it. */
function showTime(ms: number): string {
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : `${ms} ms after the epoch`;
}

/** The earlier of two optional times. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/**
 * The run's clock: `Date.now()`, or `undefined` once it read something other than a finite number
 * or went backwards. A broken clock stays broken for the run, and every caller counts it as no time
 * left: a clock that cannot be trusted must neither make the loop spin (NaN compares false with
 * everything) nor wait forever (a clock set back would stretch the remaining time).
 */
function runClock(): { read(): number | undefined } {
  let last: number | undefined;
  let broken = false;
  return {
    read() {
      if (broken) return undefined;
      let now: unknown;
      try {
        now = Date.now();
      } catch {
        now = undefined;
      }
      if (typeof now !== "number" || !Number.isFinite(now) || (last !== undefined && now < last)) {
        broken = true;
        return undefined;
      }
      last = now;
      return now;
    },
  };
}

/**
 * What is left of the budget and before the deadline at `now`, whichever is less (`Infinity` when
 * neither applies); 0 when the clock is broken or the budget has not been started by a readable
 * clock.
 */
function timeLeft(
  now: number | undefined,
  deadline: number | undefined,
  budgetStart: number | undefined,
  budgetMs: number,
): number {
  if (now === undefined || budgetStart === undefined) return 0;
  const budgetLeft = budgetMs - (now - budgetStart);
  return deadline === undefined ? budgetLeft : Math.min(budgetLeft, deadline - now);
}

/** An attempt's time limit, and which limit it is, for the `TimeoutError`'s message. */
interface AttemptLimit {
  readonly ms: number;
  readonly what: string;
}

/**
 * The smallest of `attemptTimeoutMs`, the time to the deadline and what is left of the budget once
 * it has started, at `now`; `undefined` when none applies. A broken clock leaves `attemptTimeoutMs`
 * alone.
 */
function attemptLimit(
  now: number | undefined,
  attemptTimeoutMs: number | undefined,
  deadline: number | undefined,
  budgetStart: number | undefined,
  budgetMs: number,
): AttemptLimit | undefined {
  let limit: AttemptLimit | undefined;
  if (attemptTimeoutMs !== undefined) {
    limit = { ms: attemptTimeoutMs, what: `attemptTimeoutMs (${attemptTimeoutMs} ms)` };
  }
  if (now === undefined) return limit;
  if (deadline !== undefined && (limit === undefined || deadline - now < limit.ms)) {
    limit = { ms: deadline - now, what: `the deadline (${showTime(deadline)})` };
  }
  if (budgetStart !== undefined && budgetMs !== Number.POSITIVE_INFINITY) {
    const budgetLeft = budgetMs - (now - budgetStart);
    if (limit === undefined || budgetLeft < limit.ms) {
      limit = { ms: budgetLeft, what: `the end of the retry budget (budgetMs ${budgetMs})` };
    }
  }
  return limit;
}

/**
 * One attempt's signal, and whether its own time limit ran out.
 *
 * Without a time limit, the attempt uses the caller's signal (or the run's idle one). With one, it
 * gets a signal of its own that follows the caller's and aborts with a `TimeoutError` when the limit
 * runs out (not `AbortSignal.timeout`, whose timer cannot be cleared and which fake timers do not
 * control). A limit longer than a timer can wait (a deadline weeks away) sets no timer: the attempt
 * would not outlive it in practice, and a longer `setTimeout` fires at once. The signal itself is
 * made when first read (or when it aborts).
 *
 * A class, not object literals with getters: V8 makes those slowly, and this runs on every call.
 */
class Attempt {
  timedOut = false;
  private readonly controller: AbortController | undefined;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopFollowing: (() => void) | undefined;

  constructor(
    private readonly outer: AbortSignal | undefined,
    private readonly idle: { readonly signal: AbortSignal } | undefined,
    attempt: number,
    limit: AttemptLimit | undefined,
  ) {
    if (limit === undefined || limit.ms > MAX_TIMER_DELAY_MS) return;
    const controller = new AbortController();
    this.controller = controller;
    this.stopFollowing =
      outer === undefined ? undefined : onAbort(outer, () => controller.abort(outer.reason));
    this.timer = setTimeout(() => {
      this.timedOut = true;
      controller.abort(new DOMException(`retry: attempt ${attempt} ran past ${limit.what}`, "TimeoutError"));
    }, limit.ms);
  }

  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    return this.outer ?? (this.idle as { readonly signal: AbortSignal }).signal;
  }

  /** Clears the attempt's timer and listener; called however the attempt ended. */
  end(): void {
    clearTimeout(this.timer);
    this.stopFollowing?.();
  }
}

/** What the operation gets: the attempt's signal is made only if it is read. */
class AttemptContext implements RetryContext {
  constructor(
    readonly attempt: number,
    readonly timeoutMs: number | undefined,
    private readonly call: Attempt,
  ) {}

  get signal(): AbortSignal {
    return this.call.signal;
  }
}

/**
 * Settles as `work` does, or rejects with the signal's reason as soon as it aborts. The signal may
 * be shared by many calls: it is listened to through {@link onAbort}.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    // Handlers go on `work` even when the signal has already aborted (the operation may abort it
    // itself), so a late rejection of abandoned work is never reported as unhandled.
    let stop: (() => void) | undefined;
    work.then(
      (value) => {
        stop?.();
        resolve(value);
      },
      (error: unknown) => {
        stop?.();
        reject(error);
      },
    );
    if (signal.aborted) reject(signal.reason);
    else stop = onAbort(signal, () => reject(signal.reason));
  });
}

/** Waits `ms` milliseconds; on abort, clears the timer and rejects with the signal's reason. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const stop =
      signal === undefined
        ? undefined
        : onAbort(signal, () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
    const timer = setTimeout(() => {
      stop?.();
      resolve();
    }, ms);
  });
}

/** The one listener each shared signal gets, and the callbacks it calls. */
interface FanOut {
  readonly callbacks: Set<() => void>;
  readonly dispatch: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Calls `callback` once when `signal` aborts; returns the function that unsubscribes. However many
 * callers subscribe to one signal (a thousand concurrent retries under one app-wide signal), the
 * signal gains a single listener, removed when the last caller unsubscribes: one listener per call
 * would trip Node's `MaxListenersExceededWarning` past ten, and outlive nothing.
 *
 * @internal
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    const callbacks = new Set<() => void>();
    const dispatch = () => {
      fanOuts.delete(signal);
      // A copy: a callback may unsubscribe others.
      for (const each of [...callbacks]) each();
      callbacks.clear();
    };
    fanOut = { callbacks, dispatch };
    fanOuts.set(signal, fanOut);
    signal.addEventListener("abort", dispatch, { once: true });
  }
  // A wrapper of its own, so the same callback may subscribe twice and unsubscribe once.
  const entry = () => callback();
  const { callbacks, dispatch } = fanOut;
  callbacks.add(entry);
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0) return;
    if (fanOuts.get(signal)?.callbacks === callbacks) fanOuts.delete(signal);
    signal.removeEventListener("abort", dispatch);
  };
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
  caller: string,
  name: keyof RetryOptions,
  fallback: number,
  check: (value: number) => boolean,
  requirement: string,
): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(`${caller}: ${name} must be a number, got ${typeName(value)}`);
  }
  if (Number.isNaN(value) || !check(value)) {
    throw new RangeError(`${caller}: ${name} must be ${requirement}, got ${value}`);
  }
  return value;
}

function functionOption<F>(options: RetryOptions, caller: string, name: keyof RetryOptions): F | undefined {
  const value: unknown = options[name];
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(`${caller}: ${name} must be a function, got ${typeName(value)}`);
  }
  return value as F | undefined;
}

/**
 * Every invalid value is a RangeError here, a string included: the option has a single valid shape
 * (a positive finite number of milliseconds), and a `"5000"` from a config file is as wrong as a 0.
 */
function attemptTimeoutOption(value: unknown, caller: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0 && value <= MAX_TIMER_DELAY_MS)) {
    const shown = typeof value === "string" ? JSON.stringify(value) : typeName(value);
    throw new RangeError(
      `${caller}: attemptTimeoutMs must be a positive finite number of milliseconds, at most ${MAX_TIMER_DELAY_MS}, got ${shown}`,
    );
  }
  return value;
}

/**
 * A deadline in epoch milliseconds. A `Date` is read once, here: one changed later (`setTime`) does
 * not move the deadline of a run already under way. A `Date` of another realm (an iframe, a `vm`
 * context) counts: it is recognised by what `Date.prototype.getTime` accepts, not by `instanceof`.
 */
function deadlineOption(value: unknown, caller: string): number | undefined {
  if (value === undefined) return undefined;
  let time: unknown = value;
  if (typeof value === "object" && value !== null) {
    try {
      time = Date.prototype.getTime.call(value);
    } catch {
      throw new TypeError(
        `${caller}: deadline must be a Date or a number of epoch milliseconds, got an object`,
      );
    }
    if (!Number.isFinite(time))
      throw new RangeError(`${caller}: deadline must be a valid Date, got an invalid Date`);
    return time as number;
  }
  if (typeof time !== "number") {
    throw new TypeError(
      `${caller}: deadline must be a Date or a number of epoch milliseconds, got ${typeName(value)}`,
    );
  }
  if (!Number.isFinite(time)) {
    throw new RangeError(`${caller}: deadline must be a finite number of epoch milliseconds, got ${time}`);
  }
  return time;
}

function throttleOption(value: unknown, caller: string): RetryThrottle | undefined {
  if (value === undefined) return undefined;
  const throttle = value as Partial<RetryThrottle> | null;
  if (
    typeof throttle !== "object" ||
    throttle === null ||
    typeof throttle.onRetryableFailure !== "function" ||
    typeof throttle.onSuccess !== "function"
  ) {
    throw new TypeError(`${caller}: throttle must be made by createRetryThrottle, got ${typeName(value)}`);
  }
  return throttle as RetryThrottle;
}

function signalOption(value: unknown, caller: string): AbortSignal | undefined {
  if (
    value !== undefined &&
    (typeof value !== "object" ||
      value === null ||
      typeof (value as AbortSignal).addEventListener !== "function" ||
      typeof (value as AbortSignal).aborted !== "boolean")
  ) {
    throw new TypeError(`${caller}: signal must be an AbortSignal, got ${typeName(value)}`);
  }
  return value as AbortSignal | undefined;
}

/**
 * Reads the options, filling in defaults; throws a TypeError or RangeError naming the bad one, and
 * `caller` (`retry`, `retryInterceptor`, ...).
 *
 * @internal
 */
export function retrySettings(options: RetryOptions, caller: string): RetrySettings {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${caller}: options must be an object, got ${typeName(options)}`);
  }
  const timer = (value: number) => value >= 0 && value <= MAX_TIMER_DELAY_MS;
  const timerRange = `between 0 and ${MAX_TIMER_DELAY_MS} milliseconds`;
  const number = (
    name: keyof RetryOptions,
    fallback: number,
    check: (value: number) => boolean,
    requirement: string,
  ) => numberOption(options, caller, name, fallback, check, requirement);
  const budgetMs = number("budgetMs", RETRY_DEFAULTS.budgetMs, (v) => v >= 0, "0 or more (or Infinity)");
  const maxAttempts = number(
    "maxAttempts",
    RETRY_DEFAULTS.maxAttempts,
    (v) => v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= 1),
    "a whole number of at least 1 (or Infinity)",
  );
  const baseDelayMs = number("baseDelayMs", RETRY_DEFAULTS.baseDelayMs, timer, timerRange);
  const maxDelayMs = number("maxDelayMs", RETRY_DEFAULTS.maxDelayMs, timer, timerRange);
  if (maxDelayMs < baseDelayMs) {
    throw new RangeError(
      `${caller}: maxDelayMs (${maxDelayMs}) must not be below baseDelayMs (${baseDelayMs}); the defaults are ${RETRY_DEFAULTS.maxDelayMs} and ${RETRY_DEFAULTS.baseDelayMs}`,
    );
  }
  const factor = number(
    "factor",
    RETRY_DEFAULTS.factor,
    (v) => v >= 1 && v < Number.POSITIVE_INFINITY,
    "1 or more, and finite",
  );
  const maxHintedDelayMs = number("maxHintedDelayMs", RETRY_DEFAULTS.maxHintedDelayMs, timer, timerRange);
  return {
    budgetMs,
    deadline: deadlineOption(options.deadline, caller),
    maxAttempts,
    baseDelayMs,
    maxDelayMs,
    factor,
    maxHintedDelayMs,
    attemptTimeoutMs: attemptTimeoutOption(options.attemptTimeoutMs, caller),
    throttle: throttleOption(options.throttle, caller),
    signal: signalOption(options.signal, caller),
    shouldRetry: functionOption(options, caller, "shouldRetry"),
    onRetry: functionOption(options, caller, "onRetry"),
    random: functionOption(options, caller, "random") ?? Math.random,
  };
}
