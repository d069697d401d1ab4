/**
 * `niceGrpcErrorMiddleware` (SPEC §15) on real nice-grpc clients of a real nice-grpc server on
 * 127.0.0.1: the trailers nice-grpc drops reach the mapped error, for unary and streaming calls.
 */
import { type ClientError, createChannel, createClientFactory, Metadata } from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  rejection,
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

  it("passes an AbortError from the call's signal through unchanged", async () => {
    const mapping = server.clientsWith(niceGrpcErrorMiddleware()).sandbox;
    const abort = new AbortController();
    abort.abort();
    const thrown = await rejection(mapping.getSandbox(GET, { signal: abort.signal }));
    expect(isSandboxSdkError(thrown)).toBe(false);
    expect((thrown as Error).name).toBe("AbortError");
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
