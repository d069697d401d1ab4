/**
 * Adapters (SPEC §15): map every call's failure at the client's edge, so SDK code built on a
 * generated client never sees a raw transport error.
 *
 * - {@link withErrorMapping} wraps a grpc-js, protobuf-ts, connect-es or nice-grpc client: every
 *   method's failures arrive already mapped by `fromGrpcStatus`, whatever shape the client reports
 *   them in (a rejected promise, a callback, a stream's `error` event, an async iterator's throw).
 * - {@link niceGrpcErrorMiddleware} is a nice-grpc client middleware that keeps the trailers
 *   nice-grpc drops, so its errors carry every detail of the status.
 *
 * Neither imports a transport library: clients and calls are recognised by their shape, so this
 * module runs wherever the main entry does (browsers and Workers included).
 *
 * @packageDocumentation
 */
import { isSandboxSdkError, type SandboxSdkError } from "../core/error.js";
import { abortOf } from "../roads/failure.js";

/**
 * The mapping context an adapter hands its mapping (a catalogue's `CatalogueContext`; the default
 * preset's `MappingContext`): an object whose fields the mapping reads.
 */
export type AdapterContext = object & { operation?: string | undefined };

/** How an adapter maps one failure: a catalogue's `fromGrpcStatus`. */
export type MapFailure<Context extends AdapterContext> = (
  error: unknown,
  context: Context,
) => SandboxSdkError;

/**
 * The mapping context of an adapter: one context for every call, or a function that builds it
 * from the call, typically to read `sandboxId` from the request:
 * `(method, request) => ({ sandboxId: (request as { sandboxId?: string }).sandboxId })`.
 *
 * The function runs only when a call fails, once per failed call. `method` is the client's method
 * name (`getSandbox`); `request` is the request message of a unary or server-streaming call, and
 * `undefined` for a call that streams its requests. When the function throws or returns something
 * other than an object, the error is still mapped, without that context. `operation` defaults to
 * `method`; a context that sets `operation` overrides it.
 */
export type ErrorMappingContext<Context extends AdapterContext = AdapterContext> =
  | Context
  | ((method: string, request: unknown) => Context);

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const NO_ERROR: unique symbol = Symbol("no error yet");

/** What `value` is, for an error message. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  return typeof value === "object" ? "an object" : typeof value;
}

/** The context for one failed call; never throws. */
function resolveContext<Context extends AdapterContext>(
  context: ErrorMappingContext<Context> | undefined,
  method: string,
  request: unknown,
): Context {
  if (context === undefined) return { operation: method } as Context;
  try {
    const given: unknown = typeof context === "function" ? context(method, request) : context;
    if (typeof given !== "object" || given === null) return { operation: method } as Context;
    const resolved = { ...(given as Context) };
    resolved.operation ??= method;
    return resolved;
  } catch {
    // A context function that throws (or a context with a throwing getter) must not lose the
    // error it was asked to describe: map it with the method name alone.
    return { operation: method } as Context;
  }
}

/**
 * Maps the failures of one call. A call reports one failure in several places (a protobuf-ts call
 * rejects `response`, `status` and `trailers` with the same `RpcError`), so the last mapping is
 * kept: the same raw error gives the same mapped error, wherever it is read. The caller's own abort
 * is never mapped (SPEC §13): what reaches the caller is the abort itself — the `signal.reason` the
 * caller gave, from the call's own options or from the error's `cause`, else what the transport
 * threw.
 */
class CallMapping {
  private raw: unknown = NO_ERROR;
  private mapped: unknown;

  constructor(
    private readonly method: string,
    private readonly request: unknown,
    private readonly context: ErrorMappingContext<AdapterContext> | undefined,
    private readonly mapFailure: MapFailure<AdapterContext>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** What the caller receives for `error`: the mapped error, or the caller's own abort. */
  map(error: unknown): unknown {
    if (isSandboxSdkError(error)) return error;
    if (this.raw === error) return this.mapped;
    const mapped =
      this.abortOf(error) ?? this.mapFailure(error, resolveContext(this.context, this.method, this.request));
    this.raw = error;
    this.mapped = mapped;
    return mapped;
  }

  private abortOf(error: unknown): unknown {
    const signal = this.signal;
    try {
      // connect-es's `ConnectError.from(abort)` keeps no cause: the call's own signal says it.
      if (signal?.aborted === true) return signal.reason ?? abortOf(error) ?? error;
    } catch {
      // A hostile signal: read the error alone.
    }
    return abortOf(error);
  }

  /** For `promise.then(undefined, call.reject)`. */
  readonly reject = (error: unknown): never => {
    throw this.map(error);
  };
}

function isObjectLike(value: unknown): value is Record<PropertyKey, unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

/** Reads a property of a foreign object (a thrown error, a client); a throwing getter reads as absent. */
function readProperty(value: unknown, key: string): unknown {
  if (!isObjectLike(value)) return undefined;
  try {
    return value[key];
  } catch {
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isObjectLike(value) && typeof value.then === "function";
}

// ---------------------------------------------------------------------------------------------
// The shapes a call's outcome comes in
// ---------------------------------------------------------------------------------------------

/** A copy of `args` with the value at `index` replaced (made only when a failure is mapped). */
function replaced(args: ArrayLike<unknown>, index: number, value: unknown): unknown[] {
  const copy = Array.from(args);
  copy[index] = value;
  return copy;
}

interface Emitter {
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * A grpc-js stream (any Node `EventEmitter`): its `emit` is patched on the instance, so the mapped
 * error reaches every `error` listener, `for await` (which listens for `error` too) and
 * `stream.pipeline` alike, while messages pass through the original `emit` untouched.
 */
function mapEmitter(stream: Emitter, call: CallMapping): void {
  const emit = stream.emit;
  stream.emit = function emitMapped(this: unknown, event: string | symbol): boolean {
    // `arguments` is handed on as it is: rest parameters would copy every message's arguments.
    // biome-ignore lint/complexity/noArguments: forwarding without a copy per message.
    const args: IArguments = arguments;
    if (event !== "error") return Reflect.apply(emit, this, args) as boolean;
    return Reflect.apply(emit, this, replaced(args, 1, call.map(args[1]))) as boolean;
  };
}

/** The promises of a protobuf-ts call (`UnaryCall`, `ServerStreamingCall`, ...). */
const RPC_CALL_PROMISES = ["headers", "response", "status", "trailers"] as const;

/** A protobuf-ts call: `requestHeaders`, and `status`/`trailers` promises. */
function isRpcCall(value: Record<PropertyKey, unknown>): boolean {
  return "requestHeaders" in value && isThenable(value.status) && isThenable(value.trailers);
}

/**
 * Replaces each promise of a protobuf-ts call with one that rejects with the mapped error, made
 * on first read (the call's own `then` reads all of them). Like protobuf-ts's own promises, they
 * never report an unhandled rejection for a promise the caller did not read.
 */
function mapRpcCall(rpcCall: Record<PropertyKey, unknown>, call: CallMapping): void {
  for (const key of RPC_CALL_PROMISES) {
    const original = rpcCall[key];
    if (!isThenable(original)) continue;
    let mapped: Promise<unknown> | undefined;
    try {
      Object.defineProperty(rpcCall, key, {
        configurable: true,
        enumerable: true,
        get() {
          if (mapped === undefined) {
            mapped = Promise.resolve(original).then(undefined, call.reject);
            mapped.catch(() => {});
          }
          return mapped;
        },
      });
    } catch {
      // A frozen call keeps its own promises.
    }
  }
  const responses = rpcCall.responses;
  if (isObjectLike(responses)) mapRpcOutputStream(rpcCall, responses, call);
}

/**
 * The `responses` of a protobuf-ts streaming call. Its `RpcOutputStreamController` hands every
 * error to `notifyError` (its `notifyNext` calls it too), which then reaches `onError`, `onNext`
 * and the async iterator: patching that one method maps them all without touching messages. A
 * stream of another make is replaced by a view that maps its errors.
 */
function mapRpcOutputStream(
  rpcCall: Record<PropertyKey, unknown>,
  responses: Record<PropertyKey, unknown>,
  call: CallMapping,
): void {
  const notifyError = responses.notifyError;
  if (typeof notifyError === "function") {
    responses.notifyError = function notifyMapped(this: unknown, error: unknown): unknown {
      return Reflect.apply(notifyError, this, [call.map(error)]);
    };
    return;
  }
  const stream = responses as unknown as OutputStream;
  const view: OutputStream = {
    onNext: (callback) =>
      stream.onNext((message, error, complete) =>
        callback(message, error === undefined ? undefined : call.map(error), complete),
      ),
    onMessage: (callback) => stream.onMessage(callback),
    onError: (callback) => stream.onError((error) => callback(call.map(error))),
    onComplete: (callback) => stream.onComplete(callback),
    [Symbol.asyncIterator]: () => mapIterator(stream[Symbol.asyncIterator](), call),
  };
  try {
    Object.defineProperty(rpcCall, "responses", { configurable: true, enumerable: true, value: view });
  } catch {
    // A frozen call keeps its own stream.
  }
}

/** protobuf-ts's `RpcOutputStream`, as far as the view above needs it. */
interface OutputStream extends AsyncIterable<unknown> {
  onNext(callback: (message: unknown, error: unknown, complete: boolean) => void): () => void;
  onMessage(callback: (message: unknown) => void): () => void;
  onError(callback: (error: unknown) => void): () => void;
  onComplete(callback: () => void): () => void;
}

/**
 * An async iterator whose rejections are mapped. Values pass through as they are (the same
 * objects); each step costs one promise reaction, the least that observing a rejection takes.
 */
function mapIterator(
  iterator: AsyncIterator<unknown, unknown, unknown>,
  call: CallMapping,
): AsyncIterableIterator<unknown> {
  const mapped: AsyncIterableIterator<unknown> = {
    next: (value?: unknown) => iterator.next(value).then(undefined, call.reject),
    [Symbol.asyncIterator]: () => mapped,
  };
  const { return: end, throw: raise } = iterator;
  if (typeof end === "function") {
    mapped.return = (value?: unknown) =>
      Promise.resolve(Reflect.apply(end, iterator, [value])).then(undefined, call.reject);
  }
  if (typeof raise === "function") {
    mapped.throw = (error?: unknown) =>
      Promise.resolve(Reflect.apply(raise, iterator, [error])).then(undefined, call.reject);
  }
  return mapped;
}

/** An async iterable (connect-es and nice-grpc streams) whose iterators' rejections are mapped. */
function mapIterable(iterable: AsyncIterable<unknown>, call: CallMapping): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => mapIterator(iterable[Symbol.asyncIterator](), call),
  };
}

/** Routes the failures of whatever a method returned through `call`; returns what the caller gets. */
function mapOutcome(result: unknown, call: CallMapping, reportsByCallback: boolean): unknown {
  if (!isObjectLike(result)) return result;
  // Order matters: a grpc-js stream is also async-iterable, and a protobuf-ts call also a thenable.
  if (typeof result.emit === "function" && typeof result.on === "function") {
    // A grpc-js unary or client-streaming call reports its failure to the callback alone.
    if (!reportsByCallback) mapEmitter(result as unknown as Emitter, call);
    return result;
  }
  if (isRpcCall(result)) {
    mapRpcCall(result, call);
    return result;
  }
  if (isThenable(result)) return result.then(undefined, call.reject);
  if (typeof result[Symbol.asyncIterator] === "function") {
    return mapIterable(result as unknown as AsyncIterable<unknown>, call);
  }
  return result;
}

/**
 * Whether the method `name` of `client` streams its requests, so its first argument is no request
 * message: grpc-js marks such methods (`requestStream`), and a protobuf-ts client lists its methods
 * (`methods`, with `localName` and `clientStreaming`). connect-es and nice-grpc pass the requests as
 * an async iterable, recognised per call by {@link requestMessage}.
 */
function streamsRequests(client: object, name: string, method: AnyFunction): boolean {
  if ((method as { requestStream?: unknown }).requestStream === true) return true;
  const methods = readProperty(client, "methods");
  if (!Array.isArray(methods)) return false;
  return methods.some(
    (info) => readProperty(info, "localName") === name && readProperty(info, "clientStreaming") === true,
  );
}

/** The request message a call was given, or `undefined` for a stream of requests. */
function requestMessage(request: unknown): unknown {
  return isObjectLike(request) && typeof request[Symbol.asyncIterator] === "function" ? undefined : request;
}

/**
 * The method `name` of `client`, mapping its failures. A last argument that is a function is the
 * grpc-js callback: it receives the mapped error. `this` is always the original client.
 */
function mapMethod<Context extends AdapterContext>(
  client: object,
  name: string,
  method: AnyFunction,
  context: ErrorMappingContext<Context> | undefined,
  mapFailure: MapFailure<Context>,
): AnyFunction {
  const takesRequestStream = streamsRequests(client, name, method);
  return function mappedMethod(this: unknown, ...args: unknown[]): unknown {
    const request = takesRequestStream ? undefined : requestMessage(args[0]);
    const call = new CallMapping(
      name,
      request,
      context as ErrorMappingContext<AdapterContext> | undefined,
      mapFailure as MapFailure<AdapterContext>,
      callSignal(args),
    );
    const last = args.length - 1;
    const callback = args[last];
    const reportsByCallback = typeof callback === "function";
    if (reportsByCallback) {
      args[last] = function callbackMapped(this: unknown, error: unknown): unknown {
        // biome-ignore lint/complexity/noArguments: a success is handed on exactly as it came.
        const received: IArguments = arguments;
        if (error === null || error === undefined) return Reflect.apply(callback, this, received);
        return Reflect.apply(callback, this, replaced(received, 0, call.map(error)));
      };
    }
    let result: unknown;
    try {
      result = Reflect.apply(method, client, args);
    } catch (error) {
      // A synchronous throw is a failure too (grpc-js throws when its channel is closed).
      throw call.map(error);
    }
    return mapOutcome(result, call, reportsByCallback);
  };
}

/**
 * The signal in a call's own options (connect-es's and nice-grpc's `signal`, protobuf-ts's `abort`),
 * by which an adapter knows a failure is the caller's abort even when the transport kept no cause.
 */
function callSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = 1; i < args.length; i++) {
    const options = args[i];
    if (!isObjectLike(options) || typeof options === "function") continue;
    for (const key of ["signal", "abort"]) {
      const signal = readProperty(options, key);
      if (isObjectLike(signal) && typeof readProperty(signal, "aborted") === "boolean")
        return signal as unknown as AbortSignal;
    }
  }
  return undefined;
}

/** Throws a `TypeError` naming `caller` unless `context` is absent, an object or a function. */
function checkContext(caller: string, context: unknown): void {
  if (context === undefined || typeof context === "function") return;
  if (typeof context === "object" && context !== null) return;
  throw new TypeError(
    `${caller}: expected the context to be an object or a function (method, request) => context, got ${kindOf(context)}`,
  );
}

/** Properties never wrapped: they are not calls to the service. */
function isPlainProperty(property: PropertyKey, value: unknown): boolean {
  return (
    typeof value !== "function" ||
    typeof property === "symbol" ||
    property === "constructor" ||
    (Object.prototype as Record<PropertyKey, unknown>)[property] === value
  );
}

/**
 * Returns a client of the same type whose every method's failures arrive already mapped by
 * `fromGrpcStatus`, with `operation` = the method's name and the given context.
 *
 * Use it once where the SDK builds its generated client, so no call site has to remember to map.
 * It works for grpc-js clients (callbacks; unary, client, server and bidirectional streams, whose
 * `error` event carries the mapped error, also under `for await`), protobuf-ts clients (the call's
 * `response`, `status`, `trailers`, `then`, and its `responses` stream), connect-es clients from
 * `createClient` (promises and async iterables) and nice-grpc clients (promises and async
 * iterables; add {@link niceGrpcErrorMiddleware} to the client factory so the errors keep the
 * status details nice-grpc drops). A synchronous throw is mapped too.
 *
 * Successful calls pass through untouched: the same values and objects; streams are patched in
 * place rather than piped (an async iterator costs one promise reaction per step). An error that is
 * already a `SandboxSdkError` is not mapped again. The wrapper is a view of the client: properties
 * that are not methods read and write through to it, methods keep their identity
 * (`wrapped.getSandbox === wrapped.getSandbox`), and `this` inside a method is the original client.
 *
 * @param client - The generated client to wrap.
 * @param context - The mapping context for every call, or a function of the call that builds it.
 * @returns A client of the same type.
 * @throws TypeError - when `client` is not an object, or `context` neither an object nor a function.
 *
 * @example
 * ```ts
 * const sandboxes = withErrorMapping(createClient(SandboxService, transport), (method, request) => ({
 *   sandboxId: (request as { sandboxId?: string } | undefined)?.sandboxId,
 * }));
 * try {
 *   await sandboxes.getSandbox({ sandboxId });
 * } catch (error) {
 *   if (error instanceof SandboxNotFoundError) return undefined; // already mapped
 *   throw error;
 * }
 * ```
 */
export function wrapClient<T extends object, Context extends AdapterContext>(
  client: T,
  context: ErrorMappingContext<Context> | undefined,
  mapFailure: MapFailure<Context>,
): T {
  if (typeof client !== "object" || client === null) {
    throw new TypeError(
      `withErrorMapping: expected a client object (grpc-js, protobuf-ts, connect-es or nice-grpc), got ${kindOf(client)}`,
    );
  }
  checkContext("withErrorMapping", context);
  const source = client as Record<PropertyKey, unknown>;
  const wrapped = new Map<PropertyKey, { readonly method: unknown; readonly mapped: AnyFunction }>();
  const read = (property: PropertyKey): unknown => {
    // Getters run on the client itself, as methods do.
    const value = Reflect.get(source, property, source);
    if (isPlainProperty(property, value)) return value;
    const known = wrapped.get(property);
    if (known !== undefined && known.method === value) return known.mapped;
    const mapped = mapMethod(client, property as string, value as AnyFunction, context, mapFailure);
    wrapped.set(property, { method: value, mapped });
    return mapped;
  };
  // The proxy's target is an empty stand-in, not the client: a proxy must report a frozen
  // target's own properties unchanged, which would forbid wrapping the methods of a frozen client.
  const standIn = Object.create(null) as object;
  // Node's `util.inspect` shows a proxy's target without running its traps: let the stand-in show
  // the client instead. (A registered symbol: no Node import.)
  Object.defineProperty(standIn, Symbol.for("nodejs.util.inspect.custom"), {
    configurable: true,
    value: (_depth: number, options: object, inspect: (value: unknown, options: object) => string) =>
      inspect(client, options),
  });
  return new Proxy(standIn, {
    get: (_, property) => read(property),
    set: (_, property, value) => Reflect.set(source, property, value, source),
    has: (_, property) => Reflect.has(source, property),
    deleteProperty: (_, property) => Reflect.deleteProperty(source, property),
    defineProperty: (_, property, descriptor) => Reflect.defineProperty(source, property, descriptor),
    ownKeys: () => Reflect.ownKeys(source),
    getOwnPropertyDescriptor: (_, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(source, property);
      if (descriptor === undefined) return undefined;
      // The stand-in has no such property, so the proxy may only report it as configurable.
      descriptor.configurable = true;
      if ("value" in descriptor) descriptor.value = read(property);
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(source),
    setPrototypeOf: (_, prototype) => Reflect.setPrototypeOf(source, prototype),
    // Freezing the view would freeze the stand-in, not the client: refuse it.
    preventExtensions: () => false,
  }) as T;
}

// ---------------------------------------------------------------------------------------------
// nice-grpc
// ---------------------------------------------------------------------------------------------

/**
 * nice-grpc's `Metadata`, as far as this package reads it: `get(key)` returns the first value
 * (a `Uint8Array` for a `-bin` key), which `fromGrpcStatus` reads like grpc-js `Metadata`.
 */
export interface NiceGrpcMetadata {
  /** The first value of `key` (a `Uint8Array` for a `-bin` key), or `undefined`. */
  get(key: string): unknown;
}

/** nice-grpc's `CallOptions`, as far as the middleware touches them. */
export interface NiceGrpcCallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Called with the call's response headers when they arrive. */
  onHeader?(header: NiceGrpcMetadata): void;
  /** Called with the call's trailers when they arrive. */
  onTrailer?(trailer: NiceGrpcMetadata): void;
}

/**
 * What a nice-grpc call's generator returns: the response of a unary or client-streaming call,
 * nothing for a response stream.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: nice-grpc's own type is `Response | void`; `undefined` would not accept the `void` of its streams.
export type NiceGrpcCallResult<Response> = Response | void;

/** nice-grpc's `ClientMiddlewareCall`, as far as the middleware uses it. */
export interface NiceGrpcMiddlewareCall<Request, Response> {
  readonly method: {
    /** `/package.Service/Method`. */
    readonly path: string;
  };
  readonly request: Request | AsyncIterable<Request>;
  /** Continues the call down the middleware chain with `request` and `options`. */
  next(
    request: Request | AsyncIterable<Request>,
    options: NiceGrpcCallOptions,
  ): AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined>;
}

/**
 * A nice-grpc client middleware, typed structurally (this package does not depend on nice-grpc):
 * assignable to nice-grpc's `ClientMiddleware`.
 */
export type NiceGrpcClientMiddleware = <Request, Response>(
  call: NiceGrpcMiddlewareCall<Request, Response>,
  options: NiceGrpcCallOptions,
) => AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined>;

/** nice-grpc's `ClientError` (and `RichClientError`), recognised by shape across copies. */
function isNiceGrpcClientError(error: unknown): error is Error {
  const name = readProperty(error, "name");
  return (
    (name === "ClientError" || name === "RichClientError") &&
    typeof readProperty(error, "code") === "number" &&
    typeof readProperty(error, "details") === "string"
  );
}

/**
 * The method's name from its path, with the first letter lowered: `/demo.v1.SandboxService/GetSandbox`
 * gives `getSandbox`, the name the client's method has (connect-es's `localName`, ts-proto's and
 * protobuf-ts's method names), so the same failure reads the same here and through
 * {@link withErrorMapping}.
 */
function methodName(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === "" ? "operation" : name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * What the middleware gives the error as `metadata`: the trailers (where the status details are),
 * and, for a key the trailers lack, the response headers (a retry hint such as `retry-after` may
 * travel in either).
 */
function keptMetadata(
  header: NiceGrpcMetadata | undefined,
  trailer: NiceGrpcMetadata | undefined,
): NiceGrpcMetadata | undefined {
  if (header === undefined || trailer === undefined) return trailer ?? header;
  return {
    get(key: string): unknown {
      const value = trailer.get(key);
      return value === undefined ? header.get(key) : value;
    },
  };
}

/**
 * A nice-grpc client middleware that keeps the trailers nice-grpc drops: it captures them with the
 * `onTrailer` call option (calling any `onTrailer` the caller passed as well) and, when the call
 * fails with a nice-grpc `ClientError`, gives that error the trailers as a non-enumerable `metadata`
 * property and throws `fromGrpcStatus(error, context)`, so the error carries every detail of the
 * status (`reason`, `retryDelay`, `requestId`, ...). Other errors (an `AbortError` from the call's
 * signal, say) pass through unchanged.
 *
 * `operation` is the method's name as the client spells it (`getSandbox`, from the path's
 * `GetSandbox`). Works for unary and streaming calls; attach it to the client factory.
 *
 * @param context - The mapping context for every call, or a function `(method, request) => context`.
 * @throws TypeError - when `context` is neither an object nor a function.
 *
 * @example
 * ```ts
 * import { createChannel, createClientFactory } from "nice-grpc";
 *
 * const client = createClientFactory()
 *   .use(niceGrpcErrorMiddleware((method, request) => ({ sandboxId: (request as { sandboxId?: string }).sandboxId })))
 *   .create(SandboxServiceDefinition, createChannel(address));
 * // A failing call now throws a SandboxSdkError with reason, retryDelay and details.
 * ```
 */
export function errorMiddleware<Context extends AdapterContext>(
  context: ErrorMappingContext<Context> | undefined,
  mapFailure: MapFailure<Context>,
): NiceGrpcClientMiddleware {
  checkContext("niceGrpcErrorMiddleware", context);
  return async function* niceGrpcErrorMapping<Request, Response>(
    call: NiceGrpcMiddlewareCall<Request, Response>,
    options: NiceGrpcCallOptions,
  ): AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined> {
    let header: NiceGrpcMetadata | undefined;
    let trailer: NiceGrpcMetadata | undefined;
    try {
      return yield* call.next(call.request, {
        ...options,
        onHeader(received: NiceGrpcMetadata) {
          header = received;
          options.onHeader?.(received);
        },
        onTrailer(received: NiceGrpcMetadata) {
          trailer = received;
          options.onTrailer?.(received);
        },
      });
    } catch (error) {
      // The caller's own abort is re-thrown as the reason the caller gave (SPEC §13).
      const signal = readProperty(options, "signal");
      if (isObjectLike(signal) && readProperty(signal, "aborted") === true) {
        throw readProperty(signal, "reason") ?? error;
      }
      if (!isNiceGrpcClientError(error)) throw error;
      const kept = keptMetadata(header, trailer);
      if (kept !== undefined && readProperty(error, "metadata") === undefined) {
        try {
          Object.defineProperty(error, "metadata", {
            value: kept,
            enumerable: false,
            configurable: true,
            writable: true,
          });
        } catch {
          // A frozen error is mapped without its trailers.
        }
      }
      const method = methodName(String(readProperty(call.method, "path") ?? ""));
      throw mapFailure(error, resolveContext(context, method, requestMessage(call.request)));
    }
  };
}
