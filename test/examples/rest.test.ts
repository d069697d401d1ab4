// The two REST examples (examples/e2b-style.ts, examples/daytona-style.ts) against real servers on
// 127.0.0.1: E2B's and Daytona's own error bodies and headers, read over `fetch`, axios and
// openapi-fetch (and, for E2B's envd, over a real Connect server), each road giving the same error.

import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import axios, { AxiosError } from "axios";
import { build } from "esbuild";
import createOpenApiClient from "openapi-fetch";
import {
  type Catalogue,
  type CatalogueContext,
  SandboxError as DefaultSandboxError,
  retry,
  SandboxSdkError,
} from "sandbox-sdk-errors";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DaytonaAuthenticationError,
  DaytonaAuthorizationError,
  DaytonaConflictError,
  DaytonaConnectionError,
  DaytonaError,
  DaytonaNotFoundError,
  DaytonaRateLimitError,
  DaytonaTimeoutError,
  DaytonaValidationError,
  daytona,
} from "../../examples/daytona-style.js";
import {
  AuthenticationError,
  type E2BContext,
  e2b,
  FileNotFoundError,
  InvalidArgumentError,
  NotEnoughSpaceError,
  NotFoundError,
  RateLimitError,
  SandboxError,
  SandboxNotFoundError,
  TimeoutError,
  VolumeError,
  VolumeNotFoundError,
} from "../../examples/e2b-style.js";
import { type ConnectServer, startConnectServer } from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { type HttpServer, type ScriptedResponse, startHttpServer } from "../support/transports/http.js";
import { failWith, succeed } from "../support/transports/script.js";

// ---------------------------------------------------------------------------------------------
// The roads: one server response, read by each client the way an SDK on it would map it
// ---------------------------------------------------------------------------------------------

/** The paths of the test API, as openapi-typescript writes them: one sandbox, read by id. */
interface paths {
  "/sandboxes/{sandboxID}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: never; header?: never; path: { sandboxID: string }; cookie?: never };
      requestBody?: never;
      responses: {
        200: { headers: { [name: string]: unknown }; content: { "application/json": { sandboxID: string } } };
        default: {
          headers: { [name: string]: unknown };
          content: { "application/json": { code: number; message: string } };
        };
      };
    };
  };
}

type Road = "fetch" | "axios" | "openapi-fetch";
const ROADS: readonly Road[] = ["fetch", "axios", "openapi-fetch"];

/**
 * Calls the server once on `road` and maps the failure with `catalogue`, as an SDK on that client
 * does: `fromResponse` for `fetch`, `fromGrpcStatus` of the `AxiosError` or of openapi-fetch's
 * `{ error, response }`. Fails the test when the call succeeds.
 */
async function mapped<Context extends CatalogueContext>(
  catalogue: Catalogue<SandboxSdkError, Context>,
  road: Road,
  baseUrl: string,
  context?: Context,
): Promise<SandboxSdkError> {
  const url = `${baseUrl}/sandboxes/sbx-1`;
  if (road === "fetch") {
    const response = await fetch(url);
    expect(response.ok).toBe(false);
    return catalogue.fromResponse(response, context);
  }
  if (road === "axios") {
    const error: unknown = await axios.get(url).then(
      () => expect.fail("the call succeeded"),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(AxiosError);
    return catalogue.fromGrpcStatus(error, context);
  }
  const client = createOpenApiClient<paths>({ baseUrl });
  const result = await client.GET("/sandboxes/{sandboxID}", { params: { path: { sandboxID: "sbx-1" } } });
  expect(result.response.ok).toBe(false);
  return catalogue.fromGrpcStatus(result, context);
}

/** What every road must agree on. */
function fieldsOf(error: SandboxSdkError) {
  return {
    name: error.name,
    message: error.message,
    reason: error.reason,
    domain: error.domain,
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    rawMessage: error.rawMessage,
    httpStatus: error.httpStatus,
    retryable: error.retryable,
    operation: error.operation,
    sandboxId: error.sandboxId,
  };
}

/** A JSON error response. */
function json(status: number, body: object, headers: Record<string, string> = {}): ScriptedResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

let server: HttpServer;
beforeAll(async () => {
  server = await startHttpServer({ status: 200, body: "{}" });
});
afterAll(() => server.close());

/** What `promise` rejects with, as the SDK error it must be; fails the test when it resolves. */
function rejection(promise: Promise<unknown>): Promise<SandboxSdkError> {
  return promise.then(
    () => expect.fail("the call succeeded"),
    (thrown: unknown) => {
      expect(thrown).toBeInstanceOf(SandboxSdkError);
      return thrown as SandboxSdkError;
    },
  );
}

/** A server that accepts connections and never answers: for the client's own timeout. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const silent = http.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
  const { port } = silent.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: one the system gave a server that is closed again. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// E2B
// ---------------------------------------------------------------------------------------------

/** E2B's words for a 502 from envd, after the server's message. */
const TIMED_OUT_WORDS =
  ": This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the sandbox with the desired timeout.";

interface Case<Context> {
  readonly title: string;
  readonly response: ScriptedResponse;
  readonly context?: Context;
  readonly expected: {
    readonly class: abstract new (...args: never[]) => SandboxSdkError;
    readonly message: string;
    readonly reason?: string;
    readonly retryDelay?: number;
    readonly retryable?: boolean;
  };
}

const E2B_CASES: readonly Case<E2BContext>[] = [
  {
    title: "the REST API's 401 is an AuthenticationError in E2B's words",
    response: json(401, { code: 401, message: "Invalid API key, it must start with 'e2b_'" }),
    expected: {
      class: AuthenticationError,
      message: "Unauthorized, please check your credentials. - Invalid API key, it must start with 'e2b_'",
    },
  },
  {
    title: "the REST API's 429 with Retry-After is a retryable RateLimitError with retryDelay",
    response: json(429, { code: 429, message: "Too many concurrent requests" }, { "retry-after": "3" }),
    expected: {
      class: RateLimitError,
      message: "Rate limit exceeded, please try again later - Too many concurrent requests",
      retryDelay: 3000,
      retryable: true,
    },
  },
  {
    title: "the REST API's 404 is the caller's class when no call re-classes it",
    response: json(404, { code: 404, message: "template 'base2' not found" }),
    expected: { class: SandboxError, message: "404: template 'base2' not found" },
  },
  {
    title: "a 404 about one sandbox is a SandboxNotFoundError naming it",
    response: json(404, {
      code: 404,
      message: "sandbox \"sbx-1\" doesn't exist or you don't have access to it",
    }),
    context: { scope: "sandbox", sandboxId: "sbx-1" },
    expected: { class: SandboxNotFoundError, message: "Sandbox sbx-1 not found" },
  },
  {
    title: "error_code is the reason",
    response: json(503, {
      code: 503,
      message: "Failed to place sandbox",
      error_code: "sandbox_capacity_unavailable",
    }),
    expected: {
      class: SandboxError,
      message: "503: Failed to place sandbox",
      reason: "sandbox_capacity_unavailable",
    },
  },
  {
    title: "a volume call's 404 is a VolumeNotFoundError, its other failures VolumeErrors",
    response: json(404, { code: 404, message: "volume not found" }),
    context: { scope: "volume", volumeId: "vol-7" },
    expected: { class: VolumeNotFoundError, message: "Volume vol-7 not found" },
  },
  {
    title: "a volume call's 500 is a VolumeError",
    response: json(500, { code: 500, message: "internal error" }),
    context: { scope: "volume", volumeId: "vol-7" },
    expected: { class: VolumeError, message: "500: internal error" },
  },
  {
    title: "the scope's 401 and 429 are the REST API's when the scope has none",
    response: json(429, { code: 429, message: "slow down" }),
    context: { scope: "volume", volumeId: "vol-7" },
    expected: {
      class: RateLimitError,
      message: "Rate limit exceeded, please try again later - slow down",
      retryable: true,
    },
  },
  {
    title: "envd's 400 is an InvalidArgumentError, the message bare",
    response: json(400, { code: 400, message: "path must be absolute" }),
    context: { scope: "envd" },
    expected: { class: InvalidArgumentError, message: "path must be absolute" },
  },
  {
    title: "envd's 401 is an AuthenticationError, the message bare",
    response: json(401, { code: 401, message: "invalid access token" }),
    context: { scope: "envd" },
    expected: { class: AuthenticationError, message: "invalid access token" },
  },
  {
    title: "envd's 404 is a NotFoundError",
    response: json(404, { code: 404, message: "user 'bob' not found" }),
    context: { scope: "envd" },
    expected: { class: NotFoundError, message: "user 'bob' not found" },
  },
  {
    title: "a file-system call's 404 is a FileNotFoundError",
    response: json(404, { code: 404, message: "path '/home/user/a.txt' does not exist" }),
    context: { scope: "filesystem" },
    expected: { class: FileNotFoundError, message: "path '/home/user/a.txt' does not exist" },
  },
  {
    title: "envd's 429 is a retryable RateLimitError in envd's words",
    response: json(429, { code: 429, message: "too many requests" }, { "retry-after": "1" }),
    context: { scope: "envd" },
    expected: {
      class: RateLimitError,
      message: "too many requests: The requests are being rate limited.",
      retryDelay: 1000,
      retryable: true,
    },
  },
  {
    title: "envd's 502 (E2B's proxy: the sandbox is gone) is a TimeoutError, not retryable",
    response: json(502, { code: 502, message: "The sandbox was not found", sandboxId: "sbx-1" }),
    context: { scope: "envd", sandboxId: "sbx-1" },
    expected: { class: TimeoutError, message: `The sandbox was not found${TIMED_OUT_WORDS}` },
  },
  {
    title: "envd's 507 is a NotEnoughSpaceError",
    response: json(507, { code: 507, message: "not enough disk space available" }),
    context: { scope: "filesystem" },
    expected: { class: NotEnoughSpaceError, message: "not enough disk space available" },
  },
  {
    title: "envd's other statuses are SandboxErrors, '<status>: <message>'",
    response: json(500, { code: 500, message: "error reading file" }),
    context: { scope: "envd" },
    expected: { class: SandboxError, message: "500: error reading file" },
  },
];

describe("the E2B-style catalogue, over fetch, axios and openapi-fetch", () => {
  it.each(E2B_CASES.map((c) => [c.title, c] as const))("%s", async (_, c) => {
    server.respond = c.response;
    const errors = [];
    for (const road of ROADS) errors.push(await mapped(e2b, road, server.url, c.context));
    const [first] = errors as [SandboxSdkError];
    expect(first).toBeInstanceOf(c.expected.class);
    expect(first).toBeInstanceOf(SandboxSdkError);
    expect(first.message).toBe(c.expected.message);
    expect(first.httpStatus).toBe(c.response.status);
    // The server's own message, whatever the template made of it.
    expect(first.rawMessage).toBe(JSON.parse(c.response.body as string).message);
    expect(first.reason).toBe(c.expected.reason);
    expect(first.retryDelay).toBe(c.expected.retryDelay);
    expect(first.retryable).toBe(c.expected.retryable ?? false);
    expect(e2b.isRetryable(first)).toBe(c.expected.retryable ?? false);
    expect(first.sandboxId).toBe(c.context?.sandboxId);
    for (const error of errors) expect(fieldsOf(error)).toEqual(fieldsOf(first));
  });

  it("keeps E2B's hierarchy: authentication and volume errors are not SandboxErrors", async () => {
    server.respond = json(401, { code: 401, message: "Invalid API key" });
    const auth = await mapped(e2b, "fetch", server.url);
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect(auth).not.toBeInstanceOf(SandboxError);
    server.respond = json(404, { code: 404, message: "volume not found" });
    const volume = await mapped(e2b, "fetch", server.url, { scope: "volume" });
    expect(volume).toBeInstanceOf(VolumeError);
    expect(volume).not.toBeInstanceOf(SandboxError);
    // Without a volumeId the not-found message falls back to the server's.
    expect(volume.message).toBe("volume not found");
  });

  it("its classes are its own: an E2B SandboxError is not the default preset's, and revives as E2B's", async () => {
    server.respond = json(502, { code: 502, message: "The sandbox was not found" });
    const error = await mapped(e2b, "fetch", server.url, { scope: "envd" });
    expect(error).not.toBeInstanceOf(DefaultSandboxError);
    const revived = SandboxSdkError.fromJSON(JSON.stringify(error));
    expect(revived).toBeInstanceOf(TimeoutError);
    expect(revived.message).toBe(error.message);
    expect(revived.httpStatus).toBe(502);
  });

  it("openapi-fetch's empty error body (Content-Length: 0) is mapped by its status", async () => {
    server.respond = { status: 404, headers: { "content-length": "0" } };
    const errors = [];
    for (const road of ROADS)
      errors.push(await mapped(e2b, road, server.url, { scope: "sandbox", sandboxId: "sbx-1" }));
    for (const error of errors) {
      expect(error).toBeInstanceOf(SandboxNotFoundError);
      expect(error.message).toBe("Sandbox sbx-1 not found");
      expect(error.httpStatus).toBe(404);
    }
  });

  it("a proxy's HTML 502 in front of envd is a TimeoutError on every road", async () => {
    server.respond = {
      status: 502,
      statusText: "Bad Gateway",
      headers: { "content-type": "text/html" },
      body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    };
    for (const road of ROADS) {
      const error = await mapped(e2b, road, server.url, { scope: "envd" });
      expect(error, road).toBeInstanceOf(TimeoutError);
      expect(error.httpStatus, road).toBe(502);
    }
  });

  // SPEC §13: for a body that is no JSON, `{details}` is `HTTP <status> <statusText>`, and rawMessage
  // (the server's own message) stays undefined, on every road alike.
  it("a proxy's HTML 502 reads 'HTTP 502 Bad Gateway' on every road, with no rawMessage", async () => {
    server.respond = {
      status: 502,
      statusText: "Bad Gateway",
      headers: { "content-type": "text/html" },
      body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    };
    for (const road of ROADS) {
      const error = await mapped(e2b, road, server.url, { scope: "envd" });
      expect(error.message, road).toBe(`HTTP 502 Bad Gateway${TIMED_OUT_WORDS}`);
      expect(error.rawMessage, road).toBeUndefined();
    }
  });

  it("the SDK's own AbortSignal.timeout is the caller's abort: the scope's root, never the envd TimeoutError", async () => {
    const silent = await silentServer();
    try {
      const thrown = await fetch(silent.url, { signal: AbortSignal.timeout(50) }).catch(
        (error: unknown) => error,
      );
      const error = e2b.fromGrpcStatus(thrown, { scope: "envd", operation: "readFile" });
      expect(error.constructor).toBe(SandboxError);
      expect(error.message).toBe("readFile timed out");
      expect(error.grpcCode).toBeUndefined();
      expect(e2b.isRetryable(error)).toBe(false);
    } finally {
      await silent.close();
    }
  });

  it("a closed port is a SandboxError on every road (E2B re-throws fetch's own failure), not retryable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const road of ROADS) {
      const error = await (road === "fetch"
        ? fetch(url).then(
            () => expect.fail("connected"),
            (thrown: unknown) => e2b.fromGrpcStatus(thrown),
          )
        : mapped(e2b, road, url).catch((thrown: unknown) => e2b.fromGrpcStatus(thrown)));
      expect(error, road).toBeInstanceOf(SandboxError);
      expect(error.constructor, road).toBe(SandboxError);
      expect(error.httpStatus, road).toBeUndefined();
      expect(error.rawMessage, road).toBeUndefined();
      expect(e2b.isRetryable(error), road).toBe(false);
    }
  });

  describe("with retry()", () => {
    let calls: number;
    beforeEach(() => {
      calls = 0;
    });

    it("retries a 429 after its Retry-After, and succeeds", async () => {
      server.respond = () => {
        calls++;
        return calls === 1
          ? json(429, { code: 429, message: "Too many concurrent requests" }, { "retry-after": "1" })
          : json(200, { sandboxID: "sbx-1" });
      };
      const delays: number[] = [];
      const body = await retry(
        async () => {
          const response = await fetch(`${server.url}/sandboxes/sbx-1`);
          if (!response.ok) throw await e2b.fromResponse(response, { scope: "sandbox", sandboxId: "sbx-1" });
          return response.json();
        },
        {
          onRetry: ({ error, delayMs }) => delays.push(delayMs, (error as SandboxSdkError).retryDelay ?? -1),
        },
      );
      expect(body).toEqual({ sandboxID: "sbx-1" });
      expect(calls).toBe(2);
      expect(delays).toEqual([1000, 1000]);
    });

    it("does not retry envd's 502: the server is called once", async () => {
      server.respond = () => {
        calls++;
        return json(502, { code: 502, message: "The sandbox was not found" });
      };
      const client = createOpenApiClient<paths>({ baseUrl: server.url });
      const thrown = await retry(
        async () => {
          const result = await client.GET("/sandboxes/{sandboxID}", {
            params: { path: { sandboxID: "sbx-1" } },
          });
          if (result.error !== undefined || !result.response.ok)
            throw e2b.fromGrpcStatus(result, { scope: "envd" });
          return result.data;
        },
        { budgetMs: 2_000, baseDelayMs: 1 },
      ).catch((error: unknown) => error);
      expect(thrown).toBeInstanceOf(TimeoutError);
      expect(calls).toBe(1);
    });
  });
});

describe("the E2B-style catalogue over envd's Connect API", () => {
  let connect: ConnectServer;
  beforeAll(async () => {
    connect = await startConnectServer(succeed);
  });
  afterAll(() => connect.close());

  const RPC_CASES = [
    {
      code: Code.ResourceExhausted,
      scope: "envd",
      class: RateLimitError,
      words: ": Rate limit exceeded, please try again later.",
    },
    { code: Code.Unavailable, scope: "envd", class: TimeoutError, words: TIMED_OUT_WORDS },
    {
      code: Code.DeadlineExceeded,
      scope: "envd",
      class: TimeoutError,
      words:
        ": This error is likely due to exceeding 'timeoutMs' — the total time a long running request (like command execution or directory watch) can be active. It can be modified by passing 'timeoutMs' when making the request. Use '0' to disable the timeout.",
    },
    { code: Code.InvalidArgument, scope: "envd", class: InvalidArgumentError, words: "" },
    { code: Code.Unauthenticated, scope: "envd", class: AuthenticationError, words: "" },
    { code: Code.NotFound, scope: "envd", class: NotFoundError, words: "" },
    { code: Code.NotFound, scope: "filesystem", class: FileNotFoundError, words: "" },
  ] as const;

  it.each(RPC_CASES.map((c) => [`${Code[c.code]} in scope ${c.scope}`, c] as const))(
    "%s is mapped by code",
    async (_, c) => {
      connect.script = failWith({ code: c.code, message: "the server's words" });
      const client = e2b.withErrorMapping(createConnectClient(SandboxService, connect.transport("connect")), {
        scope: c.scope,
      });
      const error = await client.getSandbox({ sandboxId: "sbx-1" }).then(
        () => expect.fail("the call succeeded"),
        (thrown: unknown) => thrown as SandboxSdkError,
      );
      expect(error).toBeInstanceOf(c.class);
      expect(error.message).toBe(`the server's words${c.words}`);
      expect(error.rawMessage).toBe("the server's words");
      expect(error.grpcCode).toBe(c.code);
      expect(error.retryable).toBe(c.class === RateLimitError);
      expect(error.cause).toBeInstanceOf(ConnectError);
    },
  );

  it("a code envd's table does not name is a SandboxError, '<code>: <message>'", async () => {
    connect.script = failWith({ code: Code.Internal, message: "exec failed" });
    const thrown = await createConnectClient(SandboxService, connect.transport("connect"))
      .getSandbox({ sandboxId: "sbx-1" })
      .catch((error: unknown) => error);
    const error = e2b.fromGrpcStatus(thrown, { scope: "envd" });
    expect(error.constructor).toBe(SandboxError);
    expect(error.message).toBe("INTERNAL: exec failed");
  });
});

// ---------------------------------------------------------------------------------------------
// Daytona
// ---------------------------------------------------------------------------------------------

/** A NestJS error body, as Daytona's `AllExceptionsFilter` writes it. */
function nest(statusCode: number, error: string, message: unknown, extra: object = {}) {
  return {
    path: "/api/sandbox/sbx-1",
    timestamp: "2026-01-01T00:00:00.000Z",
    statusCode,
    error,
    message,
    ...extra,
  };
}

const DAYTONA_CASES: readonly Case<CatalogueContext>[] = [
  {
    title: "400 is a DaytonaValidationError; NestJS's message list is joined",
    response: json(
      400,
      nest(400, "Bad Request", ["cpu must be a positive number", "memory must be an integer"]),
    ),
    expected: {
      class: DaytonaValidationError,
      message: "cpu must be a positive number, memory must be an integer",
      reason: "Bad Request",
    },
  },
  {
    title: "401 is a DaytonaAuthenticationError",
    response: json(401, nest(401, "Unauthorized", "Invalid API key")),
    expected: { class: DaytonaAuthenticationError, message: "Invalid API key", reason: "Unauthorized" },
  },
  {
    title: "403 is a DaytonaAuthorizationError",
    response: json(403, nest(403, "Forbidden", "Forbidden resource")),
    expected: { class: DaytonaAuthorizationError, message: "Forbidden resource", reason: "Forbidden" },
  },
  {
    title: "404 is a DaytonaNotFoundError",
    response: json(404, nest(404, "Not Found", "Sandbox with ID sbx-1 not found")),
    context: { operation: "getSandbox", sandboxId: "sbx-1" },
    expected: {
      class: DaytonaNotFoundError,
      message: "Sandbox with ID sbx-1 not found",
      reason: "Not Found",
    },
  },
  {
    title: "409 is a DaytonaConflictError; a string code wins over error as the reason",
    response: json(409, nest(409, "Conflict", "Sandbox name is taken", { code: "SANDBOX_NAME_TAKEN" })),
    expected: { class: DaytonaConflictError, message: "Sandbox name is taken", reason: "SANDBOX_NAME_TAKEN" },
  },
  {
    title: "error_code is the reason when there is no string code",
    response: json(409, { statusCode: 409, error_code: "SNAPSHOT_IN_USE", message: "Snapshot is in use" }),
    expected: { class: DaytonaConflictError, message: "Snapshot is in use", reason: "SNAPSHOT_IN_USE" },
  },
  {
    title: "429 with Retry-After is a retryable DaytonaRateLimitError with retryDelay",
    response: json(429, nest(429, "Too Many Requests", "ThrottlerException: Too Many Requests"), {
      "retry-after": "2",
    }),
    expected: {
      class: DaytonaRateLimitError,
      message: "ThrottlerException: Too Many Requests",
      reason: "Too Many Requests",
      retryDelay: 2000,
      retryable: true,
    },
  },
  {
    title: "500 is a DaytonaError, not retryable",
    response: json(500, nest(500, "Internal Server Error", "An unexpected error occurred.")),
    expected: {
      class: DaytonaError,
      message: "An unexpected error occurred.",
      reason: "Internal Server Error",
    },
  },
  {
    title: "503 is a DaytonaError, not retryable",
    response: json(503, nest(503, "Service Unavailable", "No available runners")),
    expected: { class: DaytonaError, message: "No available runners", reason: "Service Unavailable" },
  },
];

describe("the Daytona-style catalogue, over fetch, axios and openapi-fetch", () => {
  it.each(DAYTONA_CASES.map((c) => [c.title, c] as const))("%s", async (_, c) => {
    server.respond = c.response;
    const errors = [];
    for (const road of ROADS) errors.push(await mapped(daytona, road, server.url, c.context));
    const [first] = errors as [SandboxSdkError];
    expect(first).toBeInstanceOf(c.expected.class);
    if (c.expected.class === DaytonaError) expect(first.constructor).toBe(DaytonaError);
    expect(first.message).toBe(c.expected.message);
    expect(first.rawMessage).toBe(c.expected.message);
    expect(first.httpStatus).toBe(c.response.status);
    expect(first.reason).toBe(c.expected.reason);
    expect(first.retryDelay).toBe(c.expected.retryDelay);
    expect(first.retryable).toBe(c.expected.retryable ?? false);
    expect(daytona.isRetryable(first)).toBe(c.expected.retryable ?? false);
    expect(first.operation).toBe(c.context?.operation);
    for (const error of errors) expect(fieldsOf(error)).toEqual(fieldsOf(first));
  });

  it("fromResponse rejects a maxBodyBytes that is not a positive finite number, and reads at most that much", async () => {
    server.respond = json(404, nest(404, "Not Found", "Sandbox with ID sbx-1 not found"));
    for (const maxBodyBytes of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const response = await fetch(`${server.url}/api/sandbox/sbx-1`);
      await expect(daytona.fromResponse(response, { maxBodyBytes })).rejects.toThrow(RangeError);
    }
    // Cut short, the body is no JSON: the status alone decides, the message is not the server's.
    const cut = await daytona.fromResponse(await fetch(`${server.url}/api/sandbox/sbx-1`), {
      maxBodyBytes: 16,
    });
    expect(cut).toBeInstanceOf(DaytonaNotFoundError);
    expect(cut.rawMessage).toBeUndefined();
  });

  it("a NestJS body passed to fromGrpcStatus as it is gives the same error, its httpStatus the body's", () => {
    const error = daytona.fromGrpcStatus(nest(404, "Not Found", "Snapshot ubuntu:22.04 not found"));
    expect(error).toBeInstanceOf(DaytonaNotFoundError);
    expect(error.message).toBe("Snapshot ubuntu:22.04 not found");
    expect(error.httpStatus).toBe(404);
    expect(error.reason).toBe("Not Found");
  });

  describe("Daytona's axios interceptor: every failure mapped where it is caught", () => {
    /** An axios instance as Daytona makes one: its response interceptor throws the mapped error. */
    const daytonaAxios = (timeout = 0) => {
      const instance = axios.create({ timeout });
      instance.interceptors.response.use(undefined, (error: unknown) => {
        throw daytona.fromGrpcStatus(error);
      });
      return instance;
    };

    it("retries a 429 after its Retry-After, and succeeds", async () => {
      let calls = 0;
      server.respond = () => {
        calls++;
        return calls === 1
          ? json(429, nest(429, "Too Many Requests", "ThrottlerException: Too Many Requests"), {
              "retry-after": "1",
            })
          : json(200, { id: "sbx-1" });
      };
      const delays: number[] = [];
      const client = daytonaAxios();
      const response = await retry(() => client.get(`${server.url}/api/sandbox/sbx-1`), {
        onRetry: ({ error, delayMs }) => {
          expect(error).toBeInstanceOf(DaytonaRateLimitError);
          delays.push(delayMs);
        },
      });
      expect(response.data).toEqual({ id: "sbx-1" });
      expect(calls).toBe(2);
      expect(delays).toEqual([1000]);
    });

    it("a refused connection is a DaytonaConnectionError, retryable: the request was never sent", async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const error = await rejection(daytonaAxios().get(url));
      expect(error).toBeInstanceOf(DaytonaConnectionError);
      expect(error.message).toMatch(/ECONNREFUSED/);
      expect(error.httpStatus).toBeUndefined();
      expect(error.rawMessage).toBeUndefined();
      expect(error.retryable).toBe(true);
      // fetch's own failure reads the same.
      const fromFetch = await fetch(url).then(
        () => expect.fail("connected"),
        (thrown: unknown) => daytona.fromGrpcStatus(thrown),
      );
      expect(fromFetch).toBeInstanceOf(DaytonaConnectionError);
      expect(fromFetch.retryable).toBe(true);
    });

    it("a connection lost mid-request is a DaytonaConnectionError, not retryable: it may have been delivered", async () => {
      const dropping = http.createServer((request) => request.socket.destroy());
      await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", () => resolve()));
      try {
        const { port } = dropping.address() as AddressInfo;
        const error = await rejection(
          daytonaAxios().post(`http://127.0.0.1:${port}/api/sandbox`, { name: "a" }),
        );
        expect(error).toBeInstanceOf(DaytonaConnectionError);
        expect(error.retryable).toBe(false);
      } finally {
        dropping.closeAllConnections();
        await new Promise<void>((resolve) => dropping.close(() => resolve()));
      }
    });

    it("axios' own timeout is a DaytonaTimeoutError: no grpcCode, no httpStatus, not retryable", async () => {
      const silent = await silentServer();
      try {
        const error = await rejection(daytonaAxios(50).get(`${silent.url}/api/sandbox/sbx-1`));
        expect(error).toBeInstanceOf(DaytonaTimeoutError);
        expect(error.message).toBe("timeout of 50ms exceeded");
        expect(error.grpcCode).toBeUndefined();
        expect(error.httpStatus).toBeUndefined();
        expect(error.rawMessage).toBeUndefined();
        expect(error.retryable).toBe(false);
      } finally {
        await silent.close();
      }
    });

    // axios reports this timeout with ETIMEDOUT, a system error's code: it is still the SDK's own
    // request timeout (SPEC §13), not a failure to connect.
    it("axios' timeout with clarifyTimeoutError (ETIMEDOUT) is a DaytonaTimeoutError too", async () => {
      const silent = await silentServer();
      try {
        const client = daytonaAxios(50);
        client.defaults.transitional = { ...client.defaults.transitional, clarifyTimeoutError: true };
        const error = await rejection(client.get(`${silent.url}/api/sandbox/sbx-1`));
        expect(error).toBeInstanceOf(DaytonaTimeoutError);
      } finally {
        await silent.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The docs
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Bundled
// ---------------------------------------------------------------------------------------------

describe("the examples in a consumer's minified bundle", () => {
  /** What the bundle's `run()` reports: each example's errors' names, and the mangled class names. */
  let bundled: { names: string[]; classNames: string[] };

  beforeAll(async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const { outputFiles } = await build({
      stdin: {
        contents: `
          import { daytona, DaytonaNotFoundError, DaytonaRateLimitError } from "./examples/daytona-style.ts";
          import { e2b, NotEnoughSpaceError } from "./examples/e2b-style.ts";
          export const names = [
            daytona.fromGrpcStatus({ statusCode: 404, message: "gone" }).name,
            new DaytonaRateLimitError().name,
            e2b.fromGrpcStatus({ code: 404, message: "gone" }).name,
            new NotEnoughSpaceError().name,
          ];
          export const classNames = [DaytonaNotFoundError.name, NotEnoughSpaceError.name];`,
        resolveDir: root,
        loader: "ts",
      },
      alias: { "sandbox-sdk-errors": join(root, "src/index.ts") },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "neutral",
      write: false,
      logLevel: "silent",
    });
    const code = outputFiles[0]?.text ?? "";
    bundled = await import(`data:text/javascript;base64,${btoa(unescape(encodeURIComponent(code)))}`);
  }, 60_000);

  it("mangles the class identifiers (so the test means something)", () => {
    expect(bundled.classNames).not.toEqual(["DaytonaNotFoundError", "NotEnoughSpaceError"]);
  });

  it("keeps the names defineErrorClass gives (its calls are kept with the classes)", () => {
    expect(bundled.names).toEqual([
      "DaytonaNotFoundError",
      "DaytonaRateLimitError",
      "SandboxError",
      "NotEnoughSpaceError",
    ]);
  });
});

describe("docs/rest.md", () => {
  const read = (path: string) =>
    readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");

  it("shows the Daytona-style catalogue whole, as examples/daytona-style.ts has it", () => {
    const page = read("docs/rest.md");
    const block = /```ts\n(import \{ defineCatalogue[\s\S]*?)```/.exec(page)?.[1];
    // The example file without its opening comment.
    const example = read("examples/daytona-style.ts").replace(/^\/\*\*[\s\S]*?\*\/\n/, "");
    expect(block).toBe(example);
  });

  it("README.md shows it whole too, the same as examples/daytona-style.ts", () => {
    const example = read("examples/daytona-style.ts").replace(/^\/\*\*[\s\S]*?\*\/\n/, "");
    const firstLine = example.slice(0, example.indexOf("\n") + 1);
    const blocks = [...read("README.md").matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(blocks.filter((block) => block?.startsWith(firstLine))).toEqual([example]);
  });
});
