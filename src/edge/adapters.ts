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
 * module runs wherever the main entry does (browsers and Workers included). What a call returns is
 * patched in place where it can be (free on success) and seen through a view where it cannot (a
 * frozen object, a promise with members of its own); a failure reported out of turn (a throwing
 * `then` getter, an iterator's synchronous throw) reaches the caller mapped too.
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
function readProperty(value: unknown, key: PropertyKey): unknown {
  if (!isObjectLike(value)) return undefined;
  try {
    return value[key];
  } catch {
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof readProperty(value, "then") === "function";
}

// ---------------------------------------------------------------------------------------------
// Views: what the caller gets for an object that cannot be patched
// ---------------------------------------------------------------------------------------------

/**
 * A view of `source`: every property reads through `read` and writes through to `source`; keys,
 * `in`, the prototype (so `instanceof`) and `util.inspect` are the source's. Adapters patch what a
 * call returns in place, which costs nothing on success; a view is for what cannot be patched (a
 * frozen or non-extensible object, a promise, whose `then` is not its own to replace).
 */
function viewOf(source: object, read: (property: PropertyKey) => unknown): object {
  // The proxy's target is an empty stand-in, not the source: a proxy must report a frozen
  // target's own properties unchanged, which would forbid showing mapped ones in their place.
  const standIn = Object.create(null) as object;
  // Node's `util.inspect` shows a proxy's target without running its traps: let the stand-in show
  // the source instead. (A registered symbol: no Node import.)
  Object.defineProperty(standIn, Symbol.for("nodejs.util.inspect.custom"), {
    configurable: true,
    value: (_depth: number, options: object, inspect: (value: unknown, options: object) => string) =>
      inspect(source, options),
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
    // Freezing the view would freeze the stand-in, not the source: refuse it.
    preventExtensions: () => false,
  });
}

/**
 * `value` called on `source` whatever it is called on (a method with `#private` fields or internal
 * slots works only on its own object); a method that returns its object (`on`, for chaining)
 * returns `view` instead.
 */
function boundTo(value: AnyFunction, source: object, view: () => object): AnyFunction {
  return function bound(this: unknown, ...args: unknown[]): unknown {
    const result = Reflect.apply(value, source, args);
    return result === source ? view() : result;
  };
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

/**
 * A grpc-js stream (any Node `EventEmitter`): its `emit` is patched on the instance, so the mapped
 * error reaches every `error` listener, `for await` (which listens for `error` too) and
 * `stream.pipeline` alike, while messages pass through the original `emit` untouched. A stream
 * that cannot take the patch (sealed, non-extensible) is handed over as {@link emitterView}.
 */
function mapEmitter(stream: Record<PropertyKey, unknown>, emit: AnyFunction, call: CallMapping): object {
  function emitMapped(this: unknown, event: string | symbol): boolean {
    // `arguments` is handed on as it is: rest parameters would copy every message's arguments.
    // biome-ignore lint/complexity/noArguments: forwarding without a copy per message.
    const args: IArguments = arguments;
    if (event !== "error") return Reflect.apply(emit, this, args) as boolean;
    return Reflect.apply(emit, this, replaced(args, 1, call.map(args[1]))) as boolean;
  }
  // Reflect.set reports a refusal instead of throwing it.
  return Reflect.set(stream, "emit", emitMapped) ? stream : emitterView(stream, call);
}

/** The `EventEmitter` methods that take a listener: an `error` listener is handed the mapped error. */
const LISTENER_METHODS: ReadonlySet<PropertyKey> = new Set([
  "on",
  "addListener",
  "once",
  "prependListener",
  "prependOnceListener",
  "off",
  "removeListener",
]);

/**
 * A stream whose `emit` cannot be patched, seen through a view: an `error` listener added through
 * the view is called with the mapped error (and removed by the same function), `for await` over the
 * view throws the mapped error, and every other member is the stream's own, called on the stream.
 * A listener added to the stream itself, not through the view, still receives the raw error.
 */
function emitterView(stream: Record<PropertyKey, unknown>, call: CallMapping): object {
  const mappedListeners = new WeakMap<AnyFunction, AnyFunction>();
  const errorListener = (listener: unknown): unknown => {
    if (typeof listener !== "function") return listener;
    let mapped = mappedListeners.get(listener as AnyFunction);
    if (mapped === undefined) {
      mapped = function errorMapped(this: unknown, error: unknown): unknown {
        // biome-ignore lint/complexity/noArguments: the listener gets every argument emit passed.
        return Reflect.apply(listener, this, replaced(arguments, 0, call.map(error)));
      };
      mappedListeners.set(listener as AnyFunction, mapped);
    }
    return mapped;
  };
  const self = () => view;
  const view = viewOf(stream, (property) => {
    const value = Reflect.get(stream, property, stream);
    if (typeof value !== "function") return value;
    if (property === Symbol.asyncIterator) {
      return () => mapIterator(Reflect.apply(value, stream, []) as AsyncIterator<unknown>, call);
    }
    if (LISTENER_METHODS.has(property)) {
      return function listen(this: unknown, event: unknown, listener: unknown, ...rest: unknown[]): unknown {
        const given = event === "error" ? errorListener(listener) : listener;
        const result = Reflect.apply(value, stream, [event, given, ...rest]);
        return result === stream ? view : result;
      };
    }
    return boundTo(value as AnyFunction, stream, self);
  });
  return view;
}

/** The promises of a protobuf-ts call (`UnaryCall`, `ServerStreamingCall`, ...). */
const RPC_CALL_PROMISES = ["headers", "response", "status", "trailers"] as const;

/** A protobuf-ts call: `requestHeaders`, and `status`/`trailers` promises. */
function isRpcCall(value: Record<PropertyKey, unknown>): boolean {
  return (
    isThenable(readProperty(value, "status")) &&
    isThenable(readProperty(value, "trailers")) &&
    readProperty(value, "requestHeaders") !== undefined
  );
}

/**
 * Defines `key` on `target` as the getter `get`; when `target` refuses (frozen), adds it to the
 * getters a view of `target` must show instead, and returns them.
 */
function install(
  target: object,
  key: PropertyKey,
  refused: Map<PropertyKey, () => unknown> | undefined,
  get: () => unknown,
): Map<PropertyKey, () => unknown> | undefined {
  if (Reflect.defineProperty(target, key, { configurable: true, enumerable: true, get })) return refused;
  return (refused ?? new Map()).set(key, get);
}

/**
 * Replaces each promise of a protobuf-ts call with one that rejects with the mapped error, made
 * on first read (the call's own `then` reads all of them), and maps its `responses`. Like
 * protobuf-ts's own promises, they never report an unhandled rejection for a promise the caller
 * did not read. A call that cannot take the patch (frozen) is handed over as a view that shows the
 * mapped promises and stream in place of its own; its methods (`then`) run on the view.
 */
function mapRpcCall(rpcCall: Record<PropertyKey, unknown>, call: CallMapping): object {
  let refused: Map<PropertyKey, () => unknown> | undefined;
  for (const key of RPC_CALL_PROMISES) {
    const original = readProperty(rpcCall, key);
    if (!isThenable(original)) continue;
    let mapped: Promise<unknown> | undefined;
    refused = install(rpcCall, key, refused, () => {
      if (mapped === undefined) {
        mapped = Promise.resolve(original).then(undefined, call.reject);
        mapped.catch(() => {});
      }
      return mapped;
    });
  }
  const responses = readProperty(rpcCall, "responses");
  if (isObjectLike(responses)) {
    const mapped = mapRpcOutputStream(responses, call);
    if (mapped !== responses) refused = install(rpcCall, "responses", refused, () => mapped);
  }
  const overrides = refused;
  if (overrides === undefined) return rpcCall;
  const view = viewOf(rpcCall, (property) => {
    const get = overrides.get(property);
    return get === undefined ? Reflect.get(rpcCall, property, view) : get();
  });
  return view;
}

/**
 * The `responses` of a protobuf-ts streaming call. Its `RpcOutputStreamController` hands every
 * error to `notifyError` (its `notifyNext` calls it too), which then reaches `onError`, `onNext`
 * and the async iterator: patching that one method maps them all without touching messages. A
 * stream of another make, or one that cannot take the patch (frozen), is replaced by a view that
 * maps its errors.
 */
function mapRpcOutputStream(responses: Record<PropertyKey, unknown>, call: CallMapping): object {
  const notifyError = readProperty(responses, "notifyError");
  if (typeof notifyError === "function") {
    const patched = Reflect.set(
      responses,
      "notifyError",
      function notifyMapped(this: unknown, error: unknown) {
        return Reflect.apply(notifyError, this, [call.map(error)]);
      },
    );
    if (patched) return responses;
  }
  const stream = responses as unknown as OutputStream;
  const self = () => view;
  const view = viewOf(responses, (property) => {
    switch (property) {
      case "onNext":
        return (callback: (message: unknown, error: unknown, complete: boolean) => void) =>
          stream.onNext((message, error, complete) =>
            callback(message, error === undefined ? undefined : call.map(error), complete),
          );
      case "onError":
        return (callback: (error: unknown) => void) => stream.onError((error) => callback(call.map(error)));
      case Symbol.asyncIterator:
        return () => mapIterator(stream[Symbol.asyncIterator](), call);
    }
    const value = Reflect.get(responses, property, responses);
    return typeof value === "function" ? boundTo(value as AnyFunction, responses, self) : value;
  });
  return view;
}

/** protobuf-ts's `RpcOutputStream`, as far as the view above needs it. */
interface OutputStream extends AsyncIterable<unknown> {
  onNext(callback: (message: unknown, error: unknown, complete: boolean) => void): () => void;
  onError(callback: (error: unknown) => void): () => void;
}

/**
 * One step of an iterator (`next`, `return` or `throw`), as a promise whose rejection is mapped:
 * a synchronous throw becomes that rejection (as an async generator's would), and a plain
 * `{ value, done }` is taken as it is. A promise the iterator returned is used as it is (no copy);
 * the one promise reaction per step is the least that observing a rejection takes.
 */
function step(iterator: object, method: AnyFunction, argument: unknown, call: CallMapping): Promise<unknown> {
  let result: unknown;
  try {
    result = method.call(iterator, argument);
  } catch (error) {
    return Promise.reject(call.map(error));
  }
  return Promise.resolve(result).then(undefined, call.reject);
}

/**
 * `throw(error)` of an iterator: the caller's own `error`, thrown back out (a generator that does
 * not catch it), is the caller's, not a failure of the call, and comes back as itself.
 */
function stepThrow(
  iterator: object,
  method: AnyFunction,
  error: unknown,
  call: CallMapping,
): Promise<unknown> {
  const passOwn = (failure: unknown): never => {
    throw failure === error ? failure : call.map(failure);
  };
  let result: unknown;
  try {
    result = method.call(iterator, error);
  } catch (failure) {
    return Promise.reject(failure).then(undefined, passOwn);
  }
  return Promise.resolve(result).then(undefined, passOwn);
}

/**
 * An async iterator whose rejections are mapped. Values pass through as they are (the same
 * objects). `return` and `throw` are there when the iterator has them. When the iterator is its
 * own iterable (an async generator), so is the mapped one.
 */
function mapIterator(
  iterator: AsyncIterator<unknown, unknown, unknown>,
  call: CallMapping,
): AsyncIterableIterator<unknown> {
  const mapped: AsyncIterableIterator<unknown> = {
    next: (value?: unknown) => {
      const next = readProperty(iterator, "next");
      if (typeof next === "function") return step(iterator, next as AnyFunction, value, call) as never;
      // Not a failure of the call: the iterator is broken, as `for await` would say of it.
      return Promise.reject(new TypeError("withErrorMapping: the stream's iterator has no next() method"));
    },
    [Symbol.asyncIterator]: () => {
      const own = readProperty(iterator, Symbol.asyncIterator);
      if (typeof own !== "function") return mapped;
      let again: unknown;
      try {
        again = own.call(iterator);
      } catch (error) {
        throw call.map(error);
      }
      return again === iterator ? mapped : mapIterator(again as AsyncIterator<unknown>, call);
    },
  };
  const end = readProperty(iterator, "return");
  if (typeof end === "function") {
    mapped.return = (value?: unknown) => step(iterator, end as AnyFunction, value, call) as never;
  }
  const raise = readProperty(iterator, "throw");
  if (typeof raise === "function") {
    mapped.throw = (error?: unknown) => stepThrow(iterator, raise as AnyFunction, error, call) as never;
  }
  return mapped;
}

/** An async iterable (connect-es and nice-grpc streams) whose iterators' rejections are mapped. */
function mapIterable(
  iterable: Record<PropertyKey, unknown>,
  open: AnyFunction,
  call: CallMapping,
): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => {
      let iterator: unknown;
      try {
        iterator = open.call(iterable);
      } catch (error) {
        // Opening the stream is part of the call: `for await` throws this before the first step.
        throw call.map(error);
      }
      return mapIterator(iterator as AsyncIterator<unknown>, call);
    },
  };
}

/** Whether `value` is a native promise with nothing of its own: the one shape that needs no view. */
function isPlainPromise(value: object): boolean {
  try {
    if (Object.getPrototypeOf(value) !== Promise.prototype) return false;
    // for-in, not Object.keys: it finds an enumerable member (`Object.assign(promise, { cancel })`)
    // without allocating a list on every call.
    for (const _member in value) return false;
    return true;
  } catch {
    // A proxy whose traps throw is no plain promise.
    return false;
  }
}

/**
 * A thenable that is not a plain native promise — a promise with extra members (`cancel`), a
 * promise subclass, a thenable of another make, one whose `then` getter throws — seen through a
 * view: `then`, `catch` and `finally` settle as awaiting the thenable would, with a rejection
 * mapped, and every other member is the thenable's own, called on it. The thenable is awaited only
 * when the view is (a lazy thenable starts no work, and nothing rejects unobserved).
 */
function thenableView(thenable: Record<PropertyKey, unknown>, call: CallMapping): object {
  let settled: Promise<unknown> | undefined;
  const settle = (): Promise<unknown> => {
    // `resolve` reads `then` and calls it as `await` does, a throwing getter included.
    settled ??= new Promise((resolve) => resolve(thenable)).then(undefined, call.reject);
    return settled;
  };
  const self = () => view;
  const view = viewOf(thenable, (property) => {
    if (property === "then" || property === "catch" || property === "finally") {
      const method = Promise.prototype[property] as AnyFunction;
      return (...args: unknown[]) => Reflect.apply(method, settle(), args);
    }
    const value = readProperty(thenable, property);
    return typeof value === "function" ? boundTo(value as AnyFunction, thenable, self) : value;
  });
  return view;
}

/** Routes the failures of whatever a method returned through `call`; returns what the caller gets. */
function mapOutcome(result: unknown, call: CallMapping, reportsByCallback: boolean): unknown {
  if (!isObjectLike(result)) return result;
  // Order matters: a grpc-js stream is also async-iterable, and a protobuf-ts call also a thenable.
  const emit = readProperty(result, "emit");
  if (typeof emit === "function" && typeof readProperty(result, "on") === "function") {
    // A grpc-js unary or client-streaming call reports its failure to the callback alone.
    return reportsByCallback ? result : mapEmitter(result, emit as AnyFunction, call);
  }
  if (isRpcCall(result)) return mapRpcCall(result, call);
  let then: unknown;
  try {
    then = result.then;
  } catch {
    // Awaiting it would throw what the getter throws: the view maps that when awaited.
    return thenableView(result, call);
  }
  if (typeof then === "function") {
    if (then === Promise.prototype.then && isPlainPromise(result)) {
      try {
        return (result as unknown as Promise<unknown>).then(undefined, call.reject);
      } catch {
        // A proxy that passes for a promise, refused by `then`'s own check: awaiting it decides.
      }
    }
    return thenableView(result, call);
  }
  const open = readProperty(result, Symbol.asyncIterator);
  if (typeof open !== "function") return result;
  // An async generator (an SDK method written `async *`) is its own iterator: keep `next`, `return`
  // and `throw`.
  if (typeof readProperty(result, "next") === "function") {
    return mapIterator(result as unknown as AsyncIterator<unknown>, call);
  }
  return mapIterable(result, open as AnyFunction, call);
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
        // As in Node, any falsy error argument (`null`, `undefined`, `0`, `false`) means success.
        if (!error) return Reflect.apply(callback, this, received);
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

/** Where a call's options hold its signal: connect-es's and nice-grpc's `signal`, protobuf-ts's `abort`. */
const SIGNAL_OPTIONS = ["signal", "abort"] as const;

/**
 * The signal in a call's own options (connect-es's and nice-grpc's `signal`, protobuf-ts's `abort`),
 * by which an adapter knows a failure is the caller's abort even when the transport kept no cause.
 */
function callSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = 1; i < args.length; i++) {
    const options = args[i];
    if (!isObjectLike(options) || typeof options === "function") continue;
    for (const key of SIGNAL_OPTIONS) {
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
 * already a `SandboxSdkError` is not mapped again, and the caller's own abort is re-thrown as itself
 * (SPEC §13): the `signal.reason` of the call's own `signal` (`abort` for protobuf-ts) once it has
 * aborted, else the abort the transport reported. The wrapper is a view of the client: properties
 * that are not methods read and write through to it, methods keep their identity
 * (`wrapped.getSandbox === wrapped.getSandbox`), and `this` inside a method is the original client.
 *
 * Every shape a method can return reaches the caller working, its failures mapped: a callback
 * whose error argument is falsy (`0`, `false`) succeeds, as in Node; an async generator keeps
 * `next`, `return` and `throw`; an iterator may throw synchronously from `next()` or `return()`, or
 * answer with a plain `{ value, done }`; a thenable that is not a plain promise (a promise with
 * extra members such as `cancel`, a lazy thenable, one whose `then` getter throws) is handed over
 * as a view that keeps its members and settles when awaited; an object that cannot be patched (a
 * sealed or non-extensible stream, a frozen protobuf-ts call or `responses`) is handed over as a
 * view that shows its own members, with `instanceof` intact, and maps what it can: an `error`
 * listener added through the view, `for await` over it, the call's promises and stream.
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
  return viewOf(source, read) as T;
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
 * assignable to nice-grpc's `ClientMiddleware`, so it can be added to any typed client factory
 * (`createClientFactory().use(...)`, also after middleware with call options of its own) or
 * listed in a `ClientMiddleware[]` without a cast.
 *
 * `options` (nice-grpc's `CallOptions`, read as {@link NiceGrpcCallOptions}) is typed as a bare
 * `object` on purpose: `ClientFactory.use` infers the call options a middleware adds from the
 * members of this parameter's type, and would make `signal`, `onHeader` and `onTrailer` required
 * of every call of the client (TS2322 on a factory that already has call options).
 */
export type NiceGrpcClientMiddleware = <Request, Response>(
  call: NiceGrpcMiddlewareCall<Request, Response>,
  options: object,
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
 * status (`reason`, `retryDelay`, `requestId`, ...). The caller's own abort is re-thrown as the
 * `reason` of the call's `signal` (SPEC §13); other errors pass through unchanged.
 *
 * `operation` is the method's name as the client spells it (`getSandbox`, from the path's
 * `GetSandbox`). Works for unary and streaming calls; attach it to the client factory. nice-grpc
 * runs the middleware added last outermost: add it after a retrying middleware, so the error the
 * caller gets describes the last attempt (only that attempt's headers and trailers are kept).
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
    given: object,
  ): AsyncGenerator<Response, NiceGrpcCallResult<Response>, undefined> {
    const options = given as NiceGrpcCallOptions;
    let header: NiceGrpcMetadata | undefined;
    let trailer: NiceGrpcMetadata | undefined;
    try {
      return yield* call.next(call.request, {
        ...options,
        // A retrying middleware further in calls these once per attempt, and a failure sent
        // without a response (trailers only) has no headers: only the headers of the attempt
        // whose trailers arrive last may describe the error.
        onHeader(received: NiceGrpcMetadata) {
          header = received;
          trailer = undefined;
          options.onHeader?.(received);
        },
        onTrailer(received: NiceGrpcMetadata) {
          if (trailer !== undefined) header = undefined;
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
