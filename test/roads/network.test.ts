/**
 * SPEC §13's network failures and the caller's aborts, against real clients and real loopback
 * servers (or no server at all):
 *
 * - a refused connection (a port bound, noted and closed again), a host that does not resolve (the
 *   reserved `.invalid` domain), and a server that resets the connection mid-response, reached by
 *   grpc-js, connect-node (Connect, gRPC, gRPC-web), nice-grpc, `fetch` and axios; and the four
 *   browsers' `fetch` wordings. Each is the default preset's retryable `SandboxUnavailableError` of
 *   code UNAVAILABLE, `rawMessage` undefined (nothing came from the server), the outermost error's
 *   message as its details; `isRetryable(raw)` says so without the classes; `retry` retries it and
 *   re-throws the raw error unchanged; Modal's preset gives a `ServiceError`.
 * - the caller's `AbortSignal` on each road (connect-es, nice-grpc, fetch, axios, and grpc-js's
 *   `call.cancel()`): `fromGrpcStatus` gives the scope's base class, no `grpcCode`, not retryable,
 *   never `SandboxNotRunningError` (SPEC §13); `retry`, `retryInterceptor`, `retryMiddleware` and the
 *   adapters give back the abort itself, the signal's `reason` (§6, §13, §15, §18).
 *
 * Every expectation comes from the SPEC's templates and rules, applied to what the road delivered
 * (each test first checks that premise: the road did throw what it is said to throw).
 */
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import axios from "axios";
import {
  type CallOptions,
  ClientError,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  createChannel,
  createClientFactory,
} from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fromGrpcStatus,
  GrpcCode,
  isRetryable,
  isSandboxSdkError,
  niceGrpcErrorMiddleware,
  policyOf,
  retry,
  retryInterceptor,
  retryMiddleware,
  retryWith,
  SandboxError,
  SandboxNotRunningError,
  SandboxUnavailableError,
  withErrorMapping,
} from "../../src/index.js";
import * as modal from "../../src/presets/modal/index.js";
import { SandboxService as GrpcJsSandboxService } from "../support/sandbox-service.js";
import {
  type ConnectProtocol,
  type ConnectServer,
  startConnectServer,
} from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { type GrpcJsServer, startGrpcJsServer } from "../support/transports/grpc-js.js";
import { closedPort, type HttpServer, startHttpServer } from "../support/transports/http.js";
import {
  type NiceGrpcServer,
  niceSandboxService,
  startNiceGrpcServer,
} from "../support/transports/nice-grpc.js";
import { rejection, type Script, scripted } from "../support/transports/script.js";

/** What the SDK was doing, as it tells the mapping. */
const CONTEXT = { operation: "GetSandbox", sandboxId: "sbx-1" } as const;
const GET = { sandboxId: "sbx-1" };

/** SPEC §5's template for UNAVAILABLE in the default (sandbox) scope. */
const unavailableMessage = (details: string) => `Service unavailable: ${details}`;
/** SPEC §13's message for the caller's abort (`timed out` for a `TimeoutError`). */
const abortedMessage = (operation: string) => `${operation} was aborted`;
const timedOutMessage = (operation: string) => `${operation} timed out`;

/** Retry quickly: these tests count attempts, they do not time the backoff. */
const QUICK = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } as const;

/** The `code` of each error down a `cause` chain, outermost first (Node's and undici's are deep in it). */
function causeCodes(error: unknown): unknown[] {
  const codes: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    codes.push((current as { code?: unknown }).code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** The own keys and message of `error`: what "re-thrown unchanged" must leave as it was. */
function snapshot(error: unknown) {
  const object = error as Record<string, unknown>;
  return { keys: Reflect.ownKeys(object), message: object.message, code: object.code, cause: object.cause };
}

// ---------------------------------------------------------------------------------------------
// The roads, as a client meets a server it cannot reach
// ---------------------------------------------------------------------------------------------

/** Where the client is sent. */
interface Target {
  readonly host: string;
  readonly port: number;
}
const urlOf = ({ host, port }: Target) => `http://${host}:${port}`;
const addressOf = ({ host, port }: Target) => `${host}:${port}`;

/** Which failure to reach a server it is, and the system error codes Node reports for it. */
interface Unreachable {
  readonly name: string;
  readonly target: () => Target;
  /** `ECONNREFUSED`; `ENOTFOUND` (or `EAI_AGAIN` on a machine whose resolver cannot answer). */
  readonly systemCodes: readonly string[];
}

/** One client. */
interface NetworkRoad {
  readonly name: string;
  /** One call to `target`, which must fail: what it threw. */
  call(target: Target): Promise<unknown>;
  /** The premise: `raw` is what this client throws when it cannot reach the server. */
  premise(raw: unknown, unreachable: Unreachable): void;
}

const grpcJsRoad: NetworkRoad = {
  name: "grpc-js",
  call: (target) => {
    const client = new GrpcJsSandboxService(addressOf(target), grpc.credentials.createInsecure());
    return new Promise<unknown>((resolve) => {
      (client as unknown as Record<string, (r: unknown, cb: (e: unknown) => void) => void>).getSandbox?.(
        GET,
        (error) => {
          client.close();
          resolve(error ?? new Error("expected the call to fail"));
        },
      );
    });
  },
  premise(raw) {
    expect(raw).toBeInstanceOf(Error);
    expect((raw as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect(typeof (raw as grpc.ServiceError).details).toBe("string");
  },
};

const niceGrpcRoad: NetworkRoad = {
  name: "nice-grpc",
  async call(target) {
    const channel = createChannel(addressOf(target));
    try {
      return await rejection(createClientFactory().create(niceSandboxService, channel).getSandbox(GET));
    } finally {
      channel.close();
    }
  },
  premise(raw) {
    expect(raw).toBeInstanceOf(ClientError);
    expect((raw as ClientError).code).toBe(GrpcCode.UNAVAILABLE);
  },
};

const CONNECT_TRANSPORTS = {
  connect: createConnectTransport,
  grpc: createGrpcTransport,
  "grpc-web": createGrpcWebTransport,
} as const;

function connectRoad(protocol: ConnectProtocol, httpVersion: "1.1" | "2"): NetworkRoad {
  return {
    name: `connect-node, ${protocol} protocol over HTTP/${httpVersion}`,
    call: (target) =>
      rejection(
        createClient(
          SandboxService,
          CONNECT_TRANSPORTS[protocol]({ baseUrl: urlOf(target), httpVersion }),
        ).getSandbox(GET),
      ),
    premise(raw, unreachable) {
      expect(raw).toBeInstanceOf(ConnectError);
      expect((raw as ConnectError).code).toBe(Code.Unavailable);
      expect(unreachable.systemCodes).toContain(causeCodes(raw)[1]);
    },
  };
}

const fetchRoad: NetworkRoad = {
  name: "fetch (undici)",
  call: (target) => rejection(fetch(urlOf(target))),
  premise(raw, unreachable) {
    expect(raw).toBeInstanceOf(TypeError);
    expect((raw as TypeError).message).toBe("fetch failed");
    expect(unreachable.systemCodes).toContain(causeCodes(raw)[1]);
  },
};

const axiosRoad: NetworkRoad = {
  name: "axios",
  call: (target) => rejection(axios.get(urlOf(target))),
  premise(raw, unreachable) {
    expect(axios.isAxiosError(raw)).toBe(true);
    expect((raw as { response?: unknown }).response).toBeUndefined();
    expect(unreachable.systemCodes).toContain((raw as { code?: unknown }).code);
  },
};

const NETWORK_ROADS: readonly NetworkRoad[] = [
  grpcJsRoad,
  niceGrpcRoad,
  connectRoad("connect", "2"),
  connectRoad("connect", "1.1"),
  connectRoad("grpc", "2"),
  connectRoad("grpc-web", "2"),
  connectRoad("grpc-web", "1.1"),
  fetchRoad,
  axiosRoad,
];

let refusedPort = 0;

const UNREACHABLE: readonly Unreachable[] = [
  {
    name: "a closed port (ECONNREFUSED)",
    target: () => ({ host: "127.0.0.1", port: refusedPort }),
    systemCodes: ["ECONNREFUSED"],
  },
  {
    // RFC 6761: `.invalid` never resolves. A machine without a resolver answers EAI_AGAIN instead.
    name: "a host that does not resolve (ENOTFOUND)",
    target: () => ({ host: "sandbox.invalid", port: 443 }),
    systemCodes: ["ENOTFOUND", "EAI_AGAIN"],
  },
];

/**
 * What SPEC §13 says of a network failure `raw`, whose `{details}` is `details`: under the default
 * preset, a `SandboxUnavailableError` (exactly: no subclass), code UNAVAILABLE, `Service unavailable:
 * {details}`, retryable, `cause` the raw error, no HTTP status; `isRetryable(raw)` agrees without the
 * classes; under Modal's preset, a retryable `ServiceError` whose message is `{details}` bare.
 * `rawMessage` is checked by the caller (undefined: nothing came from the server).
 */
function expectUnavailable(raw: unknown, details: string): void {
  const mapped = fromGrpcStatus(raw, CONTEXT);
  expect(mapped.constructor).toBe(SandboxUnavailableError);
  expect(mapped.grpcCode).toBe(GrpcCode.UNAVAILABLE);
  expect(mapped.message).toBe(unavailableMessage(details));
  expect(mapped.retryable).toBe(true);
  expect(mapped.cause).toBe(raw);
  expect(mapped.httpStatus).toBeUndefined();
  expect(mapped.operation).toBe(CONTEXT.operation);
  expect(mapped.sandboxId).toBe(CONTEXT.sandboxId);
  expect(isRetryable(raw)).toBe(true);

  const modalMapped = modal.fromGrpcStatus(raw, CONTEXT);
  expect(modalMapped.constructor).toBe(modal.ServiceError);
  expect(modalMapped.grpcCode).toBe(GrpcCode.UNAVAILABLE);
  expect(modalMapped.message).toBe(details);
  expect(modalMapped.retryable).toBe(true);
  expect(modal.isRetryable(raw)).toBe(true);
}

/** `retry(() => rawCall())` calls until `maxAttempts`, then re-throws the last raw error unchanged. */
async function expectRetriedUnchanged(call: () => Promise<unknown>): Promise<void> {
  const thrown: { error: unknown; at: ReturnType<typeof snapshot> }[] = [];
  const final = await rejection(
    retry(async () => {
      const error = await call();
      thrown.push({ error, at: snapshot(error) });
      throw error;
    }, QUICK),
  );
  expect(thrown).toHaveLength(QUICK.maxAttempts);
  const last = thrown.at(-1);
  expect(final).toBe(last?.error);
  expect(isSandboxSdkError(final)).toBe(false);
  expect(snapshot(final)).toEqual(last?.at);
}

beforeAll(async () => {
  refusedPort = await closedPort();
});

describe.each(UNREACHABLE)("$name", (unreachable) => {
  describe.each(NETWORK_ROADS)("$name", (road) => {
    it("is the default preset's retryable SandboxUnavailableError; Modal's ServiceError", async () => {
      const raw = await road.call(unreachable.target());
      road.premise(raw, unreachable);
      // SPEC §13's `{details}` of a network failure: the outermost error's message, on every road.
      expectUnavailable(raw, (raw as Error).message);
      // SPEC §2: no rawMessage for a failure raised on the client — grpc-js's own UNAVAILABLE included.
      expect(fromGrpcStatus(raw, CONTEXT).rawMessage).toBeUndefined();
      expect(modal.fromGrpcStatus(raw, CONTEXT).rawMessage).toBeUndefined();
    });

    it("retry(() => rawCall()) retries it and re-throws the raw error unchanged", async () => {
      await expectRetriedUnchanged(async () => {
        const raw = await road.call(unreachable.target());
        road.premise(raw, unreachable);
        return raw;
      });
    });
  });
});

describe("fetch's words in each browser engine, as the TypeError it throws", () => {
  const WORDINGS = [
    ["Chromium", "Failed to fetch"],
    ["Node (undici)", "fetch failed"],
    ["Safari (WebKit)", "Load failed"],
    ["Firefox (Gecko)", "NetworkError when attempting to fetch resource."],
  ] as const;

  describe.each(WORDINGS)("%s: %s", (_engine, wording) => {
    it("is a retryable SandboxUnavailableError with no rawMessage, the wording its details", () => {
      const raw = new TypeError(wording);
      expectUnavailable(raw, wording);
      expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
    });

    it("wrapped by connect-web (ConnectError.from: code UNKNOWN, the TypeError its cause) reads the same", () => {
      const raw = ConnectError.from(new TypeError(wording));
      expect(raw.code).toBe(Code.Unknown);
      expect(raw.cause).toBeInstanceOf(TypeError);
      expectUnavailable(raw, raw.message);
      expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
    });

    it("retry retries it and re-throws the raw TypeError unchanged", async () => {
      await expectRetriedUnchanged(async () => new TypeError(wording));
    });
  });

  it("a TypeError of another message is a programming error, never retried", async () => {
    const bug = new TypeError("client.getSandbox is not a function");
    const mapped = fromGrpcStatus(bug, CONTEXT);
    expect(mapped).not.toBeInstanceOf(SandboxUnavailableError);
    expect(mapped.grpcCode).toBeUndefined();
    expect(isRetryable(bug)).toBe(false);
    let calls = 0;
    const final = await rejection(
      retry(() => {
        calls++;
        throw bug;
      }, QUICK),
    );
    expect(final).toBe(bug);
    expect(calls).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// A server that resets the connection mid-response
// ---------------------------------------------------------------------------------------------

/**
 * A server that takes every request and then holds it, until the test drops the connection: with a
 * TCP reset (`ECONNRESET` at the client) or a plain close (undici: `UND_ERR_SOCKET`). With
 * `startResponses` it first starts the response (the status line, headers echoing the request's
 * content type, the first bytes of a longer body); without, it sends nothing before the drop.
 */
interface DroppingServer {
  readonly url: string;
  startResponses: boolean;
  /** Resolves once a request has arrived (and its response's first bytes are on the socket). */
  arrived(): Promise<void>;
  /** Drops every open connection: `"reset"` (RST) or `"close"` (FIN). */
  drop(how: "reset" | "close"): void;
  close(): Promise<void>;
}

async function startDroppingServer(): Promise<DroppingServer> {
  const open = new Set<Socket>();
  let signal: () => void = () => {};
  const next = () =>
    new Promise<void>((resolve) => {
      signal = resolve;
    });
  let arrival = next();
  const running = {
    url: "",
    startResponses: true,
    arrived: () => arrival,
    drop(how: "reset" | "close") {
      for (const socket of open) {
        if (how === "reset") socket.resetAndDestroy();
        else socket.destroy();
      }
      open.clear();
      arrival = next();
    },
    close: async () => {},
  };
  const server = http.createServer((request, response) => {
    request.resume();
    open.add(request.socket);
    if (!running.startResponses) return signal();
    response.writeHead(200, {
      "content-type": request.headers["content-type"] ?? "application/json",
      "content-length": "1000",
    });
    response.write(new Uint8Array([0, 0, 0, 0, 100, 10]), () => signal());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  running.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  running.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return running;
}

describe("a server that resets the connection", () => {
  let server: DroppingServer;
  beforeAll(async () => {
    server = await startDroppingServer();
  });
  afterAll(() => server.close());

  /** Makes `call`, and drops its connection (`how`) once the server has the request. */
  async function dropped(call: () => Promise<unknown>, how: "reset" | "close", started: boolean) {
    server.startResponses = started;
    const outcome = rejection(call());
    await server.arrived();
    server.drop(how);
    return outcome;
  }

  /** A fetch whose response head arrived, then its body read failed as the server dropped it. */
  async function fetchDropped(how: "reset" | "close"): Promise<unknown> {
    server.startResponses = true;
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    server.drop(how);
    return rejection(response.text());
  }

  it.each([
    ["a reset (RST): ECONNRESET", "reset", "ECONNRESET"],
    ["a close (FIN): undici's UND_ERR_SOCKET", "close", "UND_ERR_SOCKET"],
  ] as const)(
    "fetch, the body cut mid-response by %s, is a retryable SandboxUnavailableError",
    async (_, how, code) => {
      const raw = await fetchDropped(how);
      // The premise: undici's TypeError "terminated", the socket's error its cause.
      expect(raw).toBeInstanceOf(TypeError);
      expect(causeCodes(raw)).toContain(code);
      expectUnavailable(raw, (raw as Error).message);
      expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
      await expectRetriedUnchanged(() => fetchDropped(how));
    },
  );

  it("fetch, reset before any response: `fetch failed`, ECONNRESET its cause, a retryable SandboxUnavailableError", async () => {
    const resetEarly = () => dropped(() => fetch(server.url), "reset", false);
    const raw = await resetEarly();
    expect(raw).toBeInstanceOf(TypeError);
    expect((raw as Error).message).toBe("fetch failed");
    expect(causeCodes(raw)).toContain("ECONNRESET");
    expectUnavailable(raw, (raw as Error).message);
    expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
    await expectRetriedUnchanged(resetEarly);
  });

  it("axios, reset before any response: ECONNRESET, a retryable SandboxUnavailableError", async () => {
    const resetEarly = () => dropped(() => axios.get(server.url), "reset", false);
    const raw = await resetEarly();
    expect(axios.isAxiosError(raw)).toBe(true);
    expect((raw as { code?: unknown }).code).toBe("ECONNRESET");
    expect((raw as { response?: unknown }).response).toBeUndefined();
    expectUnavailable(raw, (raw as Error).message);
    expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
    await expectRetriedUnchanged(resetEarly);
  });

  // axios rejects a body cut short after its 200 head with the response attached (ERR_BAD_RESPONSE
  // "stream has been aborted"): a success whose body never arrived whole is the lost connection it
  // is, not the 200 it began as. A close (FIN) after the head's bytes reached the socket always gives
  // this shape; a reset (RST) races the client's read of the head, and gives it or the plain
  // ECONNRESET above.
  it("axios, the body cut by a close after its 200 head, is a retryable SandboxUnavailableError", async () => {
    const raw = await dropped(() => axios.get(server.url), "close", true);
    expect(axios.isAxiosError(raw)).toBe(true);
    expect((raw as { response?: { status?: unknown } }).response?.status).toBe(200);
    expectUnavailable(raw, (raw as Error).message);
  });

  // SPEC §13 lists ECONNRESET "itself or as a cause"; connect-node files it under ABORTED (its
  // node-error.ts: a destroyed stream "usually means the client hung up"), with the reset its cause.
  // A status from the server never has a system error as its cause: the reset is a network failure.
  it.each(["connect", "grpc-web"] as const)(
    "connect-node over %s, reset mid-response (ABORTED, ECONNRESET its cause), is a SandboxUnavailableError",
    async (protocol) => {
      const client = createClient(
        SandboxService,
        CONNECT_TRANSPORTS[protocol]({ baseUrl: server.url, httpVersion: "1.1" }),
      );
      const raw = await dropped(() => client.getSandbox(GET), "reset", true);
      expect(raw).toBeInstanceOf(ConnectError);
      expect(causeCodes(raw)).toContain("ECONNRESET");
      expectUnavailable(raw, (raw as Error).message);
      expect(fromGrpcStatus(raw).rawMessage).toBeUndefined();
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Retry inside the transports, on a refused connection
// ---------------------------------------------------------------------------------------------

describe("retry inside the transport, on a refused connection", () => {
  it.each(["connect", "grpc", "grpc-web"] as const)(
    "retryInterceptor over %s retries it, and the caller gets the transport's error",
    async (protocol) => {
      let attempts = 0;
      // Inner to the retry interceptor (interceptors run first to last, outside in): sees each attempt.
      const counter: Interceptor = (next) => (request) => {
        attempts++;
        return next(request);
      };
      const transport = CONNECT_TRANSPORTS[protocol]({
        baseUrl: `http://127.0.0.1:${refusedPort}`,
        httpVersion: "2",
        interceptors: [retryInterceptor(QUICK), counter],
      });
      const raw = await rejection(createClient(SandboxService, transport).getSandbox(GET));
      expect(attempts).toBe(QUICK.maxAttempts);
      expect(raw).toBeInstanceOf(ConnectError);
      expect((raw as ConnectError).code).toBe(Code.Unavailable);
      expect(causeCodes(raw)).toContain("ECONNREFUSED");
    },
  );

  it("retryMiddleware retries it on nice-grpc, and the caller gets nice-grpc's error", async () => {
    let attempts = 0;
    const counter: ClientMiddleware = async function* <Request, Response>(
      call: ClientMiddlewareCall<Request, Response>,
      options: CallOptions,
    ) {
      attempts++;
      return yield* call.next(call.request, options);
    };
    const channel = createChannel(`127.0.0.1:${refusedPort}`);
    try {
      // nice-grpc runs the middleware added last outermost: the counter is inside the retry.
      const client = createClientFactory()
        .use(counter)
        .use(retryMiddleware(QUICK))
        .create(niceSandboxService, channel);
      const raw = await rejection(client.getSandbox(GET));
      expect(attempts).toBe(QUICK.maxAttempts);
      expect(raw).toBeInstanceOf(ClientError);
      expect((raw as ClientError).code).toBe(GrpcCode.UNAVAILABLE);
    } finally {
      channel.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The caller's abort
// ---------------------------------------------------------------------------------------------

/** One road a caller can abort. */
interface AbortRoad {
  readonly name: string;
  /** Makes the call, aborted by `signal`; rejects with what the road threw. */
  call(signal: AbortSignal): Promise<unknown>;
  /** Runs `body` while every call reaching the server runs `onArrival` first; counts the calls. */
  arriving<T>(onArrival: () => void, body: () => Promise<T>): Promise<{ value: T; arrivals: number }>;
  /** The premise: `raw` is this road's own report of the caller's abort (the default reason's). */
  premise(raw: unknown, signal: AbortSignal): void;
}

/** Runs `body` while `server` runs `onArrival` as each call reaches it (then answers it); counts the calls. */
function onArrivalCounter<T>(
  server: { script: Script },
  onArrival: () => void,
  body: () => Promise<T>,
): Promise<{ value: T; arrivals: number }> {
  let arrivals = 0;
  return scripted(
    server,
    () => {
      arrivals++;
      onArrival();
      return undefined;
    },
    body,
  ).then((value) => ({ value, arrivals }));
}

let connectServer: ConnectServer;
let niceServer: NiceGrpcServer;
let grpcJsServer: GrpcJsServer;
let httpServer: HttpServer;

function connectAbortRoad(protocol: ConnectProtocol, interceptors: Interceptor[] = []): AbortRoad {
  return {
    name: `connect-es, ${protocol} protocol`,
    call: (signal) =>
      createClient(SandboxService, connectTransport(protocol, interceptors)).getSandbox(GET, { signal }),
    arriving: (onArrival, body) => onArrivalCounter(connectServer, onArrival, body),
    premise(raw) {
      expect(raw).toBeInstanceOf(ConnectError);
      expect((raw as ConnectError).code).toBe(Code.Canceled);
      // The premise of reading it as an abort: connect-es keeps the default reason as no cause.
      expect((raw as ConnectError).cause).toBeUndefined();
    },
  };
}

function connectTransport(protocol: ConnectProtocol, interceptors: Interceptor[]): Transport {
  return CONNECT_TRANSPORTS[protocol]({ baseUrl: connectServer.http2Url, httpVersion: "2", interceptors });
}

const niceAbortRoad: AbortRoad = {
  name: "nice-grpc",
  call: (signal) => niceServer.clients().sandbox.getSandbox(GET, { signal }),
  arriving: (onArrival, body) => onArrivalCounter(niceServer, onArrival, body),
  premise(raw, signal) {
    // nice-grpc rejects with the signal's reason itself.
    expect(raw).toBe(signal.reason);
  },
};

/** A fetch of a response that never ends, so only the abort can end it. */
const fetchAbortRoad: AbortRoad = {
  name: "fetch (undici)",
  call: (signal) => fetch(httpServer.url, { signal }).then((response) => response.text()),
  arriving: (onArrival, body) => httpArrivals(onArrival, body),
  premise(raw, signal) {
    expect(raw).toBe(signal.reason);
  },
};

const axiosAbortRoad: AbortRoad = {
  name: "axios",
  call: (signal) => axios.get(httpServer.url, { signal }),
  arriving: (onArrival, body) => httpArrivals(onArrival, body),
  premise(raw) {
    // axios rejects with a CanceledError of its own, whatever the reason.
    expect(axios.isCancel(raw)).toBe(true);
    expect((raw as { code?: unknown }).code).toBe("ERR_CANCELED");
  },
};

/** grpc-js takes no signal: `call.cancel()` when it aborts, as an SDK on grpc-js wires one. */
const grpcJsAbortRoad: AbortRoad = {
  name: "grpc-js call.cancel()",
  call: (signal) =>
    new Promise((resolve, reject) => {
      const client = grpcJsServer.sandboxClient() as unknown as Record<
        string,
        (request: unknown, callback: (error: unknown, response: unknown) => void) => grpc.ClientUnaryCall
      >;
      const call = client.getSandbox?.(GET, (error, response) => (error ? reject(error) : resolve(response)));
      if (signal.aborted) call?.cancel();
      else signal.addEventListener("abort", () => call?.cancel(), { once: true });
    }),
  arriving: (onArrival, body) => onArrivalCounter(grpcJsServer, onArrival, body),
  premise(raw) {
    // grpc-js's own CANCELLED for a call the client cancelled.
    expect((raw as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
    expect((raw as grpc.ServiceError).details).toBe("Cancelled on client");
  },
};

async function httpArrivals<T>(
  onArrival: () => void,
  body: () => Promise<T>,
): Promise<{ value: T; arrivals: number }> {
  let arrivals = 0;
  const before = httpServer.respond;
  httpServer.respond = () => {
    arrivals++;
    onArrival();
    return { status: 200, headers: { "content-type": "application/json" }, body: ["{"], end: "never" };
  };
  try {
    return { value: await body(), arrivals };
  } finally {
    httpServer.respond = before;
  }
}

const ABORT_ROADS: readonly AbortRoad[] = [
  connectAbortRoad("connect"),
  connectAbortRoad("grpc"),
  connectAbortRoad("grpc-web"),
  niceAbortRoad,
  fetchAbortRoad,
  axiosAbortRoad,
  grpcJsAbortRoad,
];

/** Calls over `road` with a signal that is aborted (with `reason`) as the call reaches the server. */
async function abortedCall(road: AbortRoad, reason?: unknown) {
  const controller = new AbortController();
  const { value: raw, arrivals } = await road.arriving(
    () => controller.abort(reason),
    () => rejection(road.call(controller.signal)),
  );
  return { raw, signal: controller.signal, arrivals };
}

/**
 * SPEC §13 of the caller's abort: the scope's base class exactly (`SandboxError` in the default
 * scope, `ModalError` under Modal's preset), `{operation} was aborted`, no grpcCode, not retryable,
 * never `SandboxNotRunningError` (which is for a CANCELLED the server sent); `isRetryable` agrees.
 */
function expectCallerAbort(raw: unknown, message: string): void {
  const mapped = fromGrpcStatus(raw, CONTEXT);
  expect(mapped).not.toBeInstanceOf(SandboxNotRunningError);
  expect(mapped.constructor).toBe(SandboxError);
  expect(mapped.message).toBe(message);
  expect(mapped.grpcCode).toBeUndefined();
  expect(mapped.rawMessage).toBeUndefined();
  expect(mapped.retryable).toBe(false);
  expect(isRetryable(raw)).toBe(false);

  const modalMapped = modal.fromGrpcStatus(raw, CONTEXT);
  expect(modalMapped.constructor).toBe(modal.ModalError);
  expect(modalMapped.grpcCode).toBeUndefined();
  expect(modalMapped.retryable).toBe(false);
  expect(modal.isRetryable(raw)).toBe(false);
}

describe("the caller's abort", () => {
  beforeAll(async () => {
    [connectServer, niceServer, grpcJsServer, httpServer] = await Promise.all([
      startConnectServer(() => undefined),
      startNiceGrpcServer(() => undefined),
      startGrpcJsServer(() => undefined),
      startHttpServer({ status: 204 }),
    ]);
  });
  afterAll(() =>
    Promise.all([connectServer.close(), niceServer.close(), grpcJsServer.close(), httpServer.close()]),
  );

  describe.each(ABORT_ROADS)("$name", (road) => {
    it("fromGrpcStatus: the scope's base class, `{operation} was aborted`, no grpcCode, not retryable", async () => {
      const { raw, signal } = await abortedCall(road);
      road.premise(raw, signal);
      expectCallerAbort(raw, abortedMessage(CONTEXT.operation));
    });

    it("retry re-throws the signal's reason at once and calls no more", async () => {
      const controller = new AbortController();
      const reason = new Error("the user closed the page");
      let calls = 0;
      const { value: thrown, arrivals } = await road.arriving(
        () => controller.abort(reason),
        () =>
          rejection(
            retry(
              ({ signal }) => {
                calls++;
                return road.call(signal);
              },
              { ...QUICK, signal: controller.signal },
            ),
          ),
      );
      expect(thrown).toBe(reason);
      expect(calls).toBe(1);
      expect(arrivals).toBe(1);
    });

    /**
     * A retry the caller's signal was not handed to (only the call has it) must judge the road's
     * abort itself: not retryable, re-thrown as the road threw it, after one call.
     */
    async function retriedWithoutSignal(run: (operation: () => Promise<unknown>) => Promise<unknown>) {
      const controller = new AbortController();
      let calls = 0;
      let last: unknown;
      const { value: thrown } = await road.arriving(
        () => controller.abort(),
        () =>
          rejection(
            run(() => {
              calls++;
              return road.call(controller.signal).catch((error: unknown) => {
                last = error;
                throw error;
              });
            }),
          ),
      );
      expect(calls).toBe(1);
      expect(thrown).toBe(last);
    }

    it("retry given only the call's signal re-throws the road's abort, unretried", async () => {
      await retriedWithoutSignal((operation) => retry(operation, QUICK));
    });

    // Were connect-es's abort read as the server's CANCELLED, Modal's policy would find it retryable:
    // a retry not handed the caller's signal would call again and again, until its budget.
    it("retryWith Modal's policy, given only the call's signal, re-throws the road's abort, unretried", async () => {
      await retriedWithoutSignal((operation) => retryWith(operation, QUICK, policyOf(modal.modal)));
    });
  });

  it("fetch under AbortSignal.timeout: `{operation} timed out`, no grpcCode, not retryable", async () => {
    const { value: raw } = await httpArrivals(
      () => {},
      () => rejection(fetch(httpServer.url, { signal: AbortSignal.timeout(30) }).then((r) => r.text())),
    );
    expect((raw as Error).name).toBe("TimeoutError");
    const mapped = fromGrpcStatus(raw, CONTEXT);
    expect(mapped.constructor).toBe(SandboxError);
    expect(mapped.message).toBe(timedOutMessage(CONTEXT.operation));
    expect(mapped.grpcCode).toBeUndefined();
    expect(mapped.retryable).toBe(false);
    expect(isRetryable(raw)).toBe(false);
  });

  describe.each(["connect", "grpc", "grpc-web"] as const)("connect-es over %s", (protocol) => {
    const REASON = () => new Error("the user closed the page");

    it("withErrorMapping (both presets) re-throws the signal's reason", async () => {
      for (const wrap of [withErrorMapping, modal.withErrorMapping]) {
        const controller = new AbortController();
        const reason = REASON();
        const client = wrap(createClient(SandboxService, connectTransport(protocol, [])));
        const { value: thrown } = await onArrivalCounter(
          connectServer,
          () => controller.abort(reason),
          () => rejection(client.getSandbox(GET, { signal: controller.signal })),
        );
        expect(thrown).toBe(reason);
      }
    });

    it("retryInterceptor throws the signal's reason into the transport, which reports it as without one; one call", async () => {
      const seen: unknown[] = [];
      // Outer to the retry interceptor: sees what it throws, before connect-es's own conversion.
      const observer: Interceptor = (next) => async (request) => {
        try {
          return await next(request);
        } catch (error) {
          seen.push(error);
          throw error;
        }
      };
      const reason = REASON();
      const plain = await abortedCall(connectAbortRoad(protocol), reason);
      const withRetry = await abortedCall(
        connectAbortRoad(protocol, [observer, retryInterceptor(QUICK)]),
        reason,
      );
      expect(seen).toEqual([reason]);
      expect(seen[0]).toBe(reason);
      expect(withRetry.arrivals).toBe(1);
      // What reaches the caller is connect-es's report of the abort, the same as without the interceptor.
      expect(withRetry.raw).toBeInstanceOf(ConnectError);
      expect((withRetry.raw as ConnectError).code).toBe((plain.raw as ConnectError).code);
      expect((withRetry.raw as ConnectError).rawMessage).toBe((plain.raw as ConnectError).rawMessage);
      expect((withRetry.raw as ConnectError).cause).toBe(reason);
    });

    it("withErrorMapping around a client with retryInterceptor re-throws the signal's reason", async () => {
      const controller = new AbortController();
      const reason = REASON();
      const client = withErrorMapping(
        createClient(SandboxService, connectTransport(protocol, [retryInterceptor(QUICK)])),
      );
      const { value: thrown, arrivals } = await onArrivalCounter(
        connectServer,
        () => controller.abort(reason),
        () => rejection(client.getSandbox(GET, { signal: controller.signal })),
      );
      expect(thrown).toBe(reason);
      expect(arrivals).toBe(1);
    });
  });

  describe("nice-grpc", () => {
    const channels: grpc.Channel[] = [];
    afterAll(() => {
      for (const channel of channels) channel.close();
    });

    /** A client of the nice-grpc server with `middleware`, added in order (the last outermost). */
    function clientWith(...middleware: ClientMiddleware[]) {
      const channel = createChannel(niceServer.address);
      channels.push(channel);
      let factory = createClientFactory();
      for (const each of middleware) factory = factory.use(each);
      return factory.create(niceSandboxService, channel);
    }

    it.each([
      ["withErrorMapping", () => withErrorMapping(clientWith())],
      ["Modal's withErrorMapping", () => modal.withErrorMapping(clientWith())],
      ["niceGrpcErrorMiddleware", () => clientWith(niceGrpcErrorMiddleware())],
      ["Modal's niceGrpcErrorMiddleware", () => clientWith(modal.niceGrpcErrorMiddleware())],
      ["retryMiddleware", () => clientWith(retryMiddleware(QUICK))],
      [
        "retryMiddleware inside niceGrpcErrorMiddleware",
        () => clientWith(retryMiddleware(QUICK), niceGrpcErrorMiddleware()),
      ],
      [
        "retryMiddleware outside niceGrpcErrorMiddleware",
        () => clientWith(niceGrpcErrorMiddleware(), retryMiddleware(QUICK)),
      ],
    ] as const)("%s re-throws the signal's reason; one call", async (_, make) => {
      const client = make();
      const controller = new AbortController();
      const reason = new Error("the user closed the page");
      const { value: thrown, arrivals } = await onArrivalCounter(
        niceServer,
        () => controller.abort(reason),
        () => rejection(client.getSandbox(GET, { signal: controller.signal })),
      );
      expect(thrown).toBe(reason);
      expect(arrivals).toBe(1);
    });
  });

  it("grpc-js: withErrorMapping (both presets) hands on grpc-js's own CANCELLED, unmapped", async () => {
    for (const wrap of [withErrorMapping, modal.withErrorMapping]) {
      const raw = grpcJsServer.sandboxClient();
      const client = wrap(raw) as unknown as Record<
        string,
        (request: unknown, callback: (error: unknown) => void) => grpc.ClientUnaryCall
      >;
      let call: grpc.ClientUnaryCall | undefined;
      const outcome = new Promise<unknown>((resolve) => {
        call = client.getSandbox?.(GET, (error) => resolve(error));
      });
      const { value: thrown } = await onArrivalCounter(
        grpcJsServer,
        () => call?.cancel(),
        () => outcome,
      );
      grpcJsAbortRoad.premise(thrown, new AbortController().signal);
      expect(isSandboxSdkError(thrown)).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Where the client's own failure ends and the server's status begins
// ---------------------------------------------------------------------------------------------

describe("the client's own failures are told from the server's statuses that resemble them", () => {
  /** A ConnectError as a response from the server makes one: headers always come back with it. */
  const fromServer = (code: Code, message: string) =>
    new ConnectError(message, code, new Headers({ "content-type": "application/json" }));

  it.each([
    ["This operation was aborted", abortedMessage(CONTEXT.operation)],
    ["signal is aborted without reason", abortedMessage(CONTEXT.operation)],
    ["The operation was aborted. ", abortedMessage(CONTEXT.operation)],
    ["The operation was aborted due to timeout", timedOutMessage(CONTEXT.operation)],
    ["signal timed out", timedOutMessage(CONTEXT.operation)],
  ])("connect-es's stand-in for an abort worded %j is the caller's abort", (wording, message) => {
    const name = message.endsWith("timed out") ? "TimeoutError" : "AbortError";
    const raw = ConnectError.from(new DOMException(wording, name));
    expect(raw.cause).toBeUndefined();
    expectCallerAbort(raw, message);
  });

  it("a CANCELLED from the server is the server's, in the abort's words or not", () => {
    for (const raw of [
      fromServer(Code.Canceled, "This operation was aborted"),
      new ConnectError("the sandbox was stopped", Code.Canceled),
    ]) {
      const mapped = fromGrpcStatus(raw, CONTEXT);
      expect(mapped).toBeInstanceOf(SandboxNotRunningError);
      expect(mapped.grpcCode).toBe(GrpcCode.CANCELLED);
    }
  });

  it("connect-node's reset under ABORTED is a network failure; a server's ABORTED is not", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expectUnavailable(
      new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, reset),
      "[aborted] read ECONNRESET",
    );
    for (const raw of [
      fromServer(Code.Aborted, "transaction aborted"),
      new ConnectError("aborted", Code.Aborted, undefined, undefined, new Error("not a system error")),
      // A system error's code on the error itself, not under it: the server's status is that status.
      Object.assign(fromServer(Code.Aborted, "x"), { cause: undefined }),
    ]) {
      expect(fromGrpcStatus(raw, CONTEXT)).not.toBeInstanceOf(SandboxUnavailableError);
    }
  });

  it("grpc-js's own UNAVAILABLE has no rawMessage; the server's keeps its message", () => {
    const ownWords = "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1";
    const own = Object.assign(new Error(`14 UNAVAILABLE: ${ownWords}`), {
      code: GrpcCode.UNAVAILABLE,
      details: ownWords,
      metadata: new grpc.Metadata(),
    });
    expectUnavailable(own, own.message);
    expect(fromGrpcStatus(own).rawMessage).toBeUndefined();

    const withTrailers = new grpc.Metadata();
    withTrailers.set("x-request-id", "req-1");
    for (const [details, metadata] of [
      [ownWords, withTrailers],
      ["backend is down", new grpc.Metadata()],
    ] as const) {
      const server = Object.assign(new Error(`14 UNAVAILABLE: ${details}`), {
        code: GrpcCode.UNAVAILABLE,
        details,
        metadata,
      });
      const mapped = fromGrpcStatus(server);
      expect(mapped).toBeInstanceOf(SandboxUnavailableError);
      expect(mapped.rawMessage).toBe(details);
      expect(mapped.message).toBe(unavailableMessage(details));
    }
  });

  it("axios: a 2xx refused by the caller's own validateStatus is read as that response, not a lost connection", () => {
    const response = { status: 200, statusText: "OK", headers: {}, data: { message: "ok" }, config: {} };
    const refused = new axios.AxiosError(
      "Request failed with status code 200",
      "ERR_BAD_RESPONSE",
      undefined,
      undefined,
      response as never,
    );
    expect(fromGrpcStatus(refused)).not.toBeInstanceOf(SandboxUnavailableError);
    const cut = new axios.AxiosError(
      "stream has been aborted",
      "ERR_BAD_RESPONSE",
      undefined,
      undefined,
      response as never,
    );
    expectUnavailable(cut, cut.message);
  });

  it("axios: a 404 whose body buffer was detached is read by its status line, as a 404 without a body", () => {
    const detached = new ArrayBuffer(16);
    structuredClone(detached, { transfer: [detached] });
    const read = (data: unknown) => {
      const response = { status: 404, statusText: "Not Found", headers: {}, data, config: {} };
      return fromGrpcStatus(
        new axios.AxiosError(
          "Request failed with status code 404",
          "ERR_BAD_REQUEST",
          undefined,
          undefined,
          response as never,
        ),
      );
    };
    const mapped = read(detached);
    const bodiless = read(undefined);
    expect(mapped.httpStatus).toBe(404);
    expect(mapped.message).toMatch(/HTTP 404/);
    expect(mapped.constructor).toBe(bodiless.constructor);
    expect(mapped.toJSON()).toEqual({ ...bodiless.toJSON(), stack: mapped.stack });
  });
});
