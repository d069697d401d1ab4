/**
 * A generic `node:http` server on 127.0.0.1 (an ephemeral port) that answers with whatever response
 * the test describes: status, headers, a body in chunks, trailers; sent at once, slowly, never
 * finished, or broken off mid-body. For an HTTP/JSON gateway's failures, gRPC-web bodies built by
 * hand, and raw-`fetch` tests. CORS is open to any origin, as for the connect server.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** How the body ends. */
export type BodyEnd =
  /** Every chunk, then the end of the response (and its trailers). */
  | "complete"
  /** Every chunk, then nothing: the response stays open until the client gives up or the server closes. */
  | "never"
  /** Every chunk, then the connection is destroyed: the client sees the body fail mid-read. */
  | "destroy";

/** A response to send. */
export interface ScriptedResponse {
  readonly status: number;
  /** The reason phrase; Node's default for the status when left out. */
  readonly statusText?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The body, as one piece or as chunks written one at a time. */
  readonly body?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Waits this long before each chunk but the first (a slow server). */
  readonly chunkDelayMs?: number;
  /** Trailers after the body (chunked encoding); only for `end: "complete"`. */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Default `"complete"`. */
  readonly end?: BodyEnd;
}

/** A request the server received, body read in full. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** Picks the response for a request. */
export type Responder = (request: ReceivedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

/** A running scripted HTTP server. */
export interface HttpServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What the server answers; replace it between tests. */
  respond: Responder | ScriptedResponse;
  /** Every request received so far, in order (CORS preflights included). */
  readonly requests: readonly ReceivedRequest[];
  /** Closes the server and every connection to it (a never-ending response included). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(request: http.IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

async function send(response: http.ServerResponse, scripted: ScriptedResponse): Promise<void> {
  const end = scripted.end ?? "complete";
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(scripted.headers ?? {})) {
    headers[key] = typeof value === "string" ? value : [...value];
  }
  if (scripted.trailers !== undefined && end === "complete") {
    headers.trailer = Object.keys(scripted.trailers).join(", ");
  }
  for (const [key, value] of Object.entries(headers)) response.setHeader(key, value);
  response.statusCode = scripted.status;
  if (scripted.statusText !== undefined) response.statusMessage = scripted.statusText;
  const body = scripted.body;
  const chunks =
    body === undefined ? [] : typeof body === "string" || body instanceof Uint8Array ? [body] : body;
  // Headers go out before the first chunk, so a client sees the response even when no chunk follows.
  response.flushHeaders();
  for (let index = 0; index < chunks.length; index++) {
    if (index > 0 && scripted.chunkDelayMs !== undefined) await sleep(scripted.chunkDelayMs);
    if (response.destroyed) return;
    // Each chunk is handed to the socket before the next step, so a "destroy" comes after it.
    await new Promise<void>((resolve) => response.write(chunks[index], () => resolve()));
  }
  if (end === "complete") {
    if (scripted.trailers !== undefined) response.addTrailers(scripted.trailers);
    response.end();
  } else if (end === "destroy") {
    // The request was read in full, so this closes the connection cleanly after the bytes already
    // sent: the client gets the status, headers and chunks, then a body cut short.
    response.socket?.destroy();
  }
}

/**
 * A loopback port with nothing listening on it: bound by a server that is closed again at once, so
 * a connection to it is refused (`ECONNREFUSED`). The port stays free unless another process takes
 * it in the meantime, which the kernel's ephemeral-port rotation makes unlikely within a test.
 */
export async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts the server on 127.0.0.1 and an ephemeral port. */
export async function startHttpServer(respond: Responder | ScriptedResponse): Promise<HttpServer> {
  const requests: ReceivedRequest[] = [];
  const running: HttpServer = { url: "", respond, requests, close: async () => {} };
  const server = http.createServer(async (request, response) => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("access-control-expose-headers", "*");
    }
    const received: ReceivedRequest = {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      headers: request.headers,
      body: await readBody(request),
    };
    requests.push(received);
    if (request.method === "OPTIONS" && origin !== undefined) {
      response.writeHead(204, {
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "*",
      });
      response.end();
      return;
    }
    try {
      const chosen =
        typeof running.respond === "function" ? await running.respond(received) : running.respond;
      await send(response, chosen);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`test server failed: ${String(error)}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  (running as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  running.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return running;
}
