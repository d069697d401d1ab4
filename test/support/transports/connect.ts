/**
 * One `@connectrpc/connect-node` router serving the demo's `SandboxService` and the test
 * `StreamService` over the Connect, gRPC and gRPC-web protocols, from one {@link Script}. It listens
 * twice on 127.0.0.1 (ephemeral ports): HTTP/2 cleartext, for connect-node's transports, and
 * HTTP/1.1 with CORS, for browser pages on another loopback origin and for raw `fetch`.
 *
 * A failure is a `ConnectError` whose details are the failure's status details in connect-es's
 * incoming form (`{ type, value }`): connect-es writes them as the `grpc-status-details-bin` trailer
 * (gRPC, gRPC-web) or the JSON error's `details` (Connect), exactly as a connect-es server would.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import {
  ConnectError,
  type ConnectRouter,
  cors,
  type HandlerContext,
  type Transport,
} from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { SandboxService } from "./gen/sandbox_pb.js";
import { StreamService } from "./gen/streams_pb.js";
import { answers, anyDetails, type Failure, type FileChunk, type Script } from "./script.js";

/** The protocols connect-es speaks. */
export type ConnectProtocol = "connect" | "grpc" | "grpc-web";

/**
 * Headers a page must be allowed to read for the retry hints of SPEC §13 (a Connect unary response
 * carries trailers as `trailer-`-prefixed headers, so those too).
 */
const HINT_HEADERS = ["retry-after", "grpc-retry-pushback-ms", "retry-after-ms"];
const EXPOSED_HEADERS = [
  ...new Set([
    ...cors.exposedHeaders,
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    ...HINT_HEADERS,
    ...HINT_HEADERS.map((name) => `trailer-${name}`),
  ]),
].join(", ");

/**
 * Asks the script about a call; for a failure, sets its headers at once (a stream commits its
 * headers with the first message) and its trailers.
 */
function decide(
  script: Script,
  method: string,
  request: unknown,
  context: HandlerContext,
): Failure | undefined {
  const failure = script({ method, request });
  if (failure === undefined) return undefined;
  for (const [key, value] of Object.entries(failure.headers ?? {})) context.responseHeader.set(key, value);
  for (const [key, value] of Object.entries(failure.trailers ?? {})) context.responseTrailer.set(key, value);
  return failure;
}

/** Throws the failure as a connect-es server does. */
function raise(failure: Failure): never {
  const error = new ConnectError(failure.message ?? "", failure.code);
  // The incoming form { type, value } is accepted for outgoing errors too (connect-es 2 writes it
  // back unchanged: `setTrailerStatus` and `errorToJson` both pass non-`desc` details through).
  error.details = anyDetails(failure);
  throw error;
}

function routes(script: () => Script) {
  function unary(method: string, request: unknown, context: HandlerContext): void {
    const failure = decide(script(), method, request, context);
    if (failure !== undefined) raise(failure);
  }
  return (router: ConnectRouter) => {
    router.service(SandboxService, {
      getSandbox(request, context) {
        unary("GetSandbox", request, context);
        return answers.getSandbox(request);
      },
      startSandbox(request, context) {
        unary("StartSandbox", request, context);
        return answers.startSandbox(request);
      },
      readFile(request, context) {
        unary("ReadFile", request, context);
        return answers.readFile(request);
      },
      async *exec(request, context) {
        const failure = decide(script(), "Exec", request, context);
        const outputs = answers.exec(request);
        if (failure === undefined) return yield* outputs;
        yield* outputs.slice(0, failure.afterMessages ?? 0);
        raise(failure);
      },
    });
    router.service(StreamService, {
      async writeFile(requests, context) {
        const chunks: FileChunk[] = [];
        for await (const chunk of requests) chunks.push(chunk);
        const failure = decide(script(), "WriteFile", chunks[0], context);
        if (failure !== undefined) raise(failure);
        return answers.writeFile(chunks);
      },
      async *attach(requests, context) {
        // Echo the first `afterMessages` inputs, then fail: as soon as that many were echoed, or when the
        // client ends its side first.
        let failure: Failure | undefined;
        let decided = false;
        let echoed = 0;
        for await (const input of requests) {
          if (!decided) {
            decided = true;
            failure = decide(script(), "Attach", input, context);
          }
          if (failure !== undefined && echoed >= (failure.afterMessages ?? 0)) raise(failure);
          echoed++;
          yield answers.attach(input);
          if (failure !== undefined && echoed >= (failure.afterMessages ?? 0)) raise(failure);
        }
        if (!decided) failure = decide(script(), "Attach", undefined, context);
        if (failure !== undefined) raise(failure);
      },
    });
  };
}

/**
 * Lets a page on any origin call the HTTP/1.1 listener with the Connect and gRPC-web protocols, and
 * read the status headers and retry hints of the answer.
 */
function withCors(handler: http.RequestListener): http.RequestListener {
  return (request, response) => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("vary", "origin");
      response.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    }
    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        "access-control-allow-methods": cors.allowedMethods.join(", "),
        "access-control-allow-headers":
          request.headers["access-control-request-headers"] ?? cors.allowedHeaders.join(", "),
        "access-control-max-age": "600",
      });
      response.end();
      return;
    }
    handler(request, response);
  };
}

/** A running connect-node server (both listeners). */
export interface ConnectServer {
  /** `http://127.0.0.1:<port>` of the HTTP/2 cleartext listener. */
  readonly http2Url: string;
  /** `http://127.0.0.1:<port>` of the HTTP/1.1 listener (CORS on). */
  readonly http1Url: string;
  /** What the server does; replace it between tests. */
  script: Script;
  /**
   * A connect-node transport to the HTTP/2 listener for `protocol` (binary protobuf; Connect's
   * errors are JSON whatever the message format).
   */
  transport(protocol: ConnectProtocol): Transport;
  /** Closes both listeners and every connection to them. */
  close(): Promise<void>;
}

function listen(server: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/** Starts the router on an HTTP/2 and an HTTP/1.1 listener, both on 127.0.0.1. */
export async function startConnectServer(script: Script): Promise<ConnectServer> {
  let current = script;
  const handler = connectNodeAdapter({ routes: routes(() => current) });
  const h2 = http2.createServer(handler);
  const h1 = http.createServer(withCors(handler as http.RequestListener));
  // HTTP/2 clients keep their sessions open; close() ends them so the listener can close.
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const [http2Url, http1Url] = await Promise.all([listen(h2), listen(h1)]);
  const make = {
    connect: createConnectTransport,
    grpc: createGrpcTransport,
    "grpc-web": createGrpcWebTransport,
  } as const;
  return {
    http2Url,
    http1Url,
    get script() {
      return current;
    },
    set script(next) {
      current = next;
    },
    transport(protocol) {
      return make[protocol]({ baseUrl: http2Url, httpVersion: "2", useBinaryFormat: true });
    },
    async close() {
      for (const session of sessions) session.destroy();
      h1.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => h2.close(() => resolve())),
        new Promise<void>((resolve) => h1.close(() => resolve())),
      ]);
    },
  };
}
