/**
 * Retry for the default preset: `retry()`, the connect-es interceptor and the nice-grpc middleware,
 * bound to the default preset's retry policy — which judges a raw transport error as
 * `fromGrpcStatus` would map it, without loading the catalogue and its classes.
 */

import { type RetryContext, type RetryOptions, type RetryPolicy, retryWith } from "../../edge/retry.js";
import {
  type ConnectRetryInterceptor,
  type NiceGrpcRetryMiddleware,
  retryInterceptorWith,
  retryMiddlewareWith,
  type TransportRetryOptions,
} from "../../edge/retry-transport.js";
import { SandboxRequestTimeoutError } from "./errors.js";
import { judgeRetry } from "./retry-policy.js";

/**
 * The default preset's retry policy: a failure is judged as `fromGrpcStatus` would map it under the
 * default preset (raw or mapped; the hint is RetryInfo's or a header's), and a timeout rejects with a
 * `SandboxRequestTimeoutError`.
 */
export const CWSANDBOX_RETRY_POLICY: RetryPolicy = {
  judge: judgeRetry,
  timeoutError: (message, cause) =>
    new SandboxRequestTimeoutError(`Request timed out: ${message}`, { cause }),
};

/**
 * Calls `operation` until it resolves, and resolves with its value; the default preset's
 * {@link retryWith}.
 *
 * After a failure that `shouldRetry` accepts (by default {@link isRetryable}), or an attempt that
 * ran out of time (its `timeoutMs`), `retry` sleeps and calls again:
 *
 * - when the error carries a `retryDelay` hint above 0 (a server's `RetryInfo`, read from errors of
 *   any copy of this package, or any error with that field), it sleeps
 *   `min(hint, maxHintedDelayMs)`;
 * - otherwise it backs off as gRPC does (gRFC A6): the n-th unhinted retry sleeps a time drawn
 *   uniformly from `[0, min(maxDelayMs, baseDelayMs × factor^(n−1))]`. `n` counts unhinted retries
 *   only: a hinted sleep neither advances nor resets it. With the defaults the ceilings are 200,
 *   400, 800, 1,600, 3,200 ms, then 5,000 ms for every later retry;
 *
 * and every sleep is cut to what is left of the budget and to the deadline. After each sleep the
 * clock is read again, and no call starts once the budget is spent or the deadline reached (exactly
 * included), even if the clock jumped while `retry` slept. With a `throttle`, each retryable
 * failure takes a token first, and the retry happens only if the throttle still allows it; each
 * success gives some back.
 *
 * Sleeps are rounded up to whole milliseconds (timers truncate, and a sleep must never be shorter
 * than the server asked); no sleep is negative. Time is read with `Date.now()` and waited with
 * `setTimeout`, so fake timers control both. Every timer is cleared before `retry` settles.
 *
 * @returns What `operation` resolved with.
 * @throws A rejected promise, never a synchronous throw:
 * - the first error `shouldRetry` refuses, unchanged;
 * - the last error, unchanged (never wrapped), once `maxAttempts` calls were made, the budget is
 *   spent, the deadline reached or the throttle refuses;
 * - a `SandboxRequestTimeoutError` whose `cause` is what the attempt threw, when retrying stops
 *   after an attempt that ran out of time, and one without a cause when the deadline had already
 *   passed when `retry` was called (no call is made);
 * - `signal.reason` when `signal` aborts, at once, even while the operation is still running (its
 *   later result is ignored), and before any call when the signal had already aborted;
 * - a `TypeError` or `RangeError` naming the option, before any call, for invalid options (a
 *   negative or NaN budget, a `factor` below 1, `maxDelayMs` below `baseDelayMs`, a `deadline` that
 *   is not a finite number or a valid `Date`, an `attemptTimeoutMs` that is not a positive finite
 *   number, ...);
 * - whatever `shouldRetry` or `onRetry` threw.
 *
 * @example
 * ```ts
 * const throttle = createRetryThrottle(); // one per server, shared by every call
 * const sandbox = await retry(
 *   async ({ signal, timeoutMs }) => {
 *     try {
 *       return await client.getSandbox({ sandboxId }, { signal, timeoutMs });
 *     } catch (error) {
 *       throw fromGrpcStatus(error, { operation: "getSandbox", sandboxId });
 *     }
 *   },
 *   { budgetMs: 10_000, attemptTimeoutMs: 2_000, throttle, deadline: Date.now() + 15_000 },
 * );
 * ```
 */
export function retry<T>(
  operation: (context: RetryContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  return retryWith(operation, options, CWSANDBOX_RETRY_POLICY);
}

/**
 * A connect-es interceptor that retries calls as `retry` does (SPEC §6, §18): a unary call, and a
 * server-streaming call that failed before its first message, after a failure the catalogue calls
 * retryable, waiting what the server asked (RetryInfo, `grpc-retry-pushback-ms`, `Retry-After`) or
 * backing off otherwise, within the budget, the deadline and the throttle. It never retries a
 * client-streaming or bidi call, nor a call the caller aborted (the call's `signal` stands for
 * `retry`'s: its abort, or the call's own `timeoutMs` running out, ends the call at once). The call's
 * own `timeoutMs` is a deadline for all of its attempts; each attempt is sent with the time left in
 * the protocol's timeout header (`grpc-timeout`, `connect-timeout-ms`), so the server stops when the
 * client does.
 *
 * It throws the last error as the transport gave it (a `ConnectError`). An attempt that ran out of
 * time (`attemptTimeoutMs`, the deadline or the budget) ends the retries as connect-es's own
 * `timeoutMs` does, with a `ConnectError` of code DEADLINE_EXCEEDED; its `cause` is the catalogue's
 * DEADLINE_EXCEEDED error, whose `cause` is what the attempt threw. (connect-es would turn any other
 * error an interceptor throws into code UNKNOWN.) A server stream that fails after its first message
 * throws to the consumer as it would without the interceptor.
 *
 * Put it last in `interceptors` (connect-es runs the last one innermost) unless other interceptors
 * should run once per attempt: those after it do, those before it once per call.
 *
 * @param options - `retry`'s options (less `signal`), and `catalogue`: default the package's default
 *   preset.
 * @throws TypeError or RangeError - naming the option, for invalid options.
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { createGrpcTransport } from "@connectrpc/connect-node";
 *
 * const transport = createGrpcTransport({
 *   baseUrl: "https://sandbox.example.com",
 *   interceptors: [retryInterceptor({ budgetMs: 10_000, throttle: createRetryThrottle() })],
 * });
 * const sandboxes = createClient(SandboxService, transport);
 * await sandboxes.getSandbox({ sandboxId }, { timeoutMs: 15_000 }); // retried within 15 s
 * ```
 */
export function retryInterceptor(options?: TransportRetryOptions): ConnectRetryInterceptor {
  return retryInterceptorWith(options, CWSANDBOX_RETRY_POLICY);
}

/**
 * A nice-grpc client middleware that retries calls as `retry` does (SPEC §6, §18): a unary call,
 * and a server-streaming call that failed before its first message, after a failure the catalogue
 * calls retryable, waiting what the server asked (RetryInfo, `grpc-retry-pushback-ms`,
 * `Retry-After`: it reads the trailers nice-grpc drops) or backing off otherwise, within the budget,
 * the deadline and the throttle. It never retries a client-streaming or bidi call, nor a call the
 * caller aborted (the call's `signal` stands for `retry`'s: its abort ends the call at once, with
 * `signal.reason`). Each attempt gets a signal that aborts when its time runs out.
 *
 * It throws the last error as it got it: a nice-grpc `ClientError`, or — with
 * `niceGrpcErrorMiddleware` inside it — the mapped error. An attempt that ran out of time ends the
 * retries with the catalogue's DEADLINE_EXCEEDED error instead, whose `cause` is what the attempt
 * threw. A server stream that fails after its first message throws to the consumer unchanged.
 *
 * Either order with `niceGrpcErrorMiddleware` makes the same decisions, and the caller gets a
 * mapped error either way: outside this middleware (added after it: nice-grpc runs the middleware
 * added last outermost) it maps the last error once, with that attempt's trailers; inside it, it maps
 * each attempt's. The caller's `onHeader`/`onTrailer` see the headers and trailers of the attempt
 * whose outcome the call has.
 *
 * @param options - `retry`'s options (less `signal`), and `catalogue`: default the package's default
 *   preset.
 * @throws TypeError or RangeError - naming the option, for invalid options.
 *
 * @example
 * ```ts
 * import { createChannel, createClientFactory } from "nice-grpc";
 *
 * const client = createClientFactory()
 *   .use(retryMiddleware({ budgetMs: 10_000, throttle: createRetryThrottle() }))
 *   .use(niceGrpcErrorMiddleware())
 *   .create(SandboxServiceDefinition, createChannel(address));
 * await client.getSandbox({ sandboxId }); // retried; a failure arrives mapped
 * ```
 */
export function retryMiddleware(options?: TransportRetryOptions): NiceGrpcRetryMiddleware {
  return retryMiddlewareWith(options, CWSANDBOX_RETRY_POLICY);
}
