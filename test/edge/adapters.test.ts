/**
 * `withErrorMapping` (SPEC §15) against real clients of real servers on 127.0.0.1: grpc-js
 * (callbacks and the three stream kinds), protobuf-ts over `@protobuf-ts/grpc-transport`, connect-es
 * (Connect and gRPC protocols) and nice-grpc. Each failing call through the adapter must arrive as
 * exactly what `fromGrpcStatus` makes of the raw client's error for the same failure; each
 * succeeding call must give what the raw client gives.
 */
import { inspect } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import {
  RpcError,
  type RpcInterceptor,
  type RpcOutputStream,
  RpcOutputStreamController,
  ServerStreamingCall,
  UnaryCall,
} from "@protobuf-ts/runtime-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ERROR_DOMAIN,
  fromGrpcStatus,
  isSandboxSdkError,
  type MappingContext,
  Reason,
  SandboxNotFoundError,
  SandboxNotRunningError,
  type SandboxSdkError,
  withErrorMapping,
} from "../../src/index.js";
import { SandboxService as SandboxDefinition } from "../support/sandbox-service.js";
import { type ConnectServer, startConnectServer } from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { type GrpcJsClient, type GrpcJsServer, startGrpcJsServer } from "../support/transports/grpc-js.js";
import { type NiceGrpcServer, startNiceGrpcServer } from "../support/transports/nice-grpc.js";
import { type ProtobufTsClients, protobufTsClients } from "../support/transports/protobuf-ts.js";
import {
  type AttachInput,
  answers,
  type ExecRequest,
  type Failure,
  type FileChunk,
  failWith,
  rejection,
  scripted,
  succeed,
} from "../support/transports/script.js";

/** A sandbox that is not running: the message names the operation, so a wrong one shows. */
const NOT_RUNNING: Failure = {
  code: 9,
  message: "sandbox sbx-1 is stopped",
  details: [
    {
      type: "ErrorInfo",
      reason: Reason.SANDBOX_NOT_RUNNING,
      domain: ERROR_DOMAIN,
      metadata: { state: "STOPPED" },
    },
    { type: "RetryInfo", retryDelay: 1500 },
    { type: "RequestInfo", requestId: "req-7", servingData: "" },
  ],
};

/** A sandbox that does not exist: the class takes `sandboxId` from the context. */
const NOT_FOUND: Failure = {
  code: 5,
  message: "no sandbox sbx-1",
  details: [{ type: "ErrorInfo", reason: Reason.SANDBOX_NOT_FOUND, domain: ERROR_DOMAIN, metadata: {} }],
};

const GET = { sandboxId: "sbx-1" };
const EXEC: ExecRequest = { sandboxId: "sbx-1", command: ["echo", "one", "two"] };
const text = new TextDecoder();
const bytes = (word: string) => new TextEncoder().encode(word);

/** The context the adapters under test are given: the sandbox id, read from the request. */
const fromRequest = (_method: string, request: unknown): MappingContext => ({
  sandboxId: (request as { sandboxId?: string } | undefined)?.sandboxId,
});

/** What the adapter's context comes to for `method` and a request for sandbox `sbx-1`. */
const contextOf = (method: string): MappingContext => ({ operation: method, sandboxId: GET.sandboxId });

/** Every field a mapped error exposes (SPEC §2), in comparable form. */
function fields(error: SandboxSdkError) {
  return {
    className: error.constructor.name,
    name: error.name,
    message: error.message,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    details: error.details,
    requestId: error.requestId,
    sandboxId: (error as { sandboxId?: unknown }).sandboxId,
  };
}

/**
 * `adapted` is what `fromGrpcStatus` makes of `raw` (the raw client's error for the same failure)
 * with `context`, and its cause is the error its own road delivered, of the raw error's kind.
 */
function expectMappedLike(adapted: unknown, raw: unknown, context: MappingContext): SandboxSdkError {
  expect(isSandboxSdkError(adapted)).toBe(true);
  expect(isSandboxSdkError(raw)).toBe(false);
  const mapped = adapted as SandboxSdkError;
  const expected = fromGrpcStatus(raw, context);
  expect(fields(mapped)).toEqual(fields(expected));
  expect(mapped.cause).not.toBe(raw);
  expect((mapped.cause as object).constructor).toBe((raw as object).constructor);
  expect(fields(fromGrpcStatus(mapped.cause, context))).toEqual(fields(expected));
  return mapped;
}

/** What an async iterable yields, then what it throws (if anything). */
async function consume<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

// ---------------------------------------------------------------------------------------------
// grpc-js
// ---------------------------------------------------------------------------------------------

function callUnary(client: GrpcJsClient, method: string, request: object) {
  return new Promise<{ error: unknown; response: unknown }>((resolve) => {
    client[method]?.(request, (error: unknown, response: unknown) => resolve({ error, response }));
  });
}

/** A grpc-js stream's messages, then its error event (if any), up to its status. */
function collect<T>(stream: NodeJS.EventEmitter): Promise<{ messages: T[]; errors: unknown[] }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    const errors: unknown[] = [];
    stream.on("data", (message: T) => messages.push(message));
    stream.on("error", (error: unknown) => errors.push(error));
    stream.on("status", () => resolve({ messages, errors }));
  });
}

function upload(client: GrpcJsClient, chunks: readonly FileChunk[]) {
  return new Promise<{ error: unknown; response: unknown }>((resolve) => {
    const call = client.writeFile?.((error: unknown, response: unknown) =>
      resolve({ error, response }),
    ) as grpc.ClientWritableStream<FileChunk>;
    for (const chunk of chunks) call.write(chunk);
    call.end();
  });
}

const CHUNKS: FileChunk[] = [
  { sandboxId: "sbx-1", data: bytes("ab") },
  { sandboxId: "sbx-1", data: bytes("c") },
];
const INPUTS: AttachInput[] = ["a", "b", "c"].map((word) => ({ sandboxId: "sbx-1", stdin: bytes(word) }));

describe("withErrorMapping on a grpc-js client", () => {
  let server: GrpcJsServer;
  let raw: GrpcJsClient;
  let wrapped: GrpcJsClient;
  let rawStreams: GrpcJsClient;
  let wrappedStreams: GrpcJsClient;

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
    raw = server.sandboxClient();
    wrapped = withErrorMapping(raw, fromRequest);
    rawStreams = server.streamsClient();
    wrappedStreams = withErrorMapping(rawStreams, fromRequest);
  });
  afterAll(() => server.close());

  it.each([
    ["not running", NOT_RUNNING, SandboxNotRunningError],
    ["not found", NOT_FOUND, SandboxNotFoundError],
  ] as const)(
    "hands the callback the mapped error of a unary call (%s)",
    async (_, failure, expectedClass) => {
      const [adapted, original] = await scripted(server, failWith(failure), () =>
        Promise.all([callUnary(wrapped, "getSandbox", GET), callUnary(raw, "getSandbox", GET)]),
      );
      const mapped = expectMappedLike(adapted.error, original.error, contextOf("getSandbox"));
      expect(mapped).toBeInstanceOf(expectedClass);
    },
  );

  it("hands the callback a unary call's response as the raw client gets it", async () => {
    const [adapted, original] = await Promise.all([
      callUnary(wrapped, "getSandbox", GET),
      callUnary(raw, "getSandbox", GET),
    ]);
    expect(adapted.error).toBeNull();
    expect(adapted.response).toEqual(original.response);
    expect(adapted.response).toEqual(answers.getSandbox(GET));
  });

  it("emits the mapped error on a server stream, after the messages before it", async () => {
    const failure = { ...NOT_RUNNING, afterMessages: 2 };
    const [adapted, original] = await scripted(server, failWith(failure), () =>
      Promise.all([
        collect<{ stdout: Uint8Array }>(wrapped.exec?.(EXEC) as NodeJS.EventEmitter),
        collect<{ stdout: Uint8Array }>(raw.exec?.(EXEC) as NodeJS.EventEmitter),
      ]),
    );
    expect(adapted.messages).toEqual(original.messages);
    expect(adapted.messages.map((output) => text.decode(output.stdout))).toEqual(EXEC.command.slice(0, 2));
    expect(adapted.errors).toHaveLength(1);
    expectMappedLike(adapted.errors[0], original.errors[0], contextOf("exec"));
  });

  it("throws the mapped error from a server stream consumed with for await", async () => {
    const [adapted, original] = await scripted(server, failWith({ ...NOT_RUNNING, afterMessages: 1 }), () =>
      Promise.all([
        consume(wrapped.exec?.(EXEC) as AsyncIterable<{ stdout: Uint8Array }>),
        consume(raw.exec?.(EXEC) as AsyncIterable<{ stdout: Uint8Array }>),
      ]),
    );
    expect(adapted.items).toEqual(original.items);
    expectMappedLike(adapted.error, original.error, contextOf("exec"));
  });

  it("returns the very stream grpc-js made, which delivers a healthy stream unchanged", async () => {
    const stream = wrapped.exec?.(EXEC) as grpc.ClientReadableStream<unknown>;
    const reference = raw.exec?.(EXEC) as grpc.ClientReadableStream<unknown>;
    expect(Object.getPrototypeOf(stream)).toBe(Object.getPrototypeOf(reference));
    const [adapted, original] = await Promise.all([collect(stream), collect(reference)]);
    expect(adapted.errors).toEqual([]);
    expect(adapted.messages).toEqual(original.messages);
    expect(adapted.messages.map((output) => text.decode((output as { stdout: Uint8Array }).stdout))).toEqual(
      EXEC.command,
    );
  });

  it("hands a client stream's callback the mapped error, and its response when it succeeds", async () => {
    const [adapted, original] = await scripted(server, failWith(NOT_RUNNING), () =>
      Promise.all([upload(wrappedStreams, CHUNKS), upload(rawStreams, CHUNKS)]),
    );
    // A stream-request method's first argument is not a request: no sandbox id in the context.
    expectMappedLike(adapted.error, original.error, { operation: "writeFile" });
    const healthy = await upload(wrappedStreams, CHUNKS);
    expect(healthy).toEqual({ error: null, response: answers.writeFile(CHUNKS) });
  });

  it("emits the mapped error on a bidirectional stream, also under for await", async () => {
    const attach = (client: GrpcJsClient) => {
      const call = client.attach?.() as grpc.ClientDuplexStream<AttachInput, { stdout: Uint8Array }>;
      for (const input of INPUTS) call.write(input);
      call.end();
      return call;
    };
    const failure = { ...NOT_RUNNING, afterMessages: 1 };
    const [events, iterated, original] = await scripted(server, failWith(failure), () =>
      Promise.all([
        collect<{ stdout: Uint8Array }>(attach(wrappedStreams)),
        consume<{ stdout: Uint8Array }>(attach(wrappedStreams)),
        collect<{ stdout: Uint8Array }>(attach(rawStreams)),
      ]),
    );
    expect(events.messages).toEqual(original.messages);
    expect(iterated.items).toEqual(original.messages);
    expectMappedLike(events.errors[0], original.errors[0], { operation: "attach" });
    expectMappedLike(iterated.error, original.errors[0], { operation: "attach" });
    const healthy = await collect<{ stdout: Uint8Array }>(attach(wrappedStreams));
    expect(healthy.messages.map((output) => text.decode(output.stdout))).toEqual(["a", "b", "c"]);
  });

  it("maps each error of a stream that errors twice, and hands on an already mapped one as it is", async () => {
    const received = await scripted(server, failWith(NOT_RUNNING), async () => {
      const call = wrapped.exec?.(EXEC) as grpc.ClientReadableStream<unknown>;
      const errors: unknown[] = [];
      call.on("error", (error) => errors.push(error));
      // Not events.once: it rejects on the error event this test wants to receive.
      await new Promise((resolve) => call.on("status", resolve));
      const first = errors[0] as SandboxSdkError;
      // The same raw error again gives the same mapped error; another raw error is mapped anew.
      call.emit("error", first.cause);
      call.emit("error", Object.assign(new Error("second failure"), { code: 14, details: "second failure" }));
      call.emit("error", first);
      return errors;
    });
    expect(received).toHaveLength(4);
    const first = received[0] as SandboxSdkError;
    expect(isSandboxSdkError(first)).toBe(true);
    expect(received[1]).toBe(first);
    const second = received[2] as SandboxSdkError;
    expect(isSandboxSdkError(second)).toBe(true);
    expect(fields(second)).toEqual(fields(fromGrpcStatus(second.cause, contextOf("exec"))));
    expect((second.cause as Error).message).toBe("second failure");
    expect(received[3]).toBe(first);
  });

  it("maps the failure of a server that closes mid-stream", async () => {
    const dying = new grpc.Server();
    dying.addService(SandboxDefinition.service, {
      Exec(call: grpc.ServerWritableStream<ExecRequest, unknown>) {
        call.write(answers.exec(call.request)[0]);
        // Let the message go out, then drop every connection with the call still open.
        setImmediate(() => dying.forceShutdown());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      dying.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = new SandboxDefinition(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as GrpcJsClient;
    try {
      const stream = withErrorMapping(client, fromRequest).exec?.(EXEC) as AsyncIterable<unknown>;
      const result = await consume(stream);
      expect(result.items).toHaveLength(1);
      const mapped = result.error as SandboxSdkError;
      expect(isSandboxSdkError(mapped)).toBe(true);
      expect(fields(mapped)).toEqual(fields(fromGrpcStatus(mapped.cause, contextOf("exec"))));
      expect((mapped.cause as grpc.ServiceError).code).toBe(mapped.grpcCode);
    } finally {
      client.close();
      dying.forceShutdown();
    }
  });

  it("keeps method identity, leaves other properties alone and calls methods on the original client", () => {
    expect(wrapped.getSandbox).toBe(wrapped.getSandbox);
    expect(wrapped.getSandbox).not.toBe(raw.getSandbox);
    // The same function under two names (grpc-js's GetSandbox and getSandbox) maps under each name.
    expect(wrapped.GetSandbox).not.toBe(wrapped.getSandbox);
    expect(wrapped.getChannel()).toBe(raw.getChannel());
    expect(wrapped).toBeInstanceOf(SandboxDefinition);
    expect(Object.keys(wrapped)).toEqual(Object.keys(raw));
  });

  it("reports a grpc-js call under the name it was made by", async () => {
    const adapted = await scripted(server, failWith(NOT_RUNNING), () =>
      callUnary(wrapped, "GetSandbox", GET),
    );
    expect((adapted.error as SandboxSdkError).message).toBe(
      fromGrpcStatus((adapted.error as SandboxSdkError).cause, contextOf("GetSandbox")).message,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// protobuf-ts
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on a protobuf-ts client", () => {
  let server: GrpcJsServer;
  let raw: ProtobufTsClients;
  let wrapped: ProtobufTsClients["sandbox"];
  let wrappedStreams: ProtobufTsClients["streams"];
  /** The requests the streams client's context function was handed. */
  const requests: unknown[] = [];

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
    raw = protobufTsClients(server.address);
    wrapped = withErrorMapping(raw.sandbox, fromRequest);
    wrappedStreams = withErrorMapping(raw.streams, (method, request) => {
      requests.push(request);
      return fromRequest(method, request);
    });
  });
  afterAll(async () => {
    raw.close();
    await server.close();
  });

  it("rejects response, status, trailers and the call itself with one mapped error", async () => {
    const [call, original] = await scripted(server, failWith(NOT_RUNNING), async () => {
      const adapted = wrapped.getSandbox(GET);
      const reference = raw.sandbox.getSandbox(GET);
      await rejection(reference.status);
      await rejection(adapted.status);
      return [adapted, reference] as const;
    });
    expect(call).toBeInstanceOf(UnaryCall);
    const response = await rejection(call.response);
    const rawError = await rejection(original.response);
    expect(rawError).toBeInstanceOf(RpcError);
    expectMappedLike(response, rawError, contextOf("getSandbox"));
    expect(await rejection(call.status)).toBe(response);
    expect(await rejection(call.trailers)).toBe(response);
    expect(await rejection(call.headers)).toBe(response);
    expect(await rejection(call)).toBe(response);
  });

  it("resolves a succeeding call as the raw client does", async () => {
    const [adapted, original] = await Promise.all([wrapped.getSandbox(GET), raw.sandbox.getSandbox(GET)]);
    expect(adapted.response).toEqual(original.response);
    expect(adapted.status).toEqual(original.status);
    expect(adapted.response).toEqual(answers.getSandbox(GET));
  });

  it("maps a server stream's error for onError, onNext, the async iterator and the call's promises", async () => {
    const failure = { ...NOT_RUNNING, afterMessages: 2 };
    const [outcome, original] = await scripted(server, failWith(failure), async () => {
      const call = wrapped.exec(EXEC);
      const seen: { onError?: unknown; onNext?: unknown } = {};
      call.responses.onError((error) => {
        seen.onError = error;
      });
      call.responses.onNext((_message, error) => {
        if (error !== undefined) seen.onNext = error;
      });
      const iterated = await consume(call.responses);
      const status = await rejection(call.status);
      const reference = await consume(raw.sandbox.exec(EXEC).responses);
      return [{ ...seen, iterated, status }, reference] as const;
    });
    expect(outcome.iterated.items).toEqual(original.items);
    expect(outcome.iterated.items.map((output) => text.decode(output.stdout))).toEqual(
      EXEC.command.slice(0, 2),
    );
    const mapped = expectMappedLike(outcome.iterated.error, original.error, contextOf("exec"));
    expect(outcome.onError).toBe(mapped);
    expect(outcome.onNext).toBe(mapped);
    expect(outcome.status).toBe(mapped);
  });

  it("patches the call's own response stream rather than replacing it", async () => {
    const call = wrapped.exec(EXEC);
    expect(call.responses).toBeInstanceOf(RpcOutputStreamController);
    await consume(call.responses);
  });

  it("maps the errors of a response stream of another make (an interceptor's view)", async () => {
    // A logging-style interceptor that hands the caller its own view of the responses.
    const viewing: RpcInterceptor = {
      interceptServerStreaming(next, method, input, options) {
        const call = next(method, input, options);
        const responses: RpcOutputStream<object> = {
          onNext: (callback) => call.responses.onNext(callback),
          onMessage: (callback) => call.responses.onMessage(callback),
          onError: (callback) => call.responses.onError(callback),
          onComplete: (callback) => call.responses.onComplete(callback),
          [Symbol.asyncIterator]: () => call.responses[Symbol.asyncIterator](),
        };
        return new ServerStreamingCall(
          call.method,
          call.requestHeaders,
          call.request,
          call.headers,
          responses,
          call.status,
          call.trailers,
        );
      },
    };
    const intercepted = protobufTsClients(server.address, { interceptors: [viewing] });
    try {
      const viewed = withErrorMapping(intercepted.sandbox, fromRequest);
      const outcome = await scripted(server, failWith({ ...NOT_RUNNING, afterMessages: 1 }), async () => {
        const call = viewed.exec(EXEC);
        let onError: unknown;
        call.responses.onError((error) => {
          onError = error;
        });
        const iterated = await consume(call.responses);
        const reference = await consume(intercepted.sandbox.exec(EXEC).responses);
        return { onError, iterated, reference };
      });
      expect(outcome.iterated.items).toEqual(outcome.reference.items);
      const mapped = expectMappedLike(outcome.iterated.error, outcome.reference.error, contextOf("exec"));
      expect(outcome.onError).toBe(mapped);
    } finally {
      intercepted.close();
    }
  });

  it("streams a healthy server stream unchanged", async () => {
    const [adapted, original] = await Promise.all([
      consume(wrapped.exec(EXEC).responses),
      consume(raw.sandbox.exec(EXEC).responses),
    ]);
    expect(adapted.error).toBeUndefined();
    expect(adapted.items).toEqual(original.items);
  });

  it("maps client-streaming and duplex calls", async () => {
    const outcome = await scripted(server, failWith(NOT_RUNNING), async () => {
      const upload = wrappedStreams.writeFile();
      for (const chunk of CHUNKS) await upload.requests.send(chunk);
      await upload.requests.complete();
      const reference = raw.streams.writeFile();
      for (const chunk of CHUNKS) await reference.requests.send(chunk);
      await reference.requests.complete();
      const attach = wrappedStreams.attach();
      const iterated = consume(attach.responses);
      for (const input of INPUTS) await attach.requests.send(input);
      await attach.requests.complete();
      return {
        upload: await rejection(upload.response),
        reference: await rejection(reference.response),
        attach: await iterated,
      };
    });
    // protobuf-ts's stream calls take no request, only options: no sandbox id in the context.
    expect(requests).toEqual([undefined, undefined]);
    expectMappedLike(outcome.upload, outcome.reference, { operation: "writeFile" });
    expectMappedLike(outcome.attach.error, outcome.reference, { operation: "attach" });
  });

  it("passes the client's other properties through", () => {
    expect(wrapped.typeName).toBe(raw.sandbox.typeName);
    expect(wrapped.methods).toBe(raw.sandbox.methods);
  });
});

// ---------------------------------------------------------------------------------------------
// connect-es
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on a connect-es client", () => {
  let server: ConnectServer;

  beforeAll(async () => {
    server = await startConnectServer(succeed);
  });
  afterAll(() => server.close());

  describe.each(["connect", "grpc"] as const)("over %s", (protocol) => {
    it("rejects a unary call with the mapped error", async () => {
      const raw = createClient(SandboxService, server.transport(protocol));
      const wrapped = withErrorMapping(raw, fromRequest);
      const [adapted, original] = await scripted(server, failWith(NOT_RUNNING), () =>
        Promise.all([rejection(wrapped.getSandbox(GET)), rejection(raw.getSandbox(GET))]),
      );
      expectMappedLike(adapted, original, contextOf("getSandbox"));
    });

    it("resolves a succeeding unary call with what the raw client gets", async () => {
      const raw = createClient(SandboxService, server.transport(protocol));
      const wrapped = withErrorMapping(raw, fromRequest);
      const [adapted, original] = await Promise.all([wrapped.getSandbox(GET), raw.getSandbox(GET)]);
      expect(adapted).toEqual(original);
    });

    it("yields a server stream's messages, then throws the mapped error", async () => {
      const raw = createClient(SandboxService, server.transport(protocol));
      const wrapped = withErrorMapping(raw, fromRequest);
      const [adapted, original] = await scripted(server, failWith({ ...NOT_RUNNING, afterMessages: 1 }), () =>
        Promise.all([consume(wrapped.exec(EXEC)), consume(raw.exec(EXEC))]),
      );
      expect(adapted.items).toEqual(original.items);
      expect(adapted.items).toHaveLength(1);
      expectMappedLike(adapted.error, original.error, contextOf("exec"));
      const healthy = await Promise.all([consume(wrapped.exec(EXEC)), consume(raw.exec(EXEC))]);
      expect(healthy[0]).toEqual(healthy[1]);
    });
  });

  it("maps a frozen client's methods, and methods reached through a getter", async () => {
    const raw = createClient(SandboxService, server.transport("connect"));
    const frozen = withErrorMapping(Object.freeze({ ...raw }), fromRequest);
    const getSandbox = raw.getSandbox;
    const withGetter = Object.defineProperty({ ...raw }, "getSandbox", {
      get: () => getSandbox,
      enumerable: true,
    });
    const viaGetter = withErrorMapping(withGetter, fromRequest);
    const [fromFrozen, fromGetter, original] = await scripted(server, failWith(NOT_FOUND), () =>
      Promise.all([
        rejection(frozen.getSandbox(GET)),
        rejection(viaGetter.getSandbox(GET)),
        rejection(raw.getSandbox(GET)),
      ]),
    );
    expectMappedLike(fromFrozen, original, contextOf("getSandbox"));
    expectMappedLike(fromGetter, original, contextOf("getSandbox"));
    expect(viaGetter.getSandbox).toBe(viaGetter.getSandbox);
  });

  it("maps without the context when the context function throws", async () => {
    const raw = createClient(SandboxService, server.transport("connect"));
    const wrapped = withErrorMapping(raw, () => {
      throw new Error("context exploded");
    });
    const [adapted, original] = await scripted(server, failWith(NOT_FOUND), () =>
      Promise.all([rejection(wrapped.getSandbox(GET)), rejection(raw.getSandbox(GET))]),
    );
    expectMappedLike(adapted, original, { operation: "getSandbox" });
  });

  it("takes an object context as it is, and an operation it names over the method's", async () => {
    const raw = createClient(SandboxService, server.transport("connect"));
    const context = { sandboxId: "sbx-from-context", operation: "lookup" };
    const wrapped = withErrorMapping(raw, context);
    const [adapted, original] = await scripted(server, failWith(NOT_RUNNING), () =>
      Promise.all([rejection(wrapped.getSandbox(GET)), rejection(raw.getSandbox(GET))]),
    );
    expectMappedLike(adapted, original, context);
  });
});

// ---------------------------------------------------------------------------------------------
// nice-grpc
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on a nice-grpc client", () => {
  let server: NiceGrpcServer;

  beforeAll(async () => {
    server = await startNiceGrpcServer(succeed);
  });
  afterAll(() => server.close());

  it.each([
    ["plain", () => server.clients()],
    ["rich", () => server.richClients()],
  ] as const)("maps a %s client's unary and streaming failures", async (_, make) => {
    const raw = make().sandbox;
    const wrapped = withErrorMapping(raw, fromRequest);
    const [unary, original] = await scripted(server, failWith(NOT_RUNNING), () =>
      Promise.all([rejection(wrapped.getSandbox(GET)), rejection(raw.getSandbox(GET))]),
    );
    expectMappedLike(unary, original, contextOf("getSandbox"));
    const [stream, rawStream] = await scripted(server, failWith({ ...NOT_RUNNING, afterMessages: 2 }), () =>
      Promise.all([consume(wrapped.exec(EXEC)), consume(raw.exec(EXEC))]),
    );
    expect(stream.items).toEqual(rawStream.items);
    expect(stream.items).toHaveLength(2);
    expectMappedLike(stream.error, rawStream.error, contextOf("exec"));
  });

  it("gives a succeeding call's values as the raw client does", async () => {
    const raw = server.clients().sandbox;
    const wrapped = withErrorMapping(raw);
    expect(await wrapped.getSandbox(GET)).toEqual(await raw.getSandbox(GET));
    const [adapted, original] = await Promise.all([consume(wrapped.exec(EXEC)), consume(raw.exec(EXEC))]);
    expect(adapted).toEqual(original);
    expect(adapted.items).toHaveLength(EXEC.command.length);
  });

  it("maps a client stream's failure, with no request for the context to read", async () => {
    const raw = server.clients().streams;
    const requests: unknown[] = [];
    const wrapped = withErrorMapping(raw, (method, request) => {
      requests.push(request);
      return fromRequest(method, request);
    });
    async function* chunks() {
      yield* CHUNKS;
    }
    const [adapted, original] = await scripted(server, failWith(NOT_RUNNING), () =>
      Promise.all([rejection(wrapped.writeFile(chunks())), rejection(raw.writeFile(chunks()))]),
    );
    expect(requests).toEqual([undefined]);
    expectMappedLike(adapted, original, { operation: "writeFile" });
  });
});

// ---------------------------------------------------------------------------------------------
// The caller's abort (SPEC §13)
// ---------------------------------------------------------------------------------------------

/** A signal that the server aborts with `reason` as the call reaches it, and the script that does so. */
function abortOnArrival(reason: unknown) {
  const controller = new AbortController();
  const script = () => {
    controller.abort(reason);
    return undefined;
  };
  return { signal: controller.signal, script };
}

/** A CANCELLED the server sends itself (a sandbox that shut down under the call). */
const SERVER_CANCELLED: Failure = { code: 1, message: "sandbox sbx-1 shut down under the call" };

describe("withErrorMapping and the caller's own abort", () => {
  let connectServer: ConnectServer;
  let grpcServer: GrpcJsServer;
  let niceServer: NiceGrpcServer;

  beforeAll(async () => {
    [connectServer, grpcServer, niceServer] = await Promise.all([
      startConnectServer(succeed),
      startGrpcJsServer(succeed),
      startNiceGrpcServer(succeed),
    ]);
  });
  afterAll(() => Promise.all([connectServer.close(), grpcServer.close(), niceServer.close()]));

  describe.each(["connect", "grpc"] as const)("connect-es over %s", (protocol) => {
    it.each([
      ["an AbortError, which ConnectError does not keep", new DOMException("the user left", "AbortError")],
      ["an Error of the caller's, which ConnectError keeps as no abort", new Error("the user left")],
    ])("re-throws the signal's reason for a unary call aborted in flight: %s", async (_, reason) => {
      const raw = createClient(SandboxService, connectServer.transport(protocol));
      const wrapped = withErrorMapping(raw, fromRequest);
      const plain = abortOnArrival(reason);
      const original = await scripted(connectServer, plain.script, () =>
        rejection(raw.getSandbox(GET, { signal: plain.signal })),
      );
      // The premise: connect-es reports a ConnectError, not the reason.
      expect(original).toBeInstanceOf(ConnectError);
      if (reason.name === "AbortError") expect((original as ConnectError).cause).toBeUndefined();
      const adapted = abortOnArrival(reason);
      const thrown = await scripted(connectServer, adapted.script, () =>
        rejection(wrapped.getSandbox(GET, { signal: adapted.signal })),
      );
      expect(thrown).toBe(reason);
    });

    it("re-throws the signal's reason for a server stream aborted after its first message", async () => {
      const wrapped = withErrorMapping(createClient(SandboxService, connectServer.transport(protocol)));
      const controller = new AbortController();
      const reason = { why: "enough output" };
      const received: unknown[] = [];
      let thrown: unknown;
      try {
        for await (const output of wrapped.exec(EXEC, { signal: controller.signal })) {
          received.push(output);
          controller.abort(reason);
        }
      } catch (error) {
        thrown = error;
      }
      expect(received).toHaveLength(1);
      expect(thrown).toBe(reason);
    });

    it("maps a CANCELLED the server sends itself", async () => {
      const raw = createClient(SandboxService, connectServer.transport(protocol));
      const wrapped = withErrorMapping(raw, fromRequest);
      const { signal } = new AbortController();
      const [adapted, original] = await scripted(connectServer, failWith(SERVER_CANCELLED), () =>
        Promise.all([rejection(wrapped.getSandbox(GET, { signal })), rejection(raw.getSandbox(GET))]),
      );
      const mapped = expectMappedLike(adapted, original, contextOf("getSandbox"));
      expect(mapped.grpcCode).toBe(SERVER_CANCELLED.code);
    });
  });

  it("re-throws the signal's reason for a nice-grpc call aborted in flight", async () => {
    const raw = niceServer.clients().sandbox;
    const wrapped = withErrorMapping(raw, fromRequest);
    const reason = new Error("the user closed the page");
    const adapted = abortOnArrival(reason);
    const thrown = await scripted(niceServer, adapted.script, () =>
      rejection(wrapped.getSandbox(GET, { signal: adapted.signal })),
    );
    expect(thrown).toBe(reason);
  });

  it("re-throws the signal's reason for a protobuf-ts call aborted in flight (its abort option)", async () => {
    const clients = protobufTsClients(grpcServer.address);
    try {
      const wrapped = withErrorMapping(clients.sandbox, fromRequest);
      const reason = new Error("the user closed the page");
      const plain = abortOnArrival(reason);
      const original = await scripted(grpcServer, plain.script, () =>
        rejection(clients.sandbox.getSandbox(GET, { abort: plain.signal }).response),
      );
      expect(original).not.toBe(reason);
      const adapted = abortOnArrival(reason);
      // (In an object: an async function would adopt the call, which is a thenable.)
      const { call } = await scripted(grpcServer, adapted.script, async () => {
        const made = wrapped.getSandbox(GET, { abort: adapted.signal });
        await rejection(made.status);
        return { call: made };
      });
      expect(await rejection(call.response)).toBe(reason);
      expect(await rejection(call)).toBe(reason);
    } finally {
      clients.close();
    }
  });

  it("hands a grpc-js call cancelled with call.cancel() its own CANCELLED error, unmapped", async () => {
    const raw = grpcServer.sandboxClient();
    const wrapped = withErrorMapping(raw, fromRequest);
    const cancelledCall = (client: GrpcJsClient) => {
      let call: grpc.ClientUnaryCall | undefined;
      const outcome = new Promise<unknown>((resolve) => {
        call = client.getSandbox?.(GET, (error: unknown) => resolve(error)) as grpc.ClientUnaryCall;
      });
      return scripted(
        grpcServer,
        () => {
          call?.cancel();
          return undefined;
        },
        () => outcome,
      );
    };
    const original = (await cancelledCall(raw)) as grpc.ServiceError;
    // The premise: grpc-js reports the caller's cancel as CANCELLED "Cancelled on client".
    expect(original.code).toBe(grpc.status.CANCELLED);
    expect(original.details).toBe("Cancelled on client");
    const adapted = (await cancelledCall(wrapped)) as grpc.ServiceError;
    expect(isSandboxSdkError(adapted)).toBe(false);
    expect(adapted).toBeInstanceOf(Error);
    expect({ code: adapted.code, details: adapted.details }).toEqual({
      code: original.code,
      details: original.details,
    });
  });

  it("emits a grpc-js stream's own CANCELLED error when the caller cancels it, also under for await", async () => {
    const wrapped = withErrorMapping(grpcServer.sandboxClient(), fromRequest);
    const stream = wrapped.exec?.(EXEC) as grpc.ClientReadableStream<unknown>;
    const errors: unknown[] = [];
    stream.on("error", (error) => errors.push(error));
    stream.once("data", () => stream.cancel());
    stream.resume();
    await new Promise((resolve) => stream.on("status", resolve));
    expect(errors).toHaveLength(1);
    expect(isSandboxSdkError(errors[0])).toBe(false);
    expect((errors[0] as grpc.ServiceError).details).toBe("Cancelled on client");

    const iterated = wrapped.exec?.(EXEC) as grpc.ClientReadableStream<unknown>;
    let thrown: unknown;
    try {
      for await (const _ of iterated) iterated.cancel();
    } catch (error) {
      thrown = error;
    }
    expect(isSandboxSdkError(thrown)).toBe(false);
    expect((thrown as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
  });

  it("maps a CANCELLED that a grpc-js server sends itself", async () => {
    const raw = grpcServer.sandboxClient();
    const wrapped = withErrorMapping(raw, fromRequest);
    const [adapted, original] = await scripted(grpcServer, failWith(SERVER_CANCELLED), () =>
      Promise.all([callUnary(wrapped, "getSandbox", GET), callUnary(raw, "getSandbox", GET)]),
    );
    const mapped = expectMappedLike(adapted.error, original.error, contextOf("getSandbox"));
    expect(mapped).toBeInstanceOf(SandboxNotRunningError);
    expect(mapped.grpcCode).toBe(SERVER_CANCELLED.code);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

describe("withErrorMapping on bad input", () => {
  it.each([null, undefined, "client", 42, () => ({})])(
    "refuses a client that is not an object (%s)",
    (client) => {
      expect(() => withErrorMapping(client as unknown as object)).toThrow(TypeError);
      expect(() => withErrorMapping(client as unknown as object)).toThrow(/expected a client object/);
    },
  );

  it.each([null, "sbx-1", 7])(
    "refuses a context that is neither an object nor a function (%s)",
    (context) => {
      expect(() => withErrorMapping({}, context as unknown as MappingContext)).toThrow(TypeError);
    },
  );

  it("calls a method with the original client as this, and maps what it throws synchronously", () => {
    const client = {
      self(this: unknown) {
        return this;
      },
      closed() {
        throw Object.assign(new Error("Channel has been shut down"), { code: 14, details: "" });
      },
    };
    const wrapped = withErrorMapping(client);
    expect(wrapped.self()).toBe(client);
    let thrown: unknown;
    try {
      wrapped.closed();
    } catch (error) {
      thrown = error;
    }
    expect(fields(thrown as SandboxSdkError)).toEqual(
      fields(fromGrpcStatus((thrown as SandboxSdkError).cause, { operation: "closed" })),
    );
  });

  it("shows the client when inspected", () => {
    const client = { label: "sandboxes", getSandbox: async () => ({}) };
    expect(inspect(withErrorMapping(client))).toBe(inspect(client));
  });

  it("reads and writes the client's plain properties through the wrapper", () => {
    const client: { label: string; count?: number } = { label: "a" };
    const wrapped = withErrorMapping(client);
    expect(wrapped.label).toBe("a");
    wrapped.count = 3;
    expect(client.count).toBe(3);
    expect("count" in wrapped).toBe(true);
    expect({ ...wrapped }).toEqual(client);
  });
});
