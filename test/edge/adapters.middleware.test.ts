/**
 * `niceGrpcErrorMiddleware` (SPEC §15) on real nice-grpc clients of a real nice-grpc server on
 * 127.0.0.1: the trailers nice-grpc drops reach the mapped error, for unary and streaming calls;
 * the caller's abort comes back as itself; the middleware is a `ClientMiddleware` of nice-grpc's own
 * types; and it works in a middleware chain like Modal's JS SDK's (retry and timeout middleware
 * inside it, as Modal appends an SDK user's `grpcMiddleware` after its own).
 */
import {
  type CallContext,
  type CallOptions,
  ClientError,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  createChannel,
  createClientFactory,
  createServer,
  Metadata,
  ServerError,
  Status,
} from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  ERROR_DOMAIN,
  fromGrpcStatus,
  isSandboxSdkError,
  type MappingContext,
  niceGrpcErrorMiddleware,
  parseStatusDetails,
  Reason,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
} from "../../src/index.js";
import * as modal from "../../src/presets/modal/index.js";
import {
  type NiceGrpcServer,
  niceSandboxService,
  startNiceGrpcServer,
} from "../support/transports/nice-grpc.js";
import {
  answers,
  type ExecRequest,
  type Failure,
  failWith,
  type GetSandboxRequest,
  rejection,
  type Sandbox,
  scripted,
  statusBlob,
  succeed,
} from "../support/transports/script.js";

const FAILURE: Failure = {
  code: 14,
  message: "runner r-1 is draining",
  details: [
    {
      type: "ErrorInfo",
      reason: Reason.RUNNER_UNAVAILABLE,
      domain: ERROR_DOMAIN,
      metadata: { runner: "r-1" },
    },
    { type: "RetryInfo", retryDelay: 2500 },
    { type: "RequestInfo", requestId: "req-99", servingData: "" },
  ],
};

const GET = { sandboxId: "sbx-1" };
const EXEC: ExecRequest = { sandboxId: "sbx-1", command: ["echo", "one", "two"] };
const fromRequest = (_method: string, request: unknown): MappingContext => ({
  sandboxId: (request as { sandboxId?: string } | undefined)?.sandboxId,
});

/** What the failure's status says, read back by the decoder from the bytes the server sends. */
const sent = parseStatusDetails(statusBlob(FAILURE));

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

let server: NiceGrpcServer;

beforeAll(async () => {
  server = await startNiceGrpcServer(succeed);
});
afterAll(() => server.close());

describe("niceGrpcErrorMiddleware", () => {
  it("gives the mapped error the trailer's reason, retry delay and details, which a plain ClientError lacks", async () => {
    const plain = server.clients().sandbox;
    const mapping = server.clientsWith(niceGrpcErrorMiddleware(fromRequest)).sandbox;
    const context: MappingContext = { operation: "getSandbox", sandboxId: GET.sandboxId };
    const [thrown, raw] = await scripted(server, failWith(FAILURE), () =>
      Promise.all([rejection(mapping.getSandbox(GET)), rejection(plain.getSandbox(GET))]),
    );
    // The premise: nice-grpc alone drops the trailers.
    const unaided = fromGrpcStatus(raw, context);
    expect(unaided.reason).toBeUndefined();
    expect(unaided.retryDelay).toBeUndefined();
    expect(unaided.details).toEqual([]);

    expect(isSandboxSdkError(thrown)).toBe(true);
    const mapped = thrown as SandboxSdkError;
    expect(mapped.reason).toBe(sent?.reason);
    expect(mapped.domain).toBe(sent?.domain);
    expect(mapped.retryDelay).toBe(sent?.retryDelay);
    expect(mapped.requestId).toBe(sent?.requestId);
    expect(mapped.details).toEqual(sent?.details);
    expect(mapped.grpcCode).toBe(FAILURE.code);
    // Exactly what fromGrpcStatus makes of the ClientError once it holds the trailers.
    const cause = mapped.cause as ClientError & { metadata?: unknown };
    expect(cause.name).toBe((raw as ClientError).name);
    expect(fields(mapped)).toEqual(fields(fromGrpcStatus(cause, context)));
  });

  it("hands the trailers to the ClientError as a non-enumerable metadata property", async () => {
    const mapping = server.clientsWith(niceGrpcErrorMiddleware()).sandbox;
    const thrown = await scripted(server, failWith(FAILURE), () => rejection(mapping.getSandbox(GET)));
    const cause = (thrown as SandboxSdkError).cause as ClientError & {
      metadata: { get(key: string): unknown };
    };
    expect(Object.keys(cause)).not.toContain("metadata");
    expect(Object.getOwnPropertyDescriptor(cause, "metadata")?.enumerable).toBe(false);
    expect(parseStatusDetails(cause.metadata.get(STATUS_DETAILS_KEY) as Uint8Array)?.details).toEqual(
      sent?.details,
    );
  });

  it("names the operation after the client's method and reads the context from the request", async () => {
    const seen: [string, unknown][] = [];
    const mapping = server.clientsWith(
      niceGrpcErrorMiddleware((method, request) => {
        seen.push([method, request]);
        return fromRequest(method, request);
      }),
    ).sandbox;
    const thrown = await scripted(server, failWith(FAILURE), () => rejection(mapping.getSandbox(GET)));
    expect(seen).toEqual([["getSandbox", GET]]);
    const mapped = thrown as SandboxSdkError;
    expect(fields(mapped)).toEqual(
      fields(fromGrpcStatus(mapped.cause, { operation: "getSandbox", sandboxId: GET.sandboxId })),
    );
  });

  it("maps a server stream's failure after the messages before it", async () => {
    const mapping = server.clientsWith(niceGrpcErrorMiddleware(fromRequest)).sandbox;
    const received: Uint8Array[] = [];
    const thrown = await scripted(server, failWith({ ...FAILURE, afterMessages: 2 }), async () => {
      try {
        for await (const output of mapping.exec(EXEC)) received.push(output.stdout);
      } catch (error) {
        return error;
      }
      return undefined;
    });
    expect(received.map((bytes) => new TextDecoder().decode(bytes))).toEqual(EXEC.command.slice(0, 2));
    const mapped = thrown as SandboxSdkError;
    expect(isSandboxSdkError(mapped)).toBe(true);
    expect(mapped.reason).toBe(sent?.reason);
    expect(mapped.retryDelay).toBe(sent?.retryDelay);
    expect(fields(mapped)).toEqual(
      fields(fromGrpcStatus(mapped.cause, { operation: "exec", sandboxId: EXEC.sandboxId })),
    );
  });

  it("still calls the caller's onTrailer", async () => {
    const mapping = server.clientsWith(niceGrpcErrorMiddleware()).sandbox;
    const trailers: unknown[] = [];
    await scripted(server, failWith(FAILURE), () =>
      rejection(
        mapping.getSandbox(GET, { onTrailer: (trailer) => trailers.push(trailer.get(STATUS_DETAILS_KEY)) }),
      ),
    );
    expect(trailers).toHaveLength(1);
    expect(parseStatusDetails(trailers[0] as Uint8Array)?.details).toEqual(sent?.details);
  });

  it("passes successes through as the plain client gets them", async () => {
    const plain = server.clients().sandbox;
    const mapping = server.clientsWith(niceGrpcErrorMiddleware()).sandbox;
    expect(await mapping.getSandbox(GET)).toEqual(await plain.getSandbox(GET));
    expect(await mapping.getSandbox(GET)).toEqual(answers.getSandbox(GET));
    const outputs: unknown[] = [];
    for await (const output of mapping.exec(EXEC)) outputs.push(output);
    const reference: unknown[] = [];
    for await (const output of plain.exec(EXEC)) reference.push(output);
    expect(outputs).toEqual(reference);
  });

  it("re-throws the reason of the caller's signal for a call aborted in flight", async () => {
    const plain = server.clients().sandbox;
    const mapping = server.clientsWith(niceGrpcErrorMiddleware(fromRequest)).sandbox;
    /** Calls `client` with a signal that the server aborts as the call reaches it. */
    const abortedInFlight = (client: typeof plain, reason: unknown) => {
      const abort = new AbortController();
      return scripted(
        server,
        () => {
          abort.abort(reason);
          return undefined;
        },
        () => rejection(client.getSandbox(GET, { signal: abort.signal })),
      );
    };
    const reason = new Error("the user closed the page");
    // As the plain client does: nice-grpc throws the signal's reason itself.
    expect(await abortedInFlight(plain, reason)).toBe(reason);
    expect(await abortedInFlight(mapping, reason)).toBe(reason);
  });

  it("re-throws the reason of a signal aborted before the call, and of one aborted mid-stream", async () => {
    const mapping = server.clientsWith(niceGrpcErrorMiddleware()).sandbox;
    const early = new AbortController();
    const reason = { why: "shutting down" };
    early.abort(reason);
    expect(await rejection(mapping.getSandbox(GET, { signal: early.signal }))).toBe(reason);

    const midway = new AbortController();
    const received: unknown[] = [];
    let thrown: unknown;
    try {
      for await (const output of mapping.exec(EXEC, { signal: midway.signal })) {
        received.push(output);
        midway.abort(reason);
      }
    } catch (error) {
      thrown = error;
    }
    expect(received).toHaveLength(1);
    expect(thrown).toBe(reason);
  });

  it("maps a CANCELLED that the server sends itself: no abort of the caller's", async () => {
    const cancelled: Failure = { code: Status.CANCELLED, message: "sandbox sbx-1 shut down" };
    const plain = server.clients().sandbox;
    const mapping = server.clientsWith(niceGrpcErrorMiddleware(fromRequest)).sandbox;
    const abort = new AbortController();
    const [thrown, raw] = await scripted(server, failWith(cancelled), () =>
      Promise.all([
        rejection(mapping.getSandbox(GET, { signal: abort.signal })),
        rejection(plain.getSandbox(GET)),
      ]),
    );
    expect(isSandboxSdkError(thrown)).toBe(true);
    const mapped = thrown as SandboxSdkError;
    expect(mapped.grpcCode).toBe(Status.CANCELLED);
    expect(fields(mapped)).toEqual(
      fields(fromGrpcStatus(raw, { operation: "getSandbox", sandboxId: GET.sandboxId })),
    );
  });

  it.each([
    ["beneath", "RichClientError"],
    ["above", "ClientError"],
  ] as const)(
    "works with errorDetailsClientMiddleware %s it, keeping every detail",
    async (place, causeName) => {
      const channel = createChannel(server.address);
      try {
        const factory =
          // nice-grpc runs the middleware attached last outermost.
          place === "beneath"
            ? createClientFactory()
                .use(errorDetailsClientMiddleware)
                .use(niceGrpcErrorMiddleware(fromRequest))
            : createClientFactory()
                .use(niceGrpcErrorMiddleware(fromRequest))
                .use(errorDetailsClientMiddleware);
        const client = factory.create(niceSandboxService, channel);
        const thrown = await scripted(server, failWith(FAILURE), () => rejection(client.getSandbox(GET)));
        const mapped = thrown as SandboxSdkError;
        expect(isSandboxSdkError(mapped)).toBe(true);
        // Whichever of the two saw the failure first, the mapped error is made once, with every detail.
        expect((mapped.cause as Error).name).toBe(causeName);
        expect(mapped.reason).toBe(sent?.reason);
        expect(mapped.retryDelay).toBe(sent?.retryDelay);
        expect(mapped.requestId).toBe(sent?.requestId);
      } finally {
        channel.close();
      }
    },
  );

  it("maps without the context when the context function throws", async () => {
    const mapping = server.clientsWith(
      niceGrpcErrorMiddleware(() => {
        throw new Error("context exploded");
      }),
    ).sandbox;
    const thrown = await scripted(server, failWith(FAILURE), () => rejection(mapping.getSandbox(GET)));
    const mapped = thrown as SandboxSdkError;
    expect(mapped.reason).toBe(sent?.reason);
    expect(fields(mapped)).toEqual(fields(fromGrpcStatus(mapped.cause, { operation: "getSandbox" })));
  });

  it("refuses a context that is neither an object nor a function", () => {
    expect(() => niceGrpcErrorMiddleware("sbx-1" as unknown as MappingContext)).toThrow(TypeError);
  });

  it("reads trailers given as nice-grpc Metadata like grpc-js Metadata", () => {
    // The structural contract the middleware relies on: fromGrpcStatus reads `metadata.get()`.
    const trailer = Metadata({ [STATUS_DETAILS_KEY]: statusBlob(FAILURE) });
    const error = Object.defineProperty(
      Object.assign(new Error("x"), { name: "ClientError", code: FAILURE.code, details: FAILURE.message }),
      "metadata",
      { value: trailer, enumerable: false },
    );
    expect(fromGrpcStatus(error).details).toEqual(sent?.details);
  });
});

// ---------------------------------------------------------------------------------------------
// Middleware of nice-grpc's own types, and a chain like Modal's SDK's
// ---------------------------------------------------------------------------------------------

/** The call options of {@link timeoutMiddleware}. */
type TimeoutOptions = { timeoutMs?: number };

/**
 * A timeout middleware in the manner of Modal's SDK: past `timeoutMs` it aborts the call and
 * throws a `ClientError` DEADLINE_EXCEEDED of its own; the caller's abort aborts the call too, so
 * what comes out of it is nice-grpc's abort of the inner call, not the caller's reason.
 */
const timeoutMiddleware: ClientMiddleware<TimeoutOptions> = async function* timeout<Request, Response>(
  call: ClientMiddlewareCall<Request, Response>,
  options: CallOptions & TimeoutOptions,
) {
  const { timeoutMs, signal, ...rest } = options;
  if (timeoutMs === undefined) return yield* call.next(call.request, options);
  const controller = new AbortController();
  // As Modal's does, the caller's abort aborts the inner call with no reason of its own.
  const handOn = () => controller.abort();
  signal?.addEventListener("abort", handOn);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    return yield* call.next(call.request, { ...rest, signal: controller.signal });
  } catch (error) {
    if (timedOut)
      throw new ClientError(call.method.path, Status.DEADLINE_EXCEEDED, `Timed out after ${timeoutMs}ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", handOn);
  }
};

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The call options of {@link retryMiddleware}. */
type RetryOptions = { retries?: number; delayMs?: number };

/**
 * A retrying middleware in the manner of Modal's SDK: a unary call that fails with a retryable
 * code is tried again after a wait the caller's signal cuts short; every attempt is handed the
 * caller's options, `onHeader` and `onTrailer` included.
 */
const retryMiddleware: ClientMiddleware<RetryOptions> = async function* retry<Request, Response>(
  call: ClientMiddlewareCall<Request, Response>,
  options: CallOptions & RetryOptions,
) {
  const { retries = 3, delayMs = 5, ...rest } = options;
  if (call.requestStream || call.responseStream) return yield* call.next(call.request, rest);
  const retryable: readonly Status[] = [Status.RESOURCE_EXHAUSTED, Status.UNAVAILABLE];
  for (let attempt = 0; ; attempt++) {
    try {
      return yield* call.next(call.request, rest);
    } catch (error) {
      if (!(error instanceof ClientError) || !retryable.includes(error.code) || attempt >= retries)
        throw error;
      await sleep(delayMs, rest.signal);
    }
  }
};

/** How the server of {@link startAnsweringServer} answers one `getSandbox` call. */
type Answer = (request: GetSandboxRequest, context: CallContext) => Promise<Sandbox>;

/**
 * A real nice-grpc server whose `getSandbox` calls take their answers, in turn, from `queue`
 * (then succeed): what a throttling, draining or hanging server does, headers sent or not.
 */
async function startAnsweringServer() {
  const queue: Answer[] = [];
  let calls = 0;
  const unimplemented = async (): Promise<never> => {
    throw new ServerError(Status.UNIMPLEMENTED, "not served here");
  };
  const answering = createServer();
  answering.add(niceSandboxService, {
    async getSandbox(request: GetSandboxRequest, context: CallContext) {
      calls++;
      const answer = queue.shift();
      return answer === undefined ? answers.getSandbox(request) : answer(request, context);
    },
    startSandbox: unimplemented,
    readFile: unimplemented,
    // biome-ignore lint/correctness/useYield: a stream this server does not serve.
    async *exec() {
      throw new ServerError(Status.UNIMPLEMENTED, "not served here");
    },
  });
  const address = `127.0.0.1:${await answering.listen("127.0.0.1:0")}`;
  const channel = createChannel(address);
  return {
    queue,
    calls: () => calls,
    channel,
    async close() {
      channel.close();
      await answering.shutdown();
    },
  };
}

/** A throttled attempt whose response headers went out first, with a retry hint. */
const throttledWithHint: Answer = async (_request, context) => {
  context.header.set("retry-after", "7");
  context.sendHeader();
  throw new ServerError(Status.RESOURCE_EXHAUSTED, "throttled, try again in 7 s");
};

/** A failure sent as trailers alone: no response headers, no retry hint. */
const draining: Answer = async () => {
  throw new ServerError(Status.UNAVAILABLE, "runner r-1 is draining");
};

/** A call the server never answers, until the client gives up on it. */
const hanging: Answer = (_request, context) =>
  new Promise((_, reject) =>
    context.signal.addEventListener("abort", () => reject(new ServerError(Status.CANCELLED, "client gone"))),
  );

describe("niceGrpcErrorMiddleware as nice-grpc's own ClientMiddleware", () => {
  it("adds to a typed client factory without a cast, also after middleware with call options, leaving every call option optional", async () => {
    const answering = await startAnsweringServer();
    try {
      // Modal's SDK takes an SDK user's middleware as a `ClientMiddleware[]` and adds each in turn.
      const userMiddleware: ClientMiddleware[] = [niceGrpcErrorMiddleware(fromRequest)];
      let factory = createClientFactory().use(retryMiddleware).use(timeoutMiddleware);
      for (const middleware of userMiddleware) factory = factory.use(middleware);
      // The same factory, with the middleware added straight away (it infers no call options).
      factory = createClientFactory()
        .use(retryMiddleware)
        .use(timeoutMiddleware)
        .use(niceGrpcErrorMiddleware());
      const client = factory.create(niceSandboxService, answering.channel);
      type Options = NonNullable<Parameters<typeof client.getSandbox>[1]>;
      expectTypeOf<{ timeoutMs: number }>().toExtend<Options>();
      expectTypeOf<{ retries: number }>().toExtend<Options>();
      expectTypeOf<Record<never, never>>().toExtend<Options>();
      expect(await client.getSandbox(GET)).toEqual(answers.getSandbox(GET));
      expect(await client.getSandbox(GET, { timeoutMs: 10_000, retries: 1 })).toEqual(
        answers.getSandbox(GET),
      );
      // Added first, before middleware with call options of their own.
      const inner = createClientFactory()
        .use(niceGrpcErrorMiddleware())
        .use(timeoutMiddleware)
        .create(niceSandboxService, answering.channel);
      expect(await inner.getSandbox(GET, { timeoutMs: 10_000 })).toEqual(answers.getSandbox(GET));
    } finally {
      await answering.close();
    }
  });
});

describe("niceGrpcErrorMiddleware in a middleware chain like Modal's SDK (Modal's preset)", () => {
  let answering: Awaited<ReturnType<typeof startAnsweringServer>>;
  /** Retry and timeout inside, the error middleware outermost, as Modal appends an SDK user's. */
  const modalClient = () =>
    createClientFactory()
      .use(retryMiddleware)
      .use(timeoutMiddleware)
      .use(modal.niceGrpcErrorMiddleware())
      .create(niceSandboxService, answering.channel);

  beforeAll(async () => {
    answering = await startAnsweringServer();
  });
  afterAll(() => answering.close());

  it("hands on the success of a call the retry middleware tried three times, untouched", async () => {
    const before = answering.calls();
    const plain = await createClientFactory().create(niceSandboxService, answering.channel).getSandbox(GET);
    answering.queue.push(throttledWithHint, draining);
    expect(await modalClient().getSandbox(GET)).toEqual(plain);
    // One plain call, then three attempts.
    expect(answering.calls() - before).toBe(4);
  });

  it("maps the failure of the last attempt once the retries run out, with that attempt's metadata alone", async () => {
    // The reference: the last attempt's failure, on its own.
    answering.queue.push(draining);
    const reference = await rejection(
      createClientFactory()
        .use(modal.niceGrpcErrorMiddleware())
        .create(niceSandboxService, answering.channel)
        .getSandbox(GET),
    );
    // The first attempt's headers carry a retry hint, which the last attempt's failure does not have.
    answering.queue.push(throttledWithHint);
    const hinted = await rejection(
      createClientFactory()
        .use(modal.niceGrpcErrorMiddleware())
        .create(niceSandboxService, answering.channel)
        .getSandbox(GET),
    );
    expect((hinted as SandboxSdkError).retryDelay).not.toBe((reference as SandboxSdkError).retryDelay);

    answering.queue.push(throttledWithHint, draining);
    const thrown = await rejection(modalClient().getSandbox(GET, { retries: 1 }));
    expect(thrown).toBeInstanceOf(modal.ServiceError);
    expect(fields(thrown as SandboxSdkError)).toEqual(fields(reference as SandboxSdkError));
  });

  it("re-throws the reason of the caller's signal when it aborts the retry's wait", async () => {
    const before = answering.calls();
    const abort = new AbortController();
    const reason = new Error("the user pressed Ctrl-C");
    answering.queue.push(async (request, context) => {
      abort.abort(reason);
      return throttledWithHint(request, context);
    });
    const thrown = await rejection(modalClient().getSandbox(GET, { signal: abort.signal, delayMs: 60_000 }));
    expect(thrown).toBe(reason);
    expect(answering.calls() - before).toBe(1);
  });

  it("re-throws the reason of the caller's signal when it aborts a call in flight through the timeout middleware, which loses it", async () => {
    const abort = new AbortController();
    const reason = new Error("the user pressed Ctrl-C");
    answering.queue.push((request, context) => {
      abort.abort(reason);
      return hanging(request, context);
    });
    expect(await rejection(modalClient().getSandbox(GET, { signal: abort.signal, timeoutMs: 60_000 }))).toBe(
      reason,
    );
  });

  it("maps the timeout middleware's own DEADLINE_EXCEEDED: a timeout, not the caller's abort", async () => {
    answering.queue.push(hanging);
    const thrown = await rejection(modalClient().getSandbox(GET, { timeoutMs: 50, retries: 0 }));
    expect(thrown).toBeInstanceOf(modal.ServiceError);
    const mapped = thrown as SandboxSdkError;
    expect(mapped.grpcCode).toBe(Status.DEADLINE_EXCEEDED);
    expect(mapped.cause).toBeInstanceOf(ClientError);
    expect(fields(mapped)).toEqual(fields(modal.fromGrpcStatus(mapped.cause, { operation: "getSandbox" })));
  });
});
