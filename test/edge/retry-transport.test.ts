/**
 * Retry at the client's edge (SPEC §18) against real servers on 127.0.0.1: `retryInterceptor` in
 * connect-node transports (Connect, gRPC-web and gRPC protocols) and `retryMiddleware` in nice-grpc
 * clients. The servers fail with UNAVAILABLE and a RetryInfo in the status-details trailer (or the
 * Connect error body), counted server-side; the interceptor and the middleware judge the raw errors
 * with the default preset's catalogue.
 */
import { getEventListeners } from "node:events";
import { readFileSync } from "node:fs";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { type ClientError, type ClientMiddleware, createChannel, createClientFactory } from "nice-grpc";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  createRetryThrottle,
  RETRY_DEFAULTS,
  type RetryEvent,
  type RetryOptions,
  type RetryPolicy,
} from "../../src/edge/retry.js";
import {
  type NiceGrpcRetryMiddleware,
  policyOf,
  retryInterceptorWith,
  retryMiddlewareWith,
  type TransportRetryOptions,
} from "../../src/edge/retry-transport.js";
import {
  ERROR_DOMAIN,
  fromGrpcStatus,
  GrpcCode,
  isSandboxSdkError,
  niceGrpcErrorMiddleware,
  Reason,
  retryInterceptor,
  retryMiddleware,
  SandboxRequestTimeoutError,
  type SandboxSdkError,
  SandboxUnavailableError,
} from "../../src/index.js";
import { throwingProxy } from "../support/hostile.js";
import {
  type ConnectProtocol,
  type ConnectServer,
  startConnectServer,
} from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { StreamService } from "../support/transports/gen/streams_pb.js";
import {
  type NiceGrpcServer,
  niceSandboxService,
  niceStreamService,
  startNiceGrpcServer,
} from "../support/transports/nice-grpc.js";
import { type Failure, rejection, type Script, scripted, succeed } from "../support/transports/script.js";

/** The server's RetryInfo hint, in milliseconds. */
const HINT_MS = 150;
/** libuv's clock, which times setTimeout, counts whole milliseconds. */
const CLOCK_RESOLUTION_MS = 1;
/** A backoff this short cannot pass for the hint: only honouring RetryInfo makes the gaps long. */
const SHORT_BACKOFF = { baseDelayMs: 1, maxDelayMs: 2 } as const;

/** The default preset's catalogue, as the transports' retries take it. */
const catalogue = { fromGrpcStatus };

const BUSY: Failure = {
  code: GrpcCode.UNAVAILABLE,
  message: "runner busy",
  details: [
    {
      type: "ErrorInfo",
      reason: Reason.RUNNER_UNAVAILABLE,
      domain: ERROR_DOMAIN,
      metadata: { runner: "r-1" },
    },
    { type: "RetryInfo", retryDelay: HINT_MS },
  ],
};
const MISSING: Failure = { code: GrpcCode.NOT_FOUND, message: "no such sandbox" };

/**
 * Fails the first `failures` calls of `methods` with `failure` (its message numbered by call), then
 * answers; notes when each call arrived.
 */
function flaky(failures: number, failure: Failure, methods: readonly string[]) {
  const arrivals: number[] = [];
  const script: Script = (call) => {
    if (!methods.includes(call.method)) return undefined;
    arrivals.push(performance.now());
    if (arrivals.length > failures) return undefined;
    return { ...failure, message: `${failure.message} (call ${arrivals.length})` };
  };
  return { script, arrivals };
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

/** Records what `onRetry` saw. */
function recorder() {
  const events: RetryEvent[] = [];
  return { events, onRetry: (event: RetryEvent) => events.push(event) };
}

const GET = { sandboxId: "sbx-1" };
const EXEC = { sandboxId: "sbx-1", command: ["one", "two", "three"] };
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// ---------------------------------------------------------------------------------------------
// connect-es
// ---------------------------------------------------------------------------------------------

let connectServer: ConnectServer;
let niceServer: NiceGrpcServer;

beforeAll(async () => {
  [connectServer, niceServer] = await Promise.all([
    startConnectServer(succeed),
    startNiceGrpcServer(succeed),
  ]);
});
afterAll(async () => {
  await Promise.all([connectServer?.close(), niceServer?.close()]);
});

const MAKE = {
  connect: createConnectTransport,
  grpc: createGrpcTransport,
  "grpc-web": createGrpcWebTransport,
} as const;

/** A connect-node transport to the test server with `interceptors` (the last runs innermost). */
function transport(protocol: ConnectProtocol, interceptors: Interceptor[]): Transport {
  return MAKE[protocol]({
    baseUrl: connectServer.http2Url,
    httpVersion: "2",
    useBinaryFormat: true,
    interceptors,
  });
}

function connectClients(protocol: ConnectProtocol, ...interceptors: Interceptor[]) {
  const through = transport(protocol, interceptors);
  return { sandbox: createClient(SandboxService, through), streams: createClient(StreamService, through) };
}

/** An inner interceptor that notes every attempt's request headers and signal. */
function attemptsSeen() {
  const attempts: { header: Headers; signal: AbortSignal }[] = [];
  const interceptor: Interceptor = (next) => (request) => {
    attempts.push({ header: new Headers(request.header), signal: request.signal });
    return next(request);
  };
  return { attempts, interceptor };
}

describe("retryInterceptor (connect-es)", () => {
  it("is a connect-es Interceptor without a cast", () => {
    expectTypeOf(retryInterceptor()).toExtend<Interceptor>();
    expectTypeOf(retryInterceptorWith({}, policyOf(catalogue))).toExtend<Interceptor>();
    const interceptors: Interceptor[] = [retryInterceptor({ catalogue })];
    expect(interceptors).toHaveLength(1);
  });

  describe.each<ConnectProtocol>(["connect", "grpc-web", "grpc"])("over %s", (protocol) => {
    it("retries a unary call that fails twice with UNAVAILABLE, waiting the RetryInfo delay each time", async () => {
      const { script, arrivals } = flaky(2, BUSY, ["GetSandbox"]);
      const { events, onRetry } = recorder();
      const { sandbox } = connectClients(
        protocol,
        retryInterceptor({ catalogue, onRetry, ...SHORT_BACKOFF }),
      );
      const answer = await scripted(connectServer, script, () => sandbox.getSandbox(GET));
      expect(answer).toMatchObject({ sandboxId: "sbx-1", state: "RUNNING" });
      expect(arrivals).toHaveLength(3);
      for (const gap of gaps(arrivals)) expect(gap).toBeGreaterThanOrEqual(HINT_MS - CLOCK_RESOLUTION_MS);
      expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
        [1, HINT_MS],
        [2, HINT_MS],
      ]);
      // What onRetry sees is the transport's own error.
      for (const { error } of events) expect(error).toBeInstanceOf(ConnectError);
    });

    it("throws the last error as the transport gave it once attempts run out", async () => {
      const { script, arrivals } = flaky(5, BUSY, ["GetSandbox"]);
      const { sandbox } = connectClients(protocol, retryInterceptor({ catalogue, maxAttempts: 3 }));
      const error = await scripted(connectServer, script, () => rejection(sandbox.getSandbox(GET)));
      expect(arrivals).toHaveLength(3);
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: "runner busy (call 3)" });
      expect(isSandboxSdkError(error)).toBe(false);
    });

    it("calls a non-retryable failure once", async () => {
      const { script, arrivals } = flaky(5, MISSING, ["GetSandbox"]);
      const { sandbox } = connectClients(protocol, retryInterceptor({ catalogue }));
      const error = await scripted(connectServer, script, () => rejection(sandbox.getSandbox(GET)));
      expect(error).toMatchObject({ code: Code.NotFound });
      expect(arrivals).toHaveLength(1);
    });

    it("retries a server stream that failed before its first message, then streams every message", async () => {
      const { script, arrivals } = flaky(2, BUSY, ["Exec"]);
      const { sandbox } = connectClients(protocol, retryInterceptor({ catalogue }));
      const words = await scripted(connectServer, script, async () => {
        const seen: string[] = [];
        for await (const output of sandbox.exec(EXEC)) seen.push(decode(output.stdout));
        return seen;
      });
      expect(words).toEqual(EXEC.command);
      expect(arrivals).toHaveLength(3);
    });

    it("does not retry a server stream that fails after its first message", async () => {
      const { script, arrivals } = flaky(5, { ...BUSY, afterMessages: 1 }, ["Exec"]);
      const { sandbox } = connectClients(protocol, retryInterceptor({ catalogue }));
      const seen: string[] = [];
      const error = await scripted(connectServer, script, () =>
        rejection(
          (async () => {
            for await (const output of sandbox.exec(EXEC)) seen.push(decode(output.stdout));
          })(),
        ),
      );
      expect(seen).toEqual(["one"]);
      expect(error).toMatchObject({ code: Code.Unavailable, rawMessage: "runner busy (call 1)" });
      expect(arrivals).toHaveLength(1);
    });

    it("re-throws at once, without calling again, when the caller aborts during the sleep", async () => {
      const { script, arrivals } = flaky(
        5,
        { ...BUSY, details: [{ type: "RetryInfo", retryDelay: 8_000 }] },
        ["GetSandbox"],
      );
      const { events, onRetry } = recorder();
      const controller = new AbortController();
      const { sandbox } = connectClients(protocol, retryInterceptor({ catalogue, onRetry }));
      const started = performance.now();
      const error = await scripted(connectServer, script, async () => {
        const call = rejection(sandbox.getSandbox(GET, { signal: controller.signal }));
        await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 5_000 });
        controller.abort(new Error("user gave up"));
        return call;
      });
      expect(performance.now() - started).toBeLessThan(8_000);
      // As without the interceptor, connect-es reports the caller's abort as CANCELED.
      expect(error).toMatchObject({ code: Code.Canceled });
      expect(arrivals).toHaveLength(1);
    });
  });

  it("does not retry a client-streaming call", async () => {
    const { script, arrivals } = flaky(5, BUSY, ["WriteFile"]);
    const { streams } = connectClients("grpc", retryInterceptor({ catalogue }));
    async function* chunks() {
      yield { sandboxId: "sbx-1", data: new Uint8Array([1, 2, 3]) };
    }
    const error = await scripted(connectServer, script, () => rejection(streams.writeFile(chunks())));
    expect(error).toMatchObject({ code: Code.Unavailable });
    expect(arrivals).toHaveLength(1);
  });

  it("makes no call when the caller's signal has already aborted", async () => {
    const { script, arrivals } = flaky(0, BUSY, ["GetSandbox"]);
    const { sandbox } = connectClients("connect", retryInterceptor({ catalogue }));
    const error = await scripted(connectServer, script, () =>
      rejection(sandbox.getSandbox(GET, { signal: AbortSignal.abort(new Error("too late")) })),
    );
    expect(error).toMatchObject({ code: Code.Canceled });
    expect(arrivals).toHaveLength(0);
  });

  it("honours a grpc-retry-pushback-ms trailer when the status carries no RetryInfo", async () => {
    const pushback: Failure = {
      code: GrpcCode.UNAVAILABLE,
      message: "busy",
      trailers: { "grpc-retry-pushback-ms": "120" },
    };
    const { script, arrivals } = flaky(1, pushback, ["GetSandbox"]);
    const { events, onRetry } = recorder();
    const { sandbox } = connectClients("grpc", retryInterceptor({ catalogue, onRetry, ...SHORT_BACKOFF }));
    await scripted(connectServer, script, () => sandbox.getSandbox(GET));
    expect(events.map((e) => e.delayMs)).toEqual([120]);
    expect(gaps(arrivals)[0]).toBeGreaterThanOrEqual(120 - CLOCK_RESOLUTION_MS);
  });

  it("sends each attempt with the time it has left in the timeout header, within the call's own timeoutMs", async () => {
    const { script } = flaky(2, BUSY, ["GetSandbox"]);
    const seen = attemptsSeen();
    const { sandbox } = connectClients("grpc", retryInterceptor({ catalogue }), seen.interceptor);
    await scripted(connectServer, script, () => sandbox.getSandbox(GET, { timeoutMs: 5_000 }));
    const timeouts = seen.attempts.map(({ header }) => header.get("grpc-timeout"));
    expect(timeouts).toHaveLength(3);
    const ms = timeouts.map((value) => Number(/^(\d+)m$/.exec(value ?? "")?.[1]));
    // Each attempt has what is left of the 5 s: less each time, by at least the hint slept.
    expect(ms[0]).toBeLessThanOrEqual(5_000);
    expect(ms[0]).toBeGreaterThan(4_000);
    expect((ms[0] as number) - (ms[1] as number)).toBeGreaterThanOrEqual(HINT_MS - CLOCK_RESOLUTION_MS);
    expect((ms[1] as number) - (ms[2] as number)).toBeGreaterThanOrEqual(HINT_MS - CLOCK_RESOLUTION_MS);
  });

  it("writes connect-timeout-ms for the Connect protocol", async () => {
    const { script } = flaky(1, BUSY, ["GetSandbox"]);
    const seen = attemptsSeen();
    const { sandbox } = connectClients(
      "connect",
      retryInterceptor({ catalogue, deadline: Date.now() + 3_000 }),
      seen.interceptor,
    );
    await scripted(connectServer, script, () => sandbox.getSandbox(GET));
    const values = seen.attempts.map(({ header }) => Number(header.get("connect-timeout-ms")));
    expect(values).toHaveLength(2);
    for (const value of values) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(3_000);
    }
    expect(seen.attempts.every(({ header }) => !header.has("grpc-timeout"))).toBe(true);
  });

  it("stops at the call's own timeoutMs, though the server asked for a longer wait", async () => {
    const slow: Failure = { ...BUSY, details: [{ type: "RetryInfo", retryDelay: 5_000 }] };
    const { script, arrivals } = flaky(5, slow, ["GetSandbox"]);
    const { sandbox } = connectClients("grpc", retryInterceptor({ catalogue }));
    const started = performance.now();
    const error = await scripted(connectServer, script, () =>
      rejection(sandbox.getSandbox(GET, { timeoutMs: 400 })),
    );
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(arrivals).toHaveLength(1);
    // The call's deadline is reached during the sleep: connect-es's DEADLINE_EXCEEDED, or the last
    // answer should the interceptor's own reading of the deadline come first.
    expect([Code.DeadlineExceeded, Code.Unavailable]).toContain((error as ConnectError).code);
  });

  it("aborts an attempt that runs past attemptTimeoutMs and retries it; the last one ends in the catalogue's timeout error", async () => {
    // An inner interceptor plays a server that never answers: it waits for the attempt's signal.
    const hung: Interceptor = () => (request) =>
      new Promise((_resolve, reject) =>
        request.signal.addEventListener("abort", () => reject(ConnectError.from(request.signal.reason))),
      );
    const { events, onRetry } = recorder();
    const { sandbox } = connectClients(
      "grpc",
      retryInterceptor({ catalogue, attemptTimeoutMs: 50, maxAttempts: 2, onRetry, ...SHORT_BACKOFF }),
      hung,
    );
    const error = await rejection(sandbox.getSandbox(GET));
    expect(events).toHaveLength(1);
    // As connect-es reports its own timeoutMs: DEADLINE_EXCEEDED (not the UNKNOWN connect-es makes
    // of any other error an interceptor throws), caused by the catalogue's error, caused by the
    // attempt's.
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    const mapped = (error as Error).cause as Error;
    expect(mapped).toBeInstanceOf(SandboxRequestTimeoutError);
    expect(mapped.message).toMatch(/attempt 2 ran past attemptTimeoutMs \(50 ms\)/);
    expect(mapped.cause).toBeInstanceOf(ConnectError);
    expect(fromGrpcStatus(error)).toBeInstanceOf(SandboxRequestTimeoutError);
  });

  it("ends in a DEADLINE_EXCEEDED ConnectError even when the timed-out attempt rejected with a hostile proxy", async () => {
    const hung: Interceptor = () => (request) =>
      new Promise((_resolve, reject) =>
        request.signal.addEventListener("abort", () => reject(throwingProxy())),
      );
    const { sandbox } = connectClients(
      "grpc",
      retryInterceptor({ catalogue, attemptTimeoutMs: 30, maxAttempts: 1, ...SHORT_BACKOFF }),
      hung,
    );
    const error = await rejection(sandbox.getSandbox(GET));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    expect((error as Error).cause).toBeInstanceOf(SandboxRequestTimeoutError);
  });

  it("rejects every call at once with the catalogue's timeout error when the deadline has passed", async () => {
    const { script, arrivals } = flaky(0, BUSY, ["GetSandbox"]);
    const { sandbox } = connectClients("connect", retryInterceptor({ catalogue, deadline: Date.now() - 1 }));
    const error = await scripted(connectServer, script, () => rejection(sandbox.getSandbox(GET)));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    expect((error as Error).cause).toBeInstanceOf(SandboxRequestTimeoutError);
    expect(((error as Error).cause as Error).cause).toBeUndefined();
    expect(arrivals).toHaveLength(0);
  });

  it("shares its throttle between calls", async () => {
    const throttle = createRetryThrottle({ maxTokens: 4, tokenRatio: 0.5 });
    const { script, arrivals } = flaky(10, BUSY, ["GetSandbox"]);
    const { sandbox } = connectClients("grpc", retryInterceptor({ catalogue, throttle }));
    await scripted(connectServer, script, async () => {
      // 3 tokens left after the first failure: a retry; 2 after the second: refused.
      await rejection(sandbox.getSandbox(GET));
      expect(arrivals).toHaveLength(2);
      // 1 left: refused at once.
      await rejection(sandbox.getSandbox(GET));
      expect(arrivals).toHaveLength(3);
    });
    expect(throttle.tokens).toBe(1);
  });

  it("judges with the fallback policy when no catalogue is given", async () => {
    const judged: unknown[] = [];
    const policy: RetryPolicy = {
      judge: (error) => {
        judged.push(error);
        return { retryable: true, retryDelay: 5 };
      },
      timeoutError: (message) => new Error(message),
    };
    const { script, arrivals } = flaky(1, MISSING, ["GetSandbox"]);
    const { sandbox } = connectClients("connect", retryInterceptorWith({}, policy));
    await scripted(connectServer, script, () => sandbox.getSandbox(GET));
    expect(arrivals).toHaveLength(2);
    expect(judged).toHaveLength(1);
    expect(judged[0]).toMatchObject({ code: Code.NotFound });
  });
});

// ---------------------------------------------------------------------------------------------
// nice-grpc
// ---------------------------------------------------------------------------------------------

/** nice-grpc clients of the test server with `middleware`, the first added innermost. */
function niceClients(...middleware: ClientMiddleware[]) {
  const channel = createChannel(niceServer.address);
  let factory = createClientFactory();
  for (const each of middleware) factory = factory.use(each);
  const clients = {
    sandbox: factory.create(niceSandboxService, channel),
    streams: factory.create(niceStreamService, channel),
  };
  return { ...clients, [Symbol.dispose]: () => channel.close() };
}

describe("retryMiddleware (nice-grpc)", () => {
  it("is a nice-grpc ClientMiddleware without a cast", () => {
    expectTypeOf(retryMiddleware()).toExtend<ClientMiddleware>();
    expectTypeOf<NiceGrpcRetryMiddleware>().toExtend<ClientMiddleware>();
    const factory = createClientFactory().use(retryMiddleware({ catalogue }));
    expect(typeof factory.create).toBe("function");
  });

  it("retries a unary call that fails twice, honouring the RetryInfo nice-grpc itself drops", async () => {
    const { script, arrivals } = flaky(2, BUSY, ["GetSandbox"]);
    const { events, onRetry } = recorder();
    using clients = niceClients(retryMiddleware({ catalogue, onRetry, ...SHORT_BACKOFF }));
    const answer = await scripted(niceServer, script, () => clients.sandbox.getSandbox(GET));
    expect(answer).toMatchObject({ sandboxId: "sbx-1", state: "RUNNING" });
    expect(arrivals).toHaveLength(3);
    for (const gap of gaps(arrivals)) expect(gap).toBeGreaterThanOrEqual(HINT_MS - CLOCK_RESOLUTION_MS);
    expect(events.map((e) => e.delayMs)).toEqual([HINT_MS, HINT_MS]);
  });

  it("throws nice-grpc's own ClientError, untouched, without the error middleware", async () => {
    const { script, arrivals } = flaky(5, BUSY, ["GetSandbox"]);
    using clients = niceClients(retryMiddleware({ catalogue, maxAttempts: 2, ...SHORT_BACKOFF }));
    const error = await scripted(niceServer, script, () => rejection(clients.sandbox.getSandbox(GET)));
    expect(arrivals).toHaveLength(2);
    expect(error).toMatchObject({
      name: "ClientError",
      code: GrpcCode.UNAVAILABLE,
      details: "runner busy (call 2)",
    });
    expect(isSandboxSdkError(error)).toBe(false);
    // The trailers were read through a view: the error itself gained nothing.
    expect(Object.getOwnPropertyNames(error)).not.toContain("metadata");
  });

  describe("with niceGrpcErrorMiddleware, in either order", () => {
    // nice-grpc runs the middleware added last outermost.
    const orders = {
      "error middleware outside": (retrying: ClientMiddleware) => [retrying, niceGrpcErrorMiddleware()],
      "error middleware inside": (retrying: ClientMiddleware) => [niceGrpcErrorMiddleware(), retrying],
    } as const;
    type Order = keyof typeof orders;

    async function failingCall(order: Order, failures: number) {
      const { events, onRetry } = recorder();
      const { script, arrivals } = flaky(failures, BUSY, ["GetSandbox"]);
      using clients = niceClients(
        ...orders[order](retryMiddleware({ catalogue, maxAttempts: 3, onRetry, ...SHORT_BACKOFF })),
      );
      const outcome = await scripted(niceServer, script, () =>
        clients.sandbox.getSandbox(GET).then(
          (value) => ({ value, error: undefined }),
          (error: unknown) => ({ value: undefined, error }),
        ),
      );
      return { ...outcome, arrivals, delays: events.map((e) => e.delayMs) };
    }

    it.each(Object.keys(orders) as Order[])(
      "%s: retries with the hint, and throws the mapped last error",
      async (order) => {
        const { error, arrivals, delays } = await failingCall(order, 5);
        expect(arrivals).toHaveLength(3);
        expect(delays).toEqual([HINT_MS, HINT_MS]);
        expect(error).toBeInstanceOf(SandboxUnavailableError);
        expect(error).toMatchObject({
          grpcCode: GrpcCode.UNAVAILABLE,
          retryDelay: HINT_MS,
          reason: Reason.RUNNER_UNAVAILABLE,
          metadata: { runner: "r-1" },
        });
        // The last attempt's error, mapped.
        expect((error as Error).message).toMatch(/runner busy \(call 3\)/);
      },
    );

    it("both orders make the same decisions and throw equal errors", async () => {
      const outside = await failingCall("error middleware outside", 5);
      const inside = await failingCall("error middleware inside", 5);
      expect(outside.delays).toEqual(inside.delays);
      const fields = (error: unknown) => {
        const { message, name, reason, domain, metadata, retryDelay, grpcCode, details, requestId } =
          error as SandboxSdkError;
        return {
          message,
          name,
          reason,
          domain,
          metadata,
          retryDelay,
          grpcCode,
          details,
          requestId,
        };
      };
      expect(fields(outside.error)).toEqual(fields(inside.error));
      const healed = [
        await failingCall("error middleware outside", 1),
        await failingCall("error middleware inside", 1),
      ];
      for (const { value, arrivals } of healed) {
        expect(value).toMatchObject({ state: "RUNNING" });
        expect(arrivals).toHaveLength(2);
      }
    });
  });

  it("retries a server stream that failed before its first message", async () => {
    const { script, arrivals } = flaky(2, BUSY, ["Exec"]);
    using clients = niceClients(retryMiddleware({ catalogue, ...SHORT_BACKOFF }));
    const words = await scripted(niceServer, script, async () => {
      const seen: string[] = [];
      for await (const output of clients.sandbox.exec(EXEC)) seen.push(decode(output.stdout));
      return seen;
    });
    expect(words).toEqual(EXEC.command);
    expect(arrivals).toHaveLength(3);
  });

  it("does not retry a server stream that fails after its first message", async () => {
    const { script, arrivals } = flaky(5, { ...BUSY, afterMessages: 1 }, ["Exec"]);
    using clients = niceClients(retryMiddleware({ catalogue }));
    const seen: string[] = [];
    const error = await scripted(niceServer, script, () =>
      rejection(
        (async () => {
          for await (const output of clients.sandbox.exec(EXEC)) seen.push(decode(output.stdout));
        })(),
      ),
    );
    expect(seen).toEqual(["one"]);
    expect(error).toMatchObject({ name: "ClientError", details: "runner busy (call 1)" });
    expect(arrivals).toHaveLength(1);
  });

  it.each([
    ["stops early", 1],
    ["reads to the end", Number.POSITIVE_INFINITY],
  ])("leaves no listener on the caller's signal once the consumer %s", async (_label, wanted) => {
    const { script } = flaky(1, BUSY, ["Exec"]);
    const controller = new AbortController();
    using clients = niceClients(retryMiddleware({ catalogue, ...SHORT_BACKOFF }));
    const words = await scripted(niceServer, script, async () => {
      const seen: string[] = [];
      for await (const output of clients.sandbox.exec(EXEC, { signal: controller.signal })) {
        seen.push(decode(output.stdout));
        if (seen.length >= wanted) break;
      }
      return seen;
    });
    expect(words).toEqual(EXEC.command.slice(0, wanted));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it.each([
    ["a client-streaming call", "WriteFile"],
    ["a bidi call", "Attach"],
  ])("does not retry %s", async (_label, method) => {
    const { script, arrivals } = flaky(5, BUSY, [method]);
    using clients = niceClients(retryMiddleware({ catalogue }));
    async function* chunks() {
      yield { sandboxId: "sbx-1", data: new Uint8Array([1]), stdin: new Uint8Array([1]) };
    }
    const error = await scripted(niceServer, script, () =>
      rejection(
        method === "WriteFile"
          ? clients.streams.writeFile(chunks())
          : (async () => {
              for await (const _ of clients.streams.attach(chunks())) {
                // drain
              }
            })(),
      ),
    );
    expect(error).toMatchObject({ name: "ClientError", code: GrpcCode.UNAVAILABLE });
    expect(arrivals).toHaveLength(1);
  });

  it("re-throws the caller's abort at once, with its reason, and calls no more", async () => {
    const { script, arrivals } = flaky(5, { ...BUSY, details: [{ type: "RetryInfo", retryDelay: 8_000 }] }, [
      "GetSandbox",
    ]);
    const { events, onRetry } = recorder();
    const controller = new AbortController();
    const reason = new Error("user gave up");
    using clients = niceClients(retryMiddleware({ catalogue, onRetry }));
    const error = await scripted(niceServer, script, async () => {
      const call = rejection(clients.sandbox.getSandbox(GET, { signal: controller.signal }));
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 5_000 });
      controller.abort(reason);
      return call;
    });
    expect(error).toBe(reason);
    expect(arrivals).toHaveLength(1);
  });

  it("hands the caller's onHeader and onTrailer the last attempt's metadata, once", async () => {
    const { script } = flaky(2, BUSY, ["GetSandbox"]);
    const headers: unknown[] = [];
    const trailers: unknown[] = [];
    using clients = niceClients(retryMiddleware({ catalogue, ...SHORT_BACKOFF }));
    await scripted(niceServer, script, () =>
      clients.sandbox.getSandbox(GET, {
        onHeader: (header) => headers.push(header),
        onTrailer: (trailer) => trailers.push(trailer),
      }),
    );
    expect(headers).toHaveLength(1);
    expect(trailers).toHaveLength(1);
    // The successful attempt's trailers: no status details in them.
    expect((trailers[0] as { has(key: string): boolean }).has("grpc-status-details-bin")).toBe(false);
  });

  it("gives each attempt a signal that aborts when attemptTimeoutMs runs out", async () => {
    const signals: AbortSignal[] = [];
    // An inner middleware plays a server that never answers: it waits for the attempt's signal.
    const hung: ClientMiddleware = async function* (call, options) {
      signals.push(options.signal as AbortSignal);
      if (signals.length === 1) {
        await new Promise((_resolve, reject) =>
          options.signal?.addEventListener("abort", () => reject(options.signal?.reason)),
        );
      }
      return yield* call.next(call.request, options);
    };
    const { events, onRetry } = recorder();
    using clients = niceClients(
      hung,
      retryMiddleware({ catalogue, attemptTimeoutMs: 100, onRetry, ...SHORT_BACKOFF }),
    );
    const answer = await clients.sandbox.getSandbox(GET);
    expect(answer).toMatchObject({ state: "RUNNING" });
    expect(signals[0]?.reason).toMatchObject({ name: "TimeoutError" });
    expect(events[0]?.error).toBeInstanceOf(SandboxRequestTimeoutError);
  });

  it("passes the caller's deadline down per attempt, as the time each attempt has left", async () => {
    const { script } = flaky(2, BUSY, ["GetSandbox"]);
    const deadlines: unknown[] = [];
    const recording: ClientMiddleware<{ deadline: Date | number }> = async function* (call, options) {
      deadlines.push(options.deadline);
      return yield* call.next(call.request, options);
    };
    const deadline = new Date(Date.now() + 5_000);
    using clients = niceClients(
      recording as ClientMiddleware,
      retryMiddleware({ catalogue, attemptTimeoutMs: 1_000, ...SHORT_BACKOFF }),
    );
    await scripted(niceServer, script, () => clients.sandbox.getSandbox(GET, { deadline } as never));
    expect(deadlines).toHaveLength(3);
    for (const each of deadlines) {
      expect(each).toBeInstanceOf(Date);
      // attemptTimeoutMs is the tighter limit: about a second from each attempt's start.
      expect((each as Date).getTime()).toBeLessThan(deadline.getTime());
    }
  });

  it("judges with the fallback policy when no catalogue is given", async () => {
    const judged: unknown[] = [];
    const policy: RetryPolicy = {
      judge: (error) => {
        judged.push(error);
        return { retryable: true, retryDelay: 5 };
      },
      timeoutError: (message) => new Error(message),
    };
    const { script, arrivals } = flaky(1, MISSING, ["GetSandbox"]);
    using clients = niceClients(retryMiddlewareWith({}, policy));
    await scripted(niceServer, script, () => clients.sandbox.getSandbox(GET));
    expect(arrivals).toHaveLength(2);
    expect((judged[0] as ClientError).code).toBe(GrpcCode.NOT_FOUND);
  });
});

describe("options", () => {
  it.each<[string, TransportRetryOptions, ErrorConstructor, RegExp]>([
    ["a factor below 1", { factor: 0.5 }, RangeError, /retry(Interceptor|Middleware): factor/],
    ["maxDelayMs below baseDelayMs", { maxDelayMs: 10, baseDelayMs: 50 }, RangeError, /maxDelayMs/],
    ["a NaN deadline", { deadline: Number.NaN }, RangeError, /deadline/],
    ["an invalid Date deadline", { deadline: new Date("x") }, RangeError, /deadline/],
    ["a signal", { signal: AbortSignal.abort() as never }, TypeError, /signal.*each call's own signal/],
    ["a catalogue without fromGrpcStatus", { catalogue: {} as never }, TypeError, /catalogue/],
  ])("rejects %s when the interceptor or middleware is made", (_label, options, type, message) => {
    for (const make of [retryInterceptor, retryMiddleware]) {
      expect(() => make(options)).toThrow(type);
      expect(() => make(options)).toThrow(message);
    }
  });

  it("policyOf makes the catalogue's DEADLINE_EXCEEDED error, with the attempt's error as its cause", () => {
    const cause = new Error("cancelled");
    const error = policyOf(catalogue).timeoutError("attempt 2 ran past attemptTimeoutMs (50 ms)", cause);
    expect(error).toBeInstanceOf(SandboxRequestTimeoutError);
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(/attempt 2 ran past attemptTimeoutMs/);
    expect(policyOf(catalogue).timeoutError("the deadline had passed").cause).toBeUndefined();
  });
});

describe("docs/retrying.md", () => {
  const page = readFileSync(new URL("../../docs/retrying.md", import.meta.url), "utf8");
  const section = page.slice(page.indexOf("## Options"), page.indexOf("## ", page.indexOf("## Options") + 3));
  /** The options table: the option's name (without a signature) → its default column. */
  const rows = new Map(
    [...section.matchAll(/^\| `(\w+)[^`]*` \| ([^|]+) \|/gm)].map(([, name, fallback]) => [
      name as string,
      (fallback as string).trim(),
    ]),
  );

  it("lists every option of retry, the interceptor and the middleware, and no other", () => {
    // Type-checked: a name missing here, or one that is no option, fails to compile.
    const options = {
      budgetMs: true,
      deadline: true,
      maxAttempts: true,
      baseDelayMs: true,
      maxDelayMs: true,
      factor: true,
      maxHintedDelayMs: true,
      attemptTimeoutMs: true,
      throttle: true,
      signal: true,
      shouldRetry: true,
      onRetry: true,
      random: true,
      catalogue: true,
    } satisfies Record<keyof RetryOptions | keyof TransportRetryOptions, true>;
    expectTypeOf<keyof typeof options>().toEqualTypeOf<keyof RetryOptions | keyof TransportRetryOptions>();
    expect([...rows.keys()].sort()).toEqual(Object.keys(options).sort());
  });

  it("gives the defaults the engine uses", () => {
    for (const [name, value] of Object.entries(RETRY_DEFAULTS)) {
      const shown = rows.get(name)?.replace(/`/g, "").replace(/_/g, "");
      expect(Number(shown), name).toBe(value);
    }
  });
});
