/**
 * `withErrorMapping` (SPEC §15) under attack: every shape a client method can hand back — a
 * thenable whose `then` getter throws, a promise with extra members, a lazy thenable, an async
 * generator, an iterator that throws synchronously or answers with plain `{ value, done }`, a
 * callback called with a falsy error, a non-extensible stream, a frozen call — reaches the caller
 * working, its failures mapped. Where a real client makes the shape (a sealed grpc-js stream, a
 * frozen protobuf-ts call), the call goes to a real server on 127.0.0.1; the shapes no transport
 * makes by itself are built here, each beside the premise that the raw shape works unwrapped.
 */
import { Readable } from "node:stream";
import type * as grpc from "@grpc/grpc-js";
import {
  type RpcInterceptor,
  type RpcOutputStream,
  type RpcOutputStreamController,
  ServerStreamingCall,
  UnaryCall,
} from "@protobuf-ts/runtime-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ERROR_DOMAIN,
  fromGrpcStatus,
  isSandboxSdkError,
  Reason,
  SandboxNotFoundError,
  SandboxNotRunningError,
  type SandboxSdkError,
  withErrorMapping,
} from "../../src/index.js";
import { toServiceError } from "../../src/testing/index.js";
import { type GrpcJsClient, type GrpcJsServer, startGrpcJsServer } from "../support/transports/grpc-js.js";
import { type NiceGrpcServer, startNiceGrpcServer } from "../support/transports/nice-grpc.js";
import { protobufTsClients } from "../support/transports/protobuf-ts.js";
import {
  answers,
  type ExecOutput,
  type ExecRequest,
  type Failure,
  failWith,
  rejection,
  scripted,
  succeed,
} from "../support/transports/script.js";

const NOT_FOUND: Failure = {
  code: 5,
  message: "no sandbox sbx-1",
  details: [{ type: "ErrorInfo", reason: Reason.SANDBOX_NOT_FOUND, domain: ERROR_DOMAIN, metadata: {} }],
};

const NOT_RUNNING: Failure = {
  code: 9,
  message: "sandbox sbx-1 is stopped",
  details: [
    { type: "ErrorInfo", reason: Reason.SANDBOX_NOT_RUNNING, domain: ERROR_DOMAIN, metadata: {} },
    { type: "RetryInfo", retryDelay: 1500 },
  ],
};

const GET = { sandboxId: "sbx-1" };
const EXEC: ExecRequest = { sandboxId: "sbx-1", command: ["echo", "one", "two"] };
const text = new TextDecoder();

/** A failure as grpc-js reports it: an `Error` with `code`, `details` and the status in `metadata`. */
function serviceError(failure: Failure = NOT_FOUND): Error {
  return Object.assign(new Error(`${failure.code} ${failure.message}`), toServiceError(failure));
}

/** Every field a mapped error exposes (SPEC §2), in comparable form. */
function fields(error: SandboxSdkError) {
  return {
    className: error.constructor.name,
    message: error.message,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    details: error.details,
    requestId: error.requestId,
  };
}

/** `actual` is exactly what `fromGrpcStatus` makes of `raw` for the method `operation`. */
function expectMapped(actual: unknown, raw: unknown, operation: string): SandboxSdkError {
  expect(isSandboxSdkError(actual)).toBe(true);
  const mapped = actual as SandboxSdkError;
  expect(mapped.cause).toBe(raw);
  expect(fields(mapped)).toEqual(fields(fromGrpcStatus(raw, { operation })));
  return mapped;
}

/** What an async iterable yields, then what it throws (if anything). */
async function consume<T>(iterable: AsyncIterable<T>, stopAfter = Number.POSITIVE_INFINITY) {
  const items: T[] = [];
  try {
    for await (const item of iterable) {
      items.push(item);
      if (items.length >= stopAfter) break;
    }
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined as unknown };
}

/** What calling `body` throws synchronously (`undefined` when it does not). */
function thrownBy(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A client with the one method `getSandbox` that returns `outcome`. */
const returning = (outcome: unknown) => ({ getSandbox: (_request?: unknown): unknown => outcome });

// ---------------------------------------------------------------------------------------------
// Thenables
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on a method that returns a thenable", () => {
  it("maps what a throwing `then` getter throws when the result is awaited, and throws nothing at the call", async () => {
    const raw = serviceError();
    const outcome = {
      get then(): never {
        throw raw;
      },
    };
    // The premise: awaiting the raw result rejects with the getter's error; the call itself does not throw.
    expect(await rejection(returning(outcome).getSandbox() as PromiseLike<unknown>)).toBe(raw);
    const wrapped = withErrorMapping(returning(outcome));
    let result: unknown;
    expect(thrownBy(() => (result = wrapped.getSandbox(GET)))).toBeUndefined();
    expectMapped(await rejection(result as PromiseLike<unknown>), raw, "getSandbox");
  });

  it("maps what a thenable's `then` throws synchronously", async () => {
    const raw = serviceError();
    const outcome = {
      then(): never {
        throw raw;
      },
    };
    expect(await rejection(returning(outcome).getSandbox() as PromiseLike<unknown>)).toBe(raw);
    const wrapped = withErrorMapping(returning(outcome));
    let result: unknown;
    expect(thrownBy(() => (result = wrapped.getSandbox(GET)))).toBeUndefined();
    expectMapped(await rejection(result as PromiseLike<unknown>), raw, "getSandbox");
  });

  it("resolves a thenable whose `then` returns nothing with its value, and maps its rejection", async () => {
    const sandbox = answers.getSandbox(GET);
    // A minimal thenable: it settles through the callbacks and returns nothing, as Promises/A+ allows.
    const resolving = {
      then: (resolve: (value: unknown) => void) => void setTimeout(() => resolve(sandbox)),
    };
    expect(await (returning(resolving).getSandbox() as PromiseLike<unknown>)).toBe(sandbox);
    expect(await (withErrorMapping(returning(resolving)).getSandbox(GET) as PromiseLike<unknown>)).toBe(
      sandbox,
    );

    const raw = serviceError();
    const rejecting = { then: (_: unknown, reject: (error: unknown) => void) => void reject(raw) };
    const result = withErrorMapping(returning(rejecting)).getSandbox(GET) as PromiseLike<unknown>;
    expectMapped(await rejection(result), raw, "getSandbox");
  });

  it("does not start a lazy thenable until the caller awaits it", async () => {
    const sandbox = answers.getSandbox(GET);
    let started = 0;
    // A lazy request (as a query builder makes): `then` sends it.
    const lazy = {
      then(resolve: (value: unknown) => void) {
        started++;
        resolve(sandbox);
      },
    };
    const result = withErrorMapping(returning(lazy)).getSandbox(GET) as PromiseLike<unknown>;
    await new Promise((resolve) => setTimeout(resolve));
    expect(started).toBe(0);
    expect(await result).toBe(sandbox);
    expect(started).toBe(1);
  });

  it("keeps a promise's extra members (cancel), called on the promise itself", async () => {
    const raw = serviceError();
    const cancelled: unknown[] = [];
    let fail: (error: unknown) => void = () => {};
    const pending = new Promise((_, reject) => {
      fail = reject;
    });
    const promise = Object.assign(pending, {
      requestId: "req-1",
      cancel(this: unknown, reason: string) {
        cancelled.push([reason, this === promise]);
        fail(raw);
      },
    });
    const wrapped = withErrorMapping(returning(promise));
    const call = wrapped.getSandbox(GET) as typeof promise;
    expect(call).toBeInstanceOf(Promise);
    expect(call.requestId).toBe("req-1");
    call.cancel("caller gave up");
    expect(cancelled).toEqual([["caller gave up", true]]);
    expectMapped(await rejection(call), raw, "getSandbox");
    expectMapped(await call.catch((error: unknown) => error), raw, "getSandbox");
  });

  it("keeps the members of a thenable class with private state, and its success untouched", async () => {
    const sandbox = answers.getSandbox(GET);
    class Cancellable implements PromiseLike<unknown> {
      readonly #promise: Promise<unknown>;
      #cancelled = false;
      constructor(value: unknown) {
        this.#promise = Promise.resolve(value);
      }
      then<A, B>(
        onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
        onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        return this.#promise.then(onFulfilled, onRejected);
      }
      cancel(): boolean {
        this.#cancelled = true;
        return this.#cancelled;
      }
    }
    const call = withErrorMapping(returning(new Cancellable(sandbox))).getSandbox(GET) as Cancellable;
    expect(call).toBeInstanceOf(Cancellable);
    expect(call.cancel()).toBe(true);
    expect(await call).toBe(sandbox);
  });

  it("hands on a plain promise's value as the very object the client resolved with", async () => {
    const sandbox = answers.getSandbox(GET);
    const wrapped = withErrorMapping({ getSandbox: async (_request: unknown) => sandbox });
    expect(await wrapped.getSandbox(GET)).toBe(sandbox);
  });
});

// ---------------------------------------------------------------------------------------------
// Async iterables and iterators
// ---------------------------------------------------------------------------------------------

/** A stream of `items` whose iterator is built by `iterator` (a test's hostile step). */
function streamOf(iterator: () => AsyncIterator<unknown> | object) {
  return { exec: (_request?: unknown) => ({ [Symbol.asyncIterator]: iterator }) };
}

const OUTPUTS: ExecOutput[] = answers.exec(EXEC);

describe("withErrorMapping on a method that returns an async iterable", () => {
  it("takes an iterator whose next() answers with a plain { value, done }, as for await does", async () => {
    const plainSteps = () => {
      let index = 0;
      return {
        next: () =>
          index < OUTPUTS.length
            ? { value: OUTPUTS[index++], done: false }
            : { value: undefined, done: true },
      };
    };
    const raw = await consume(streamOf(plainSteps).exec() as AsyncIterable<unknown>);
    expect(raw).toEqual({ items: OUTPUTS, error: undefined });
    const adapted = await consume(
      withErrorMapping(streamOf(plainSteps)).exec(EXEC) as AsyncIterable<unknown>,
    );
    expect(adapted.error).toBeUndefined();
    expect(adapted.items).toHaveLength(OUTPUTS.length);
    for (const [index, item] of adapted.items.entries()) expect(item).toBe(OUTPUTS[index]);
  });

  it("maps what an iterator's next() throws synchronously, after the messages before it", async () => {
    const raw = serviceError(NOT_RUNNING);
    const throwingSecond = () => {
      let index = 0;
      return {
        next: () => {
          if (index === 1) throw raw;
          return Promise.resolve({ value: OUTPUTS[index++], done: false });
        },
      };
    };
    expect((await consume(streamOf(throwingSecond).exec() as AsyncIterable<unknown>)).error).toBe(raw);
    const adapted = await consume(
      withErrorMapping(streamOf(throwingSecond)).exec(EXEC) as AsyncIterable<unknown>,
    );
    expect(adapted.items).toEqual([OUTPUTS[0]]);
    expect(expectMapped(adapted.error, raw, "exec")).toBeInstanceOf(SandboxNotRunningError);
  });

  it("maps what an iterator's return() throws when the caller breaks out of for await", async () => {
    const raw = serviceError(NOT_RUNNING);
    const throwingReturn = () => ({
      next: () => Promise.resolve({ value: OUTPUTS[0], done: false }),
      return: (): never => {
        throw raw;
      },
    });
    expect((await consume(streamOf(throwingReturn).exec() as AsyncIterable<unknown>, 1)).error).toBe(raw);
    const adapted = await consume(
      withErrorMapping(streamOf(throwingReturn)).exec(EXEC) as AsyncIterable<unknown>,
      1,
    );
    expect(adapted.items).toEqual([OUTPUTS[0]]);
    expectMapped(adapted.error, raw, "exec");
  });

  it("maps what opening the stream throws", async () => {
    const raw = serviceError();
    const refusing = (): never => {
      throw raw;
    };
    expect((await consume(streamOf(refusing).exec() as AsyncIterable<unknown>)).error).toBe(raw);
    const adapted = await consume(withErrorMapping(streamOf(refusing)).exec(EXEC) as AsyncIterable<unknown>);
    expectMapped(adapted.error, raw, "exec");
  });

  it("keeps an async generator's next, return and throw, and hands on its very messages", async () => {
    const raw = serviceError(NOT_RUNNING);
    const client = {
      async *exec(_request: ExecRequest): AsyncGenerator<ExecOutput, void, undefined> {
        yield* OUTPUTS.slice(0, 2);
        throw raw;
      },
    };
    const stream = withErrorMapping(client).exec(EXEC);
    expect(stream[Symbol.asyncIterator]()).toBe(stream);
    expect((await stream.next()).value).toBe(OUTPUTS[0]);
    expect((await stream.next()).value).toBe(OUTPUTS[1]);
    expectMapped(await rejection(stream.next()), raw, "exec");

    const ended = withErrorMapping(client).exec(EXEC);
    await ended.next();
    expect(await ended.return(undefined)).toEqual({ value: undefined, done: true });
    const thrown = withErrorMapping(client).exec(EXEC);
    await thrown.next();
    const mine = new Error("stop");
    // The caller's own error, thrown into the generator and out again, is no failure of the call.
    expect(await rejection(thrown.throw(mine))).toBe(mine);
  });
});

describe("withErrorMapping on an SDK layer whose methods are async generators over a nice-grpc client", () => {
  let server: NiceGrpcServer;

  beforeAll(async () => {
    server = await startNiceGrpcServer(succeed);
  });
  afterAll(() => server.close());

  it("keeps next() and return(), stepping and failing as the raw generator does", async () => {
    const nice = server.clients().sandbox;
    const layer = {
      async *exec(request: ExecRequest): AsyncGenerator<ExecOutput, void, undefined> {
        yield* nice.exec(request);
      },
    };
    const wrapped = withErrorMapping(layer);
    const reference = layer.exec(EXEC);
    const stream = wrapped.exec(EXEC);
    expect(await stream.next()).toEqual(await reference.next());
    expect(await stream.return(undefined)).toEqual(await reference.return(undefined));
    expect((await stream.next()).done).toBe(true);

    const [failed, rawFailure] = await scripted(
      server,
      failWith({ ...NOT_RUNNING, afterMessages: 1 }),
      async () => {
        const adapted = wrapped.exec(EXEC);
        const original = layer.exec(EXEC);
        await Promise.all([adapted.next(), original.next()]);
        return Promise.all([rejection(adapted.next()), rejection(original.next())]);
      },
    );
    expect(fields(failed as SandboxSdkError)).toEqual(
      fields(fromGrpcStatus(rawFailure, { operation: "exec" })),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on a method that reports to a callback", () => {
  it.each([0, false, "", Number.NaN])(
    "takes a falsy error argument (%s) for success, as Node does, and hands on every argument as it came",
    async (falsy) => {
      const sandbox = answers.getSandbox(GET);
      const client = {
        getSandbox(
          _request: unknown,
          callback: (error: unknown, response?: unknown, extra?: unknown) => void,
        ) {
          setImmediate(() => callback(falsy, sandbox, "extra"));
        },
      };
      const received = await new Promise<unknown[]>((resolve) => {
        withErrorMapping(client).getSandbox(GET, (...args: unknown[]) => resolve(args));
      });
      expect(received).toHaveLength(3);
      expect(received[0]).toBe(falsy);
      expect(received[1]).toBe(sandbox);
      expect(received[2]).toBe("extra");
    },
  );

  it("maps a truthy error argument", async () => {
    const raw = serviceError();
    const client = {
      getSandbox(_request: unknown, callback: (error: unknown) => void) {
        setImmediate(() => callback(raw));
      },
    };
    const error = await new Promise((resolve) => withErrorMapping(client).getSandbox(GET, resolve));
    expect(expectMapped(error, raw, "getSandbox")).toBeInstanceOf(SandboxNotFoundError);
  });
});

// ---------------------------------------------------------------------------------------------
// Objects that cannot be patched, from real clients
// ---------------------------------------------------------------------------------------------

/** The messages and errors a stream delivers to listeners, up to its status. */
function collect(stream: NodeJS.EventEmitter): Promise<{ messages: unknown[]; errors: unknown[] }> {
  return new Promise((resolve) => {
    const messages: unknown[] = [];
    const errors: unknown[] = [];
    stream.on("data", (message: unknown) => messages.push(message));
    stream.on("error", (error: unknown) => errors.push(error));
    stream.on("status", () => resolve({ messages, errors }));
  });
}

describe("withErrorMapping on a grpc-js stream that cannot be extended", () => {
  let server: GrpcJsServer;
  let grpcClient: GrpcJsClient;

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
    grpcClient = server.sandboxClient();
  });
  afterAll(() => server.close());

  /**
   * A client whose `exec` hands back grpc-js's stream sealed by `seal` (a layer that watches the
   * call's status, then locks the object): such a stream works, but takes no new property.
   */
  const sealing = (seal: <T extends object>(stream: T) => T) => ({
    exec(request: ExecRequest): grpc.ClientReadableStream<ExecOutput> {
      const stream = grpcClient.exec?.(request) as grpc.ClientReadableStream<ExecOutput>;
      stream.on("status", () => {});
      return seal(stream);
    },
  });

  it.each([
    ["Object.preventExtensions", Object.preventExtensions],
    ["Object.seal", Object.seal],
  ] as const)("passes a stream locked by %s through working, its errors mapped", async (_, seal) => {
    const client = sealing(seal);
    // The premise: the locked stream works unwrapped.
    const healthy = await consume(client.exec(EXEC));
    expect(healthy.items.map((output) => text.decode(output.stdout))).toEqual(EXEC.command);
    const wrapped = withErrorMapping(client);
    const [events, iterated, raw] = await scripted(
      server,
      failWith({ ...NOT_RUNNING, afterMessages: 1 }),
      () =>
        Promise.all([collect(wrapped.exec(EXEC)), consume(wrapped.exec(EXEC)), collect(client.exec(EXEC))]),
    );
    expect(events.messages).toEqual(raw.messages);
    expect(events.messages).toHaveLength(1);
    expect(iterated.items).toEqual(raw.messages);
    expect(events.errors).toHaveLength(1);
    const mapped = events.errors[0] as SandboxSdkError;
    expect(isSandboxSdkError(mapped)).toBe(true);
    expect(fields(mapped)).toEqual(fields(fromGrpcStatus(raw.errors[0], { operation: "exec" })));
    expect(fields(iterated.error as SandboxSdkError)).toEqual(fields(mapped));
    const adapted = await consume(wrapped.exec(EXEC));
    expect(adapted).toEqual(healthy);
  });

  it("shows the stream's own members, calls them on the stream, and removes an error listener it added", async () => {
    const wrapped = withErrorMapping(sealing(Object.preventExtensions));
    const stream = wrapped.exec(EXEC);
    expect(stream).toBeInstanceOf(Readable);
    expect(typeof stream.getPeer()).toBe("string");
    expect((await consume(stream)).items).toHaveLength(EXEC.command.length);
    const outcome = await scripted(server, failWith(NOT_RUNNING), async () => {
      const call = wrapped.exec(EXEC);
      const first: unknown[] = [];
      const second: unknown[] = [];
      const dropped = (error: unknown) => first.push(error);
      // `on` returns the view, so a chained listener is mapped too.
      expect(call.on("error", dropped).on("error", (error: unknown) => second.push(error))).toBe(call);
      call.off("error", dropped);
      call.resume();
      await new Promise((resolve) => call.on("status", resolve));
      return { first, second };
    });
    expect(outcome.first).toEqual([]);
    expect(outcome.second).toHaveLength(1);
    expect(isSandboxSdkError(outcome.second[0])).toBe(true);
  });
});

/**
 * A read-only face of a protobuf-ts response stream, as a library might hand it out: frozen, its
 * state kept by the stream behind it, with the controller's own methods.
 */
class FrozenResponses<T extends object> implements RpcOutputStream<T> {
  readonly #inner: RpcOutputStreamController<T>;
  constructor(inner: RpcOutputStreamController<T>) {
    this.#inner = inner;
    Object.freeze(this);
  }
  onNext(callback: Parameters<RpcOutputStream<T>["onNext"]>[0]) {
    return this.#inner.onNext(callback);
  }
  onMessage(callback: (message: T) => void) {
    return this.#inner.onMessage(callback);
  }
  onError(callback: (error: Error) => void) {
    return this.#inner.onError(callback);
  }
  onComplete(callback: () => void) {
    return this.#inner.onComplete(callback);
  }
  notifyError(error: Error): void {
    this.#inner.notifyError(error);
  }
  [Symbol.asyncIterator]() {
    return this.#inner[Symbol.asyncIterator]();
  }
}

describe("withErrorMapping on a frozen protobuf-ts call", () => {
  let server: GrpcJsServer;

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
  });
  afterAll(() => server.close());

  /** Interceptors that freeze the unary calls and give server streams a frozen face. */
  const freezing: RpcInterceptor = {
    interceptUnary: (next, method, input, options) =>
      Object.freeze(next(method, input, options)) as UnaryCall<object, object>,
    interceptServerStreaming(next, method, input, options) {
      const call = next(method, input, options);
      const responses = new FrozenResponses(call.responses as RpcOutputStreamController<object>);
      const frozen = Object.freeze(
        new ServerStreamingCall(
          call.method,
          call.requestHeaders,
          call.request,
          call.headers,
          responses,
          call.status,
          call.trailers,
        ),
      );
      return frozen as ServerStreamingCall<object, object>;
    },
  };

  it("maps a frozen unary call's promises, and resolves it as the raw call does", async () => {
    const clients = protobufTsClients(server.address, { interceptors: [freezing] });
    try {
      const raw = clients.sandbox;
      const wrapped = withErrorMapping(raw);
      // The premise: the frozen call works unwrapped.
      const original = await raw.getSandbox(GET);
      expect(original.response).toEqual(answers.getSandbox(GET));
      const call = wrapped.getSandbox(GET);
      expect(call).toBeInstanceOf(UnaryCall);
      const finished = await call;
      expect(finished.response).toBe(await call.response);
      expect(finished.response).toEqual(original.response);

      const [failed, reference] = await scripted(server, failWith(NOT_FOUND), async () => {
        const adapted = wrapped.getSandbox(GET);
        const rawCall = raw.getSandbox(GET);
        await rejection(rawCall.status);
        return [adapted, await rejection(rawCall.response)] as const;
      });
      const mapped = await rejection(failed.response);
      expect(fields(mapped as SandboxSdkError)).toEqual(
        fields(fromGrpcStatus(reference, { operation: "getSandbox" })),
      );
      expect(mapped).toBeInstanceOf(SandboxNotFoundError);
      expect(await rejection(failed.status)).toBe(mapped);
      expect(await rejection(failed)).toBe(mapped);
    } finally {
      clients.close();
    }
  });

  it("maps a server stream whose frozen responses take no patch, and passes its messages through", async () => {
    const clients = protobufTsClients(server.address, { interceptors: [freezing] });
    try {
      const raw = clients.sandbox;
      const wrapped = withErrorMapping(raw);
      const premise = await consume(raw.exec(EXEC).responses);
      expect(premise.items.map((output) => text.decode(output.stdout))).toEqual(EXEC.command);
      const healthy = await consume(wrapped.exec(EXEC).responses);
      expect(healthy).toEqual(premise);

      const outcome = await scripted(server, failWith({ ...NOT_RUNNING, afterMessages: 1 }), async () => {
        const call = wrapped.exec(EXEC);
        let onError: unknown;
        call.responses.onError((error) => {
          onError = error;
        });
        const iterated = await consume(call.responses);
        const reference = await consume(raw.exec(EXEC).responses);
        return { onError, iterated, reference, status: await rejection(call.status) };
      });
      expect(outcome.iterated.items).toEqual(outcome.reference.items);
      expect(outcome.iterated.items).toHaveLength(1);
      const mapped = outcome.iterated.error as SandboxSdkError;
      expect(fields(mapped)).toEqual(fields(fromGrpcStatus(outcome.reference.error, { operation: "exec" })));
      expect(mapped).toBeInstanceOf(SandboxNotRunningError);
      expect(outcome.onError).toBe(mapped);
      expect(outcome.status).toBe(mapped);
    } finally {
      clients.close();
    }
  });
});
