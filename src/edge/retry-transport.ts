/**
 * Retry at the client's edge (SPEC §18): the retry engine of `retry.ts` inside the transport, so
 * every call an SDK makes retries the same way without a wrapper at each call site.
 *
 * - {@link retryInterceptor} is a connect-es `Interceptor` (for `createConnectTransport`,
 *   `createGrpcWebTransport` and `createGrpcTransport`).
 * - {@link retryMiddleware} is a nice-grpc client middleware.
 *
 * Both retry unary calls, and server-streaming calls that failed before their first message; never a
 * call that streams its requests, never a call the caller aborted. They judge each failure with the
 * SDK's catalogue (the error as the transport threw it, or as an inner error middleware mapped it),
 * honour the server's RetryInfo and retry-hint headers, and throw the last error as they got it.
 * Neither imports a transport library: requests, calls and errors are read by their shape, so this
 * module runs wherever the main entry does.
 *
 * @packageDocumentation
 */
import type { NiceGrpcCallResult, NiceGrpcMetadata } from "./adapters.js";
import {
  checkPolicy,
  onAbort,
  type RetryContext,
  type RetryJudgement,
  type RetryOptions,
  type RetryPolicy,
  type RetrySettings,
  retrySettings,
  runRetry,
} from "./retry.js";

/**
 * What the transports' retries need of a catalogue (a preset, or an SDK's own from
 * `defineCatalogue`): its mapping, to judge a raw transport error by the SDK's own retry policy
 * (`retryable`, `retryDelay`) and to make the error a timeout rejects with.
 */
export interface RetryCatalogue {
  /** Maps a failure, raw or already mapped (which comes back unchanged), to the catalogue's error. */
  fromGrpcStatus(error: unknown): Error & RetryJudgement;
}

/**
 * Options of {@link retryInterceptor} and {@link retryMiddleware}: those of `retry` (SPEC §6), less
 * `signal` — each call's own signal stands for it — plus the catalogue that judges failures. Checked
 * once, when the interceptor or middleware is made; a `throttle` given here is shared by every call
 * through it.
 */
export interface TransportRetryOptions extends Omit<RetryOptions, "signal"> {
  /**
   * The catalogue whose mapping judges each failure, raw or mapped: whether it is retryable, and
   * the delay the server asked for. Its DEADLINE_EXCEEDED error is what a timeout rejects with.
   * Default: the package's default preset.
   */
  catalogue?: RetryCatalogue | undefined;
  /** Not an option here: each call's own `signal` (in its call options) stands for it. */
  signal?: never;
}

/**
 * A retry policy from a catalogue: a failure is retryable when the catalogue maps it to a retryable
 * class, and its hint is the mapped error's `retryDelay`; a timeout rejects with the catalogue's
 * mapping of a client-side DEADLINE_EXCEEDED, whose `cause` is what the last attempt threw. For
 * `retryWith`, and what the transports' `catalogue` option uses.
 *
 * @throws TypeError - when `catalogue` has no `fromGrpcStatus` function.
 */
export function policyOf(catalogue: RetryCatalogue): RetryPolicy {
  checkCatalogue(catalogue, "policyOf");
  return {
    judge(error) {
      const mapped = catalogue.fromGrpcStatus(error);
      const retryDelay: unknown = mapped.retryDelay;
      return {
        retryable: mapped.retryable === true,
        retryDelay: typeof retryDelay === "number" ? retryDelay : undefined,
      };
    },
    timeoutError(message, cause) {
      // No status came from the server: the code is the one gRPC clients raise themselves.
      const error = catalogue.fromGrpcStatus({ code: DEADLINE_EXCEEDED, details: message });
      try {
        // The cause the mapping kept is the status object above: what the attempt threw is the news.
        if (cause === undefined) Reflect.deleteProperty(error, "cause");
        else Object.defineProperty(error, "cause", { value: cause, writable: true, configurable: true });
      } catch {
        // A frozen error keeps the cause it has.
      }
      return error;
    },
  };
}

/** gRPC's DEADLINE_EXCEEDED. */
const DEADLINE_EXCEEDED = 4;

function checkCatalogue(catalogue: unknown, caller: string): asserts catalogue is RetryCatalogue {
  if (
    (typeof catalogue !== "object" && typeof catalogue !== "function") ||
    catalogue === null ||
    typeof (catalogue as Partial<RetryCatalogue>).fromGrpcStatus !== "function"
  ) {
    throw new TypeError(
      `${caller}: catalogue must have a fromGrpcStatus function (a preset or defineCatalogue's result), got ${catalogue === null ? "null" : typeof catalogue}`,
    );
  }
}

/** Checks the options once: the settings every call runs on, and the policy that judges. */
function setUp(
  options: TransportRetryOptions | undefined,
  fallback: RetryPolicy,
  caller: string,
): { readonly settings: RetrySettings; readonly policy: RetryPolicy } {
  const given: unknown = options ?? {};
  if (typeof given !== "object" || given === null) {
    throw new TypeError(
      `${caller}: options must be an object, got ${given === null ? "null" : typeof given}`,
    );
  }
  const { catalogue, signal, ...rest } = given as TransportRetryOptions;
  if (signal !== undefined) {
    throw new TypeError(
      `${caller}: signal is not an option here: each call's own signal (in its call options) stands for it`,
    );
  }
  let policy = fallback;
  if (catalogue !== undefined) {
    checkCatalogue(catalogue, caller);
    policy = policyOf(catalogue);
  } else {
    checkPolicy(fallback, caller);
  }
  return { settings: retrySettings(rest, caller), policy };
}

// ---------------------------------------------------------------------------------------------
// Signals and streams
// ---------------------------------------------------------------------------------------------

/**
 * The signal a streaming attempt hands the transport: it aborts when the call's own signal does,
 * for as long as the stream lives, and when the attempt's signal does (its time limit), until the
 * attempt is decided. The engine's attempt signal alone would not do: once the stream's first
 * message has come, the engine is done with the attempt and no longer relays the caller's abort.
 */
interface StreamSignal {
  readonly signal: AbortSignal;
  /** The attempt is decided: its time limit no longer applies. */
  settle(): void;
  /** The stream has ended: nothing more to follow. */
  release(): void;
  /** The attempt failed: ends what the transport may still hold open, and releases. */
  cancel(): void;
}

function streamSignal(call: AbortSignal | undefined, attempt: AbortSignal): StreamSignal {
  const controller = new AbortController();
  // The call's signal may be an app-wide one shared by many streams: one listener however many.
  const stopFollowingCall =
    call === undefined ? undefined : onAbort(call, () => controller.abort(call.reason));
  const followAttempt = () => controller.abort(attempt.reason);
  attempt.addEventListener("abort", followAttempt, { once: true });
  if (call?.aborted) controller.abort(call.reason);
  else if (attempt.aborted) controller.abort(attempt.reason);
  const settle = () => attempt.removeEventListener("abort", followAttempt);
  const release = () => {
    settle();
    stopFollowingCall?.();
  };
  return {
    signal: controller.signal,
    settle,
    release,
    cancel() {
      release();
      controller.abort();
    },
  };
}

/** A stream whose first step has been read (to learn whether it failed before its first message). */
interface OpenedStream<Value, Result> {
  readonly iterator: AsyncIterator<Value, Result>;
  readonly first: IteratorResult<Value, Result>;
}

/**
 * The stream again, from its first message: `first`, then the rest of `iterator`. An error after
 * the first message goes to the consumer as it came (never retried); `done` runs once the stream
 * has ended, failed, or been closed by the consumer (who may stop early: the transport's stream is
 * then closed too).
 */
async function* resumed<Value, Result>(
  { iterator, first }: OpenedStream<Value, Result>,
  done: () => void,
): AsyncGenerator<Value, Result, undefined> {
  let finished = first.done === true;
  try {
    if (first.done) return first.value;
    yield first.value;
    for (;;) {
      const step = await iterator.next();
      if (step.done) {
        finished = true;
        return step.value;
      }
      yield step.value;
    }
  } catch (error) {
    finished = true;
    throw error;
  } finally {
    if (!finished) await iterator.return?.();
    done();
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function"
  );
}

/** The earlier of two optional times. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

// ---------------------------------------------------------------------------------------------
// connect-es
// ---------------------------------------------------------------------------------------------

/**
 * A connect-es request, as far as the interceptor reads it (connect-es's `UnaryRequest` and
 * `StreamRequest`). Typed by shape: this package has no runtime dependency on connect-es.
 */
export interface ConnectRetryRequest {
  /** `false` for a unary call. */
  readonly stream: boolean;
  /** The method; `methodKind` tells a server stream (`server_streaming`) from the others. */
  readonly method: { readonly methodKind?: string };
  /** The call's signal: the caller's `signal` and the call's own `timeoutMs`. */
  readonly signal: AbortSignal;
  /** The request headers (the protocol's timeout header among them). */
  readonly header: Headers;
  /** The request message, or for a streaming method an async iterable of them. */
  readonly message: unknown;
}

/** A connect-es response, as far as the interceptor reads it (`UnaryResponse`, `StreamResponse`). */
export interface ConnectRetryResponse {
  readonly stream: boolean;
  /** The response message, or for a streaming method an async iterable of them. */
  readonly message: unknown;
}

/**
 * A connect-es interceptor, typed by shape: assignable to connect-es's `Interceptor` without a
 * cast, so it goes straight into a transport's `interceptors`.
 */
export type ConnectRetryInterceptor = <
  Request extends ConnectRetryRequest,
  Response extends ConnectRetryResponse,
>(
  next: (request: Request) => Promise<Response>,
) => (request: Request) => Promise<Response>;

/** Connect's timeout header (whole milliseconds, at most 10 digits). */
const CONNECT_TIMEOUT = "connect-timeout-ms";
/** gRPC's and gRPC-web's timeout header (at most 8 digits and a unit). */
const GRPC_TIMEOUT = "grpc-timeout";
const GRPC_TIMEOUT_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** Which timeout header the request's protocol reads, or `undefined` when it cannot be told. */
function timeoutHeaderOf(header: Headers): string | undefined {
  if (header.has("connect-protocol-version")) return CONNECT_TIMEOUT;
  return header.get("content-type")?.startsWith("application/grpc") === true ? GRPC_TIMEOUT : undefined;
}

/**
 * The call's own deadline, from the timeout header connect-es wrote for its `timeoutMs` (the call's
 * signal aborts then too); `undefined` without one or for a value the protocol does not allow.
 */
function callDeadlineOf(header: Headers, now: number): number | undefined {
  const connect = header.get(CONNECT_TIMEOUT);
  if (connect !== null) return /^\d{1,10}$/.test(connect) ? now + Number(connect) : undefined;
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(header.get(GRPC_TIMEOUT) ?? "");
  return grpc === null
    ? undefined
    : now + Number(grpc[1]) * (GRPC_TIMEOUT_UNITS[grpc[2] as string] as number);
}

/** `ms` as the protocol's timeout header writes it: whole milliseconds, at least 1, in range. */
function timeoutValue(name: string, ms: number): string {
  const whole = Math.max(1, Math.floor(ms));
  if (name === CONNECT_TIMEOUT) return String(Math.min(whole, 9_999_999_999));
  if (whole <= 99_999_999) return `${whole}m`;
  const seconds = Math.floor(whole / 1_000);
  return seconds <= 99_999_999 ? `${seconds}S` : `${Math.min(Math.floor(seconds / 3_600), 99_999_999)}H`;
}

/**
 * The request of one attempt: its signal, and the time left written in the protocol's timeout
 * header (a copy: the caller's headers are not changed) so the server gives up when the client
 * does.
 */
function attemptRequest<Request extends ConnectRetryRequest>(
  request: Request,
  signal: AbortSignal,
  timeoutMs: number | undefined,
  message?: unknown,
): Request {
  const name = timeoutMs === undefined ? undefined : timeoutHeaderOf(request.header);
  if (name === undefined && signal === request.signal && message === undefined) return request;
  let header = request.header;
  if (name !== undefined && timeoutMs !== undefined) {
    header = new Headers(request.header);
    header.set(name, timeoutValue(name, timeoutMs));
  }
  return message === undefined ? { ...request, signal, header } : { ...request, signal, header, message };
}

/** connect-es's `ConnectError` constructor: message, code, metadata, details, cause. */
type ConnectErrorClass = new (
  message: string,
  code: number,
  metadata?: undefined,
  details?: undefined,
  cause?: unknown,
) => Error;

/** The class of `value` when it is a connect-es `ConnectError` (of any copy of connect-es). */
function connectErrorClassOf(value: unknown): ConnectErrorClass | undefined {
  try {
    if (!(value instanceof Error) || value.name !== "ConnectError") return undefined;
    const make: unknown = value.constructor;
    return typeof make === "function" ? (make as ConnectErrorClass) : undefined;
  } catch {
    // A proxy whose traps throw, from an interceptor further down: the stand-in ConnectError will do.
    return undefined;
  }
}

/**
 * A timeout as connect-es reports its own (`timeoutMs`): a `ConnectError` of code
 * DEADLINE_EXCEEDED, whose `cause` is the policy's timeout error. connect-es hands whatever an
 * interceptor throws to `ConnectError.from`, which makes anything else a ConnectError of code
 * UNKNOWN: a timeout must not arrive as that. The class is the one the attempt's own error has;
 * without one (no attempt was made), an `Error` that connect-es takes for a ConnectError, by the
 * test it applies to ConnectErrors of other copies (`Symbol.hasInstance`: the name, a numeric code,
 * `metadata`, `details`, `rawMessage` and `cause`).
 */
function asConnectTimeout(error: Error, attemptError: unknown): Error {
  const make = connectErrorClassOf(attemptError);
  if (make !== undefined) {
    try {
      return new make(error.message, DEADLINE_EXCEEDED, undefined, undefined, error);
    } catch {
      // A constructor of another shape: the stand-in below.
    }
  }
  return Object.assign(new Error(`[deadline_exceeded] ${error.message}`, { cause: error }), {
    name: "ConnectError",
    code: DEADLINE_EXCEEDED,
    metadata: new Headers(),
    details: [],
    rawMessage: error.message,
  });
}

/**
 * A connect-es interceptor that retries calls with `retry`'s rules (SPEC §6, §18), judging failures
 * with `fallback` unless `options.catalogue` is given. For a preset's or an SDK's own entry point,
 * which binds its catalogue's policy here; applications use {@link retryInterceptor}.
 *
 * @throws TypeError or RangeError - naming the option, for invalid options (as `retry` rejects).
 */
export function retryInterceptorWith(
  options: TransportRetryOptions | undefined,
  fallback: RetryPolicy,
): ConnectRetryInterceptor {
  const { settings, policy: judging } = setUp(options, fallback, "retryInterceptor");
  const policy: RetryPolicy = {
    judge: (error) => judging.judge(error),
    timeoutError: (message, cause) => asConnectTimeout(judging.timeoutError(message, cause), cause),
  };
  return <Request extends ConnectRetryRequest, Response extends ConnectRetryResponse>(
    next: (request: Request) => Promise<Response>,
  ) =>
    (request: Request): Promise<Response> => {
      if (!request.stream) {
        const run = { signal: request.signal, deadline: callDeadlineOf(request.header, Date.now()) };
        return runRetry(
          ({ signal, timeoutMs }: RetryContext) => next(attemptRequest(request, signal, timeoutMs)),
          settings,
          policy,
          run,
        );
      }
      if (request.method.methodKind === "server_streaming" && isAsyncIterable(request.message)) {
        return retryConnectStream(next, request, request.message, settings, policy);
      }
      // A client stream or a bidi stream: its requests cannot be sent again.
      return next(request);
    };
}

/** A connect-es server stream: retried until its first message has arrived, then handed on. */
async function retryConnectStream<Request extends ConnectRetryRequest, Response extends ConnectRetryResponse>(
  next: (request: Request) => Promise<Response>,
  request: Request,
  messages: AsyncIterable<unknown>,
  settings: RetrySettings,
  policy: RetryPolicy,
): Promise<Response> {
  // A server stream sends one request message, from a one-shot iterable: kept to be sent again.
  const sent: unknown[] = [];
  for await (const message of messages) sent.push(message);
  const callDeadline = callDeadlineOf(request.header, Date.now());
  // The stream may run for as long as the deadline allows: neither attemptTimeoutMs nor the budget
  // bounds it once its first message has come.
  const deadline = earliest(settings.deadline, callDeadline);
  const opened = await runRetry(
    async ({ signal: attemptSignal }: RetryContext) => {
      const link = streamSignal(request.signal, attemptSignal);
      const timeoutMs = deadline === undefined ? undefined : deadline - Date.now();
      try {
        const replay = (async function* () {
          yield* sent;
        })();
        const response = await next(attemptRequest(request, link.signal, timeoutMs, replay));
        if (!isAsyncIterable(response.message)) return { response, link, stream: undefined };
        const iterator = response.message[Symbol.asyncIterator]();
        return { response, link, stream: { iterator, first: await iterator.next() } };
      } catch (error) {
        link.cancel();
        throw error;
      }
    },
    settings,
    policy,
    { signal: request.signal, deadline: callDeadline },
  );
  opened.link.settle();
  if (opened.stream === undefined) return opened.response;
  const message = resumed(opened.stream, opened.link.release);
  return { ...opened.response, message };
}

// ---------------------------------------------------------------------------------------------
// nice-grpc
// ---------------------------------------------------------------------------------------------

/** nice-grpc's `CallOptions`, as far as the middleware reads and passes them on. */
export interface NiceGrpcRetryCallOptions {
  /** The caller's signal: it stands for `retry`'s. */
  signal?: AbortSignal | undefined;
  /**
   * A deadline for the whole call, for a deadline middleware further in (nice-grpc's
   * `nice-grpc-client-middleware-deadline`): each attempt is passed the time it has left.
   */
  deadline?: Date | number | undefined;
  /** Called with the response headers of the attempt whose outcome the caller gets. */
  onHeader?(header: NiceGrpcMetadata): void;
  /** Called with the trailers of the attempt whose outcome the caller gets. */
  onTrailer?(trailer: NiceGrpcMetadata): void;
}

/** nice-grpc's `ClientMiddlewareCall`, as far as the middleware reads it. */
export interface NiceGrpcRetryCall<Request, Response> {
  readonly method: { readonly path: string };
  /** Whether the call streams its requests (client-streaming, bidi): such a call is not retried. */
  readonly requestStream: boolean;
  /** Whether the call streams its responses (server-streaming, bidi). */
  readonly responseStream: boolean;
  readonly request: Request | AsyncIterable<Request>;
  /** Continues the call down the middleware chain with `request` and `options`. */
  next(
    request: Request | AsyncIterable<Request>,
    options: NiceGrpcRetryCallOptions,
  ): AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined>;
}

/**
 * A nice-grpc client middleware, typed by shape: assignable to nice-grpc's `ClientMiddleware`
 * without a cast.
 */
export type NiceGrpcRetryMiddleware = <Request, Response>(
  call: NiceGrpcRetryCall<Request, Response>,
  options: NiceGrpcRetryCallOptions,
) => AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined>;

/** One attempt's response headers and trailers, held back until the attempt's outcome is the call's. */
interface Received {
  header?: NiceGrpcMetadata;
  trailer?: NiceGrpcMetadata;
  /** Once the caller has been given this attempt's, later ones go straight to the caller. */
  handedOn: boolean;
}

function readProperty(value: unknown, key: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * What the policy judges for a nice-grpc failure: nice-grpc's `ClientError` carries neither the
 * status details nor the retry-hint headers, so a raw one is judged through a view that adds the
 * attempt's trailers (headers for a key the trailers lack) as `metadata`, the way the error
 * middleware does. The error itself is not touched: it is re-thrown as nice-grpc made it. A mapped
 * error (the error middleware inside this one) is judged as it is.
 */
function judged(error: unknown, received: Received | undefined): unknown {
  const { header, trailer } = received ?? {};
  if (header === undefined && trailer === undefined) return error;
  if (typeof error !== "object" || error === null || readProperty(error, "metadata") !== undefined)
    return error;
  const metadata: NiceGrpcMetadata =
    header === undefined || trailer === undefined
      ? ((trailer ?? header) as NiceGrpcMetadata)
      : { get: (key: string): unknown => trailer.get(key) ?? header.get(key) };
  try {
    return Object.create(error, { metadata: { value: metadata, enumerable: false } }) as unknown;
  } catch {
    return error;
  }
}

/**
 * The options of one attempt: the attempt's signal, its deadline where the caller gave one, and
 * callbacks that hold the attempt's headers and trailers back (an outer error middleware must see
 * the metadata of the attempt whose error it maps, not of an earlier one).
 */
function attemptOptions(
  options: NiceGrpcRetryCallOptions,
  received: Received,
  signal: AbortSignal | undefined,
  deadline: Date | number | undefined,
): NiceGrpcRetryCallOptions {
  const attempt: NiceGrpcRetryCallOptions = {
    ...options,
    signal,
    onHeader(header) {
      received.header = header;
      if (received.handedOn) options.onHeader?.(header);
    },
    onTrailer(trailer) {
      received.trailer = trailer;
      if (received.handedOn) options.onTrailer?.(trailer);
    },
  };
  if (deadline !== undefined) attempt.deadline = deadline;
  return attempt;
}

/** Gives the caller the headers and trailers of the attempt whose outcome is the call's. */
function handOn(options: NiceGrpcRetryCallOptions, received: Received | undefined): void {
  if (received === undefined || received.handedOn) return;
  received.handedOn = true;
  if (received.header !== undefined) options.onHeader?.(received.header);
  if (received.trailer !== undefined) options.onTrailer?.(received.trailer);
}

/** A `deadline` call option in epoch milliseconds; `undefined` for none or one that is no time. */
function deadlineOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isNaN(value) ? undefined : value;
  if (typeof value !== "object" || value === null) return undefined;
  try {
    const time = Date.prototype.getTime.call(value);
    return Number.isNaN(time) ? undefined : time;
  } catch {
    return undefined;
  }
}

/** `at` in the form the caller gave its deadline (a `Date` or a number). */
function sameForm(given: Date | number | undefined, at: number): Date | number {
  return typeof given === "number" ? at : new Date(at);
}

/**
 * A nice-grpc middleware that retries calls with `retry`'s rules (SPEC §6, §18), judging failures
 * with `fallback` unless `options.catalogue` is given. For a preset's or an SDK's own entry point,
 * which binds its catalogue's policy here; applications use {@link retryMiddleware}.
 *
 * @throws TypeError or RangeError - naming the option, for invalid options (as `retry` rejects).
 */
export function retryMiddlewareWith(
  options: TransportRetryOptions | undefined,
  fallback: RetryPolicy,
): NiceGrpcRetryMiddleware {
  const { settings, policy } = setUp(options, fallback, "retryMiddleware");
  return async function* retrying<Request, Response>(
    call: NiceGrpcRetryCall<Request, Response>,
    options: NiceGrpcRetryCallOptions,
  ): AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined> {
    // A call that streams its requests cannot send them again.
    if (call.requestStream || isAsyncIterable(call.request)) return yield* call.next(call.request, options);
    const callDeadline = deadlineOf(options.deadline);
    let last: Received | undefined;
    // The judge sees the failing attempt's trailers: it runs as soon as that attempt has failed.
    const withTrailers: RetryPolicy = {
      judge: (error) => policy.judge(judged(error, last)),
      timeoutError: (message, cause) => policy.timeoutError(message, cause),
    };
    const run = { signal: options.signal, deadline: callDeadline };
    if (!call.responseStream) {
      try {
        return await runRetry(
          async (context: RetryContext) => {
            const { timeoutMs } = context;
            const received: Received = { handedOn: false };
            last = received;
            const deadline =
              callDeadline === undefined || timeoutMs === undefined
                ? undefined
                : sameForm(options.deadline, Date.now() + timeoutMs);
            // Without a time limit the attempt's signal is the caller's: no need to make one.
            const signal = timeoutMs === undefined ? options.signal : context.signal;
            const steps = call.next(call.request, attemptOptions(options, received, signal, deadline));
            // A unary call yields nothing: its generator returns the response.
            let step = await steps.next();
            while (!step.done) step = await steps.next();
            return step.value;
          },
          settings,
          withTrailers,
          run,
        );
      } finally {
        handOn(options, last);
      }
    }

    let opened: OpenedStream<Response, NiceGrpcCallResult<Response>> & { readonly link: StreamSignal };
    try {
      opened = await runRetry(
        async ({ signal: attemptSignal }: RetryContext) => {
          const received: Received = { handedOn: false };
          last = received;
          const link = streamSignal(options.signal, attemptSignal);
          // The stream may run until the caller's own deadline: no attempt limit once it flows.
          const iterator = call.next(
            call.request,
            attemptOptions(options, received, link.signal, options.deadline),
          );
          try {
            return { iterator, first: await iterator.next(), link };
          } catch (error) {
            link.cancel();
            throw error;
          }
        },
        settings,
        withTrailers,
        run,
      );
    } finally {
      handOn(options, last);
    }
    opened.link.settle();
    return yield* resumed(opened, opened.link.release);
  };
}
