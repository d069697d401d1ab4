/**
 * The test servers of `test/support/transports/` send what they should: one failure description
 * reaches each real client, over each protocol, with its code, message and details; successes come
 * back as the shared answers. Every expectation is derived from the failure description (or read
 * back with an independent decoder), never written out by hand.
 */
import * as http from "node:http";
import { ConnectError, createClient } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import type * as grpc from "@grpc/grpc-js";
import { RpcError } from "@protobuf-ts/runtime-rpc";
import { ClientError } from "nice-grpc";
import { RichClientError } from "nice-grpc-error-details";
import {
  ERROR_DOMAIN,
  parseStatusDetails,
  Reason,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "sandbox-sdk-errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeStatusBlob } from "../support/encoder.js";
import {
  type ConnectProtocol,
  type ConnectServer,
  startConnectServer,
} from "../support/transports/connect.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";
import { StreamService } from "../support/transports/gen/streams_pb.js";
import { type GrpcJsClient, type GrpcJsServer, startGrpcJsServer } from "../support/transports/grpc-js.js";
import { type HttpServer, startHttpServer } from "../support/transports/http.js";
import { type NiceGrpcServer, startNiceGrpcServer } from "../support/transports/nice-grpc.js";
import { type ProtobufTsClients, protobufTsClients } from "../support/transports/protobuf-ts.js";
import {
  answers,
  anyDetails,
  type ExecRequest,
  type Failure,
  failWith,
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
    { type: "RetryInfo", retryDelay: 1500 },
    { type: "RequestInfo", requestId: "req-42", servingData: "" },
  ],
  headers: { "retry-after": "3" },
  trailers: { "grpc-retry-pushback-ms": "250" },
};

/** The failure's detail of `type`, as the test describes it. */
function detail<T extends StatusDetail["type"]>(type: T): Extract<StatusDetail, { type: T }> {
  const found = FAILURE.details?.find((candidate) => candidate.type === type);
  if (found === undefined) throw new Error(`the failure has no ${type}`);
  return found as Extract<StatusDetail, { type: T }>;
}

const GET = { sandboxId: "sbx-1" };
const EXEC: ExecRequest = { sandboxId: "sbx-1", command: ["echo", "one", "two"] };
const text = new TextDecoder();
const words = (outputs: readonly { stdout: Uint8Array }[]) =>
  outputs.map((output) => text.decode(output.stdout));

// ---------------------------------------------------------------------------------------------
// grpc-js
// ---------------------------------------------------------------------------------------------

/** What a grpc-js stream delivered: its messages, then its error (if any), and its status. */
function drain<T>(stream: NodeJS.EventEmitter): Promise<{ messages: T[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    let error: grpc.ServiceError | undefined;
    stream.on("data", (message: T) => messages.push(message));
    stream.on("error", (failure: grpc.ServiceError) => {
      error = failure;
    });
    stream.on("status", () => resolve(error === undefined ? { messages } : { messages, error }));
  });
}

function unary<T>(client: GrpcJsClient, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]?.(request, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    );
  });
}

describe("grpc-js server", () => {
  let server: GrpcJsServer;
  let sandbox: GrpcJsClient;
  let streams: GrpcJsClient;

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
    sandbox = server.sandboxClient();
    streams = server.streamsClient();
  });
  afterAll(() => server.close());

  it("fails a unary call with the code, message, status trailer and extra trailers", async () => {
    const error = await scripted(server, failWith(FAILURE), () =>
      unary(sandbox, "getSandbox", GET).then(
        () => undefined,
        (failure: grpc.ServiceError) => failure,
      ),
    );
    expect(error?.code).toBe(FAILURE.code);
    expect(error?.details).toBe(FAILURE.message);
    expect(parseStatusDetails(error?.metadata)?.details).toEqual(FAILURE.details);
    expect(error?.metadata.get("grpc-retry-pushback-ms")).toEqual([
      FAILURE.trailers?.["grpc-retry-pushback-ms"],
    ]);
  });

  it("answers a unary call with the shared answer", async () => {
    await expect(unary(sandbox, "getSandbox", GET)).resolves.toEqual(answers.getSandbox(GET));
  });

  it("sends a server stream's first messages, then fails it", async () => {
    const result = await scripted(server, failWith({ ...FAILURE, afterMessages: 1 }), () =>
      drain<{ stdout: Uint8Array }>(sandbox.exec?.(EXEC) as NodeJS.EventEmitter),
    );
    expect(words(result.messages)).toEqual(EXEC.command.slice(0, 1));
    expect(result.error?.code).toBe(FAILURE.code);
    expect(parseStatusDetails(result.error?.metadata)?.details).toEqual(FAILURE.details);
  });

  it("sends a whole server stream when the call succeeds", async () => {
    const result = await drain<{ stdout: Uint8Array }>(sandbox.exec?.(EXEC) as NodeJS.EventEmitter);
    expect(result.error).toBeUndefined();
    expect(words(result.messages)).toEqual(EXEC.command);
  });

  it("fails and answers a client stream", async () => {
    const chunks = [
      { sandboxId: "sbx-1", data: new Uint8Array([1, 2]) },
      { sandboxId: "sbx-1", data: new Uint8Array([3]) },
    ];
    const upload = (): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const call = streams.writeFile?.((error: grpc.ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        ) as grpc.ClientWritableStream<unknown>;
        for (const chunk of chunks) call.write(chunk);
        call.end();
      });
    await expect(upload()).resolves.toEqual(answers.writeFile(chunks));
    const error = await scripted(server, failWith(FAILURE), () =>
      upload().catch((failure: grpc.ServiceError) => failure),
    );
    expect((error as grpc.ServiceError).code).toBe(FAILURE.code);
    expect(parseStatusDetails((error as grpc.ServiceError).metadata)?.details).toEqual(FAILURE.details);
  });

  it("echoes a bidirectional stream, then fails it after the asked number of messages", async () => {
    const inputs = ["a", "b", "c"].map((word) => ({
      sandboxId: "sbx-1",
      stdin: new TextEncoder().encode(word),
    }));
    const attach = () => {
      const call = streams.attach?.() as grpc.ClientDuplexStream<unknown, { stdout: Uint8Array }>;
      const drained = drain<{ stdout: Uint8Array }>(call);
      for (const input of inputs) call.write(input);
      call.end();
      return drained;
    };
    const healthy = await attach();
    expect(words(healthy.messages)).toEqual(["a", "b", "c"]);
    const failed = await scripted(server, failWith({ ...FAILURE, afterMessages: 2 }), attach);
    expect(words(failed.messages)).toEqual(["a", "b"]);
    expect(failed.error?.code).toBe(FAILURE.code);
  });
});

// ---------------------------------------------------------------------------------------------
// protobuf-ts over @protobuf-ts/grpc-transport
// ---------------------------------------------------------------------------------------------

describe("protobuf-ts client of the grpc-js server", () => {
  let server: GrpcJsServer;
  let clients: ProtobufTsClients;

  beforeAll(async () => {
    server = await startGrpcJsServer(succeed);
    clients = protobufTsClients(server.address);
  });
  afterAll(async () => {
    clients.close();
    await server.close();
  });

  it("rejects a unary call with an RpcError carrying the code name and the base64 status trailer", async () => {
    const error = await scripted(server, failWith(FAILURE), () =>
      clients.sandbox.getSandbox(GET).response.catch((failure: unknown) => failure),
    );
    expect(error).toBeInstanceOf(RpcError);
    const rpcError = error as RpcError;
    expect(rpcError.code).toBe("UNAVAILABLE");
    expect(rpcError.message).toBe(FAILURE.message);
    const trailer = rpcError.meta[STATUS_DETAILS_KEY];
    expect(typeof trailer).toBe("string");
    expect(parseStatusDetails(trailer as string)?.details).toEqual(FAILURE.details);
  });

  it("answers a unary call with the shared answer", async () => {
    const { response } = await clients.sandbox.getSandbox(GET);
    expect(response).toEqual(answers.getSandbox(GET));
  });

  it("streams the first messages, then throws from the async iterator", async () => {
    const received: string[] = [];
    const error = await scripted(server, failWith({ ...FAILURE, afterMessages: 2 }), async () => {
      try {
        for await (const output of clients.sandbox.exec(EXEC).responses)
          received.push(text.decode(output.stdout));
      } catch (failure) {
        return failure as RpcError;
      }
      return undefined;
    });
    expect(received).toEqual(EXEC.command.slice(0, 2));
    expect(error?.code).toBe("UNAVAILABLE");
  });
});

// ---------------------------------------------------------------------------------------------
// connect-node router: Connect, gRPC and gRPC-web
// ---------------------------------------------------------------------------------------------

describe("connect-node server", () => {
  let server: ConnectServer;

  beforeAll(async () => {
    server = await startConnectServer(succeed);
  });
  afterAll(() => server.close());

  const protocols: ConnectProtocol[] = ["connect", "grpc", "grpc-web"];

  describe.each(protocols)("over %s", (protocol) => {
    it("rejects a unary call with a ConnectError carrying code, raw message, details and the hints", async () => {
      const client = createClient(SandboxService, server.transport(protocol));
      const error = await scripted(server, failWith(FAILURE), () => client.getSandbox(GET).catch((e) => e));
      expect(error).toBeInstanceOf(ConnectError);
      const connectError = error as ConnectError;
      expect(connectError.code).toBe(FAILURE.code);
      expect(connectError.rawMessage).toBe(FAILURE.message);
      const received = connectError.details.map((entry) =>
        "desc" in entry ? entry : { type: entry.type, value: new Uint8Array(entry.value) },
      );
      expect(received).toEqual(anyDetails(FAILURE));
      expect(connectError.metadata.get("retry-after")).toBe(FAILURE.headers?.["retry-after"]);
      expect(connectError.metadata.get("grpc-retry-pushback-ms")).toBe(
        FAILURE.trailers?.["grpc-retry-pushback-ms"],
      );
    });

    it("answers a unary call with the shared answer", async () => {
      const client = createClient(SandboxService, server.transport(protocol));
      expect(await client.getSandbox(GET)).toMatchObject(answers.getSandbox(GET));
    });

    it("streams the first messages, then throws a ConnectError from the async iterable", async () => {
      const client = createClient(SandboxService, server.transport(protocol));
      const received: string[] = [];
      const error = await scripted(server, failWith({ ...FAILURE, afterMessages: 1 }), async () => {
        try {
          for await (const output of client.exec(EXEC)) received.push(text.decode(output.stdout));
        } catch (failure) {
          return failure as ConnectError;
        }
        return undefined;
      });
      expect(received).toEqual(EXEC.command.slice(0, 1));
      expect(error?.code).toBe(FAILURE.code);
      expect(error?.rawMessage).toBe(FAILURE.message);
      expect(error?.details).toHaveLength(anyDetails(FAILURE).length);
    });
  });

  it.each(["connect", "grpc"] as const)(
    "serves client and bidirectional streams over %s",
    async (protocol) => {
      const client = createClient(StreamService, server.transport(protocol));
      async function* chunks() {
        yield { sandboxId: "sbx-1", data: new Uint8Array([1, 2, 3]) };
        yield { sandboxId: "sbx-1", data: new Uint8Array([4]) };
      }
      const written = await client.writeFile(chunks());
      expect(written.bytesWritten).toBe(4);
      const error = await scripted(server, failWith(FAILURE), () =>
        client.writeFile(chunks()).catch((e) => e),
      );
      expect((error as ConnectError).code).toBe(FAILURE.code);
      async function* inputs() {
        for (const word of ["x", "y"]) yield { sandboxId: "sbx-1", stdin: new TextEncoder().encode(word) };
      }
      const echoed: string[] = [];
      for await (const output of client.attach(inputs())) echoed.push(text.decode(output.stdout));
      expect(echoed).toEqual(["x", "y"]);
    },
  );

  describe("over HTTP/1.1 with raw fetch", () => {
    const ORIGIN = "http://127.0.0.1:1";

    it("answers a Connect unary call with the JSON error body, status headers and CORS", async () => {
      const response = await scripted(server, failWith(FAILURE), () =>
        fetch(`${server.http1Url}/${SandboxService.typeName}/GetSandbox`, {
          method: "POST",
          headers: { "content-type": "application/json", "connect-protocol-version": "1", origin: ORIGIN },
          body: JSON.stringify(GET),
        }),
      );
      expect(response.status).toBe(503);
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      const exposed = response.headers.get("access-control-expose-headers")?.split(", ") ?? [];
      expect(exposed).toEqual(
        expect.arrayContaining([
          "grpc-status-details-bin",
          "retry-after",
          "grpc-retry-pushback-ms",
          "retry-after-ms",
        ]),
      );
      expect(response.headers.get("retry-after")).toBe(FAILURE.headers?.["retry-after"]);
      const body = (await response.json()) as {
        code: string;
        message: string;
        details: { type: string; value: string }[];
      };
      expect(codeFromString(body.code)).toBe(FAILURE.code);
      expect(body.message).toBe(FAILURE.message);
      expect(body.details.map((entry) => entry.type)).toEqual(anyDetails(FAILURE).map((entry) => entry.type));
      expect(body.details.map((entry) => new Uint8Array(Buffer.from(entry.value, "base64")))).toEqual(
        anyDetails(FAILURE).map((entry) => entry.value),
      );
    });

    it("answers a gRPC-web call with the status in headers or trailer frame, exposed to the page", async () => {
      // An empty GetSandboxRequest in one uncompressed data frame.
      const response = await scripted(server, failWith(FAILURE), () =>
        fetch(`${server.http1Url}/${SandboxService.typeName}/GetSandbox`, {
          method: "POST",
          headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", origin: ORIGIN },
          body: new Uint8Array([0, 0, 0, 0, 0]),
        }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // Trailers-only answers put the status in the headers; otherwise it is in the trailer frame.
      const fields = new Map<string, string>();
      response.headers.forEach((value, key) => {
        fields.set(key, value);
      });
      if (bytes.length > 5 && (bytes[0]! & 0x80) !== 0) {
        for (const line of text.decode(bytes.subarray(5)).split("\r\n")) {
          const colon = line.indexOf(":");
          if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
      }
      expect(fields.get("grpc-status")).toBe(String(FAILURE.code));
      expect(decodeURIComponent(fields.get("grpc-message") ?? "")).toBe(FAILURE.message);
      const blob = new Uint8Array(Buffer.from(fields.get(STATUS_DETAILS_KEY) ?? "", "base64"));
      expect(decodeStatusBlob(blob).details.map(({ typeUrl, value }) => ({ typeUrl, value }))).toEqual(
        decodeStatusBlob(statusBlob(FAILURE)).details.map(({ typeUrl, value }) => ({ typeUrl, value })),
      );
      expect(fields.get("grpc-retry-pushback-ms")).toBe(FAILURE.trailers?.["grpc-retry-pushback-ms"]);
    });

    it("answers a CORS preflight for the Connect and gRPC-web request headers", async () => {
      const response = await fetch(`${server.http1Url}/${SandboxService.typeName}/GetSandbox`, {
        method: "OPTIONS",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, connect-protocol-version, x-grpc-web",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-headers")).toContain("x-grpc-web");
    });
  });
});

// ---------------------------------------------------------------------------------------------
// nice-grpc
// ---------------------------------------------------------------------------------------------

describe("nice-grpc server", () => {
  let server: NiceGrpcServer;

  beforeAll(async () => {
    server = await startNiceGrpcServer(succeed);
  });
  afterAll(() => server.close());

  it("fails a plain client's call with a ClientError of the code and message (no details)", async () => {
    const { sandbox } = server.clients();
    const error = await scripted(server, failWith(FAILURE), () => sandbox.getSandbox(GET).catch((e) => e));
    expect(error).toBeInstanceOf(ClientError);
    expect(error).not.toBeInstanceOf(RichClientError);
    expect((error as ClientError).code).toBe(FAILURE.code);
    expect((error as ClientError).details).toBe(FAILURE.message);
  });

  it("fails a rich client's call with a RichClientError whose extra holds the decoded details", async () => {
    const { sandbox } = server.richClients();
    const error = await scripted(server, failWith(FAILURE), () => sandbox.getSandbox(GET).catch((e) => e));
    expect(error).toBeInstanceOf(RichClientError);
    const extra = (error as RichClientError).extra as unknown as Record<string, unknown>[];
    expect(extra.map((entry) => entry.$type)).toEqual(anyDetails(FAILURE).map((entry) => entry.type));
    const errorInfo = detail("ErrorInfo");
    expect(extra[0]).toMatchObject({
      reason: errorInfo.reason,
      domain: errorInfo.domain,
      metadata: { ...errorInfo.metadata },
    });
    const delay = extra[1]?.retryDelay as { seconds: number; nanos: number };
    expect(delay.seconds * 1000 + delay.nanos / 1e6).toBe(detail("RetryInfo").retryDelay);
    expect(extra[2]).toMatchObject({ requestId: detail("RequestInfo").requestId });
  });

  it("answers unary calls and streams with the shared answers", async () => {
    const { sandbox } = server.clients();
    expect(await sandbox.getSandbox(GET)).toEqual(answers.getSandbox(GET));
    const received: string[] = [];
    for await (const output of sandbox.exec(EXEC)) received.push(text.decode(output.stdout));
    expect(received).toEqual(EXEC.command);
  });

  it("streams the first messages, then throws a ClientError from the async iterable", async () => {
    const { sandbox } = server.richClients();
    const received: string[] = [];
    const error = await scripted(server, failWith({ ...FAILURE, afterMessages: 2 }), async () => {
      try {
        for await (const output of sandbox.exec(EXEC)) received.push(text.decode(output.stdout));
      } catch (failure) {
        return failure;
      }
      return undefined;
    });
    expect(received).toEqual(EXEC.command.slice(0, 2));
    expect(error).toBeInstanceOf(RichClientError);
    expect((error as RichClientError).extra).toHaveLength(anyDetails(FAILURE).length);
  });

  it("serves client and bidirectional streams", async () => {
    const { streams } = server.clients();
    async function* chunks() {
      yield { sandboxId: "sbx-1", data: new Uint8Array([1, 2, 3]) };
    }
    expect(await streams.writeFile(chunks())).toEqual({ bytesWritten: 3 });
    async function* inputs() {
      for (const word of ["p", "q"]) yield { sandboxId: "sbx-1", stdin: new TextEncoder().encode(word) };
    }
    const echoed: string[] = [];
    for await (const output of streams.attach(inputs())) echoed.push(text.decode(output.stdout));
    expect(echoed).toEqual(["p", "q"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The generic HTTP server
// ---------------------------------------------------------------------------------------------

describe("scripted HTTP server", () => {
  let server: HttpServer;

  beforeAll(async () => {
    server = await startHttpServer({ status: 204 });
  });
  afterAll(() => server.close());

  it("sends the status line, headers and body it was given, and records the request", async () => {
    const body = JSON.stringify({ error: { code: 404, message: "no such sandbox", status: "NOT_FOUND" } });
    server.respond = {
      status: 404,
      statusText: "Sandbox Missing",
      headers: { "content-type": "application/json", "retry-after": "7" },
      body,
    };
    const response = await fetch(`${server.url}/v1/sandboxes/sbx-1`, { method: "POST", body: "ping" });
    expect(response.status).toBe(404);
    expect(response.statusText).toBe("Sandbox Missing");
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe(body);
    const last = server.requests.at(-1);
    expect(last?.url).toBe("/v1/sandboxes/sbx-1");
    expect(text.decode(last?.body)).toBe("ping");
  });

  it("streams chunks one at a time, slowly when asked", async () => {
    const chunks = ["first,", "second,", "third"];
    server.respond = { status: 200, body: chunks, chunkDelayMs: 5 };
    const response = await fetch(server.url);
    const reader = response.body!.getReader();
    let received = "";
    for (let reads = 0; reads < 100; reads++) {
      const { done, value } = await reader.read();
      if (done) break;
      received += text.decode(value);
    }
    expect(received).toBe(chunks.join(""));
  });

  it("keeps a never-ending body open until the client aborts", async () => {
    server.respond = { status: 200, body: ["only chunk"], end: "never" };
    const abort = new AbortController();
    const response = await fetch(server.url, { signal: abort.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(text.decode(first.value)).toBe("only chunk");
    const next = reader.read();
    abort.abort();
    await expect(next).rejects.toThrow();
  });

  it("breaks the body off mid-read", async () => {
    server.respond = {
      status: 200,
      headers: { "content-length": "1000" },
      body: ["partial"],
      end: "destroy",
    };
    const response = await fetch(server.url);
    await expect(response.text()).rejects.toThrow();
  });

  it("sends trailers after a chunked body", async () => {
    server.respond = { status: 200, body: ["a", "b"], trailers: { "grpc-status": "5" } };
    const trailers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      http
        .get(server.url, (response) => {
          response.resume();
          response.on("end", () => resolve(response.trailers));
        })
        .on("error", reject);
    });
    expect(trailers["grpc-status"]).toBe("5");
  });
});
