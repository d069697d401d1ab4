/**
 * gRPC's retry throttling (gRFC A6): one token bucket shared by every retry loop that talks to the
 * same server — `retry()`, the connect-es interceptor and the nice-grpc middleware — so that a
 * failing server is not hammered by every caller's retries at once.
 */

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

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return typeof value;
}
