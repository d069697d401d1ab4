/**
 * A real `nice-grpc` server on 127.0.0.1 (an ephemeral port) serving the demo's `SandboxService`
 * and the test `StreamService` from one {@link Script}, with client factories: plain, and with
 * `nice-grpc-error-details`' client middleware (whose `RichClientError.extra` holds the decoded
 * details), or with any middleware the test passes.
 *
 * A failure is what a nice-grpc handler sends: the kit's `grpc-status-details-bin` blob set on the
 * call context's trailer, then `throw new ServerError(code, message)`. nice-grpc's own
 * `RichServerError` path is not needed: the client middleware reads only the trailer.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  type CallContext,
  type Client,
  type ClientMiddleware,
  createChannel,
  createClientFactory,
  createServer,
  type MethodDefinition,
  ServerError,
  type ServiceImplementation,
} from "nice-grpc";
import { errorDetailsClientMiddleware } from "nice-grpc-error-details";
import { STATUS_DETAILS_KEY } from "../../../src/wire/status-details.js";
import { SandboxService } from "../sandbox-service.js";
import { StreamService } from "./grpc-js.js";
import {
  type AttachInput,
  type AttachOutput,
  answers,
  type ExecOutput,
  type ExecRequest,
  type Failure,
  type FileChunk,
  type GetSandboxRequest,
  type ReadFileRequest,
  type ReadFileResponse,
  type Sandbox,
  type Script,
  type StartSandboxRequest,
  statusBlob,
  type WriteFileResponse,
} from "./script.js";

type Method<
  Request,
  Response,
  RequestStream extends boolean,
  ResponseStream extends boolean,
> = MethodDefinition<Request, Request, Response, Response, RequestStream, ResponseStream>;

/** `demo.sandbox.v1.SandboxService` as a typed nice-grpc definition, methods in lowerCamelCase. */
// Type aliases, not interfaces: only those are assignable to nice-grpc's index-signature type.
export type NiceSandboxService = {
  getSandbox: Method<GetSandboxRequest, Sandbox, false, false>;
  startSandbox: Method<StartSandboxRequest, Sandbox, false, false>;
  readFile: Method<ReadFileRequest, ReadFileResponse, false, false>;
  exec: Method<ExecRequest, ExecOutput, false, true>;
};

/** `demo.streams.v1.StreamService` as a typed nice-grpc definition. */
export type NiceStreamService = {
  writeFile: Method<FileChunk, WriteFileResponse, true, false>;
  attach: Method<AttachInput, AttachOutput, true, true>;
};

/**
 * nice-grpc's own definition format built from grpc-js's (proto-loader) one, keyed by the methods'
 * lowerCamelCase names as ts-proto's nice-grpc output (Modal's SDK) names them.
 */
function niceDefinition<Definition>(definition: grpc.ServiceDefinition): Definition {
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    methods[method.originalName ?? name] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: method.requestSerialize,
      requestDeserialize: (bytes: Uint8Array) => method.requestDeserialize(Buffer.from(bytes)),
      responseSerialize: method.responseSerialize,
      responseDeserialize: (bytes: Uint8Array) => method.responseDeserialize(Buffer.from(bytes)),
      options: {},
    };
  }
  return methods as Definition;
}

/** `SandboxService` for nice-grpc servers and clients. */
export const niceSandboxService = niceDefinition<NiceSandboxService>(SandboxService.service);
/** `StreamService` for nice-grpc servers and clients. */
export const niceStreamService = niceDefinition<NiceStreamService>(StreamService.service);

/** Sends the failure's headers, trailers and status blob, and throws it as a nice-grpc handler does. */
function raise(failure: Failure, context: CallContext): never {
  for (const [key, value] of Object.entries(failure.headers ?? {})) context.header.set(key, value);
  for (const [key, value] of Object.entries(failure.trailers ?? {})) context.trailer.set(key, value);
  context.trailer.set(STATUS_DETAILS_KEY, statusBlob(failure));
  throw new ServerError(failure.code, failure.message ?? "");
}

function implementations(script: () => Script): {
  sandbox: ServiceImplementation<NiceSandboxService>;
  streams: ServiceImplementation<NiceStreamService>;
} {
  function unary<Request, Response>(method: string, answer: (request: Request) => Response) {
    return async (request: Request, context: CallContext): Promise<Response> => {
      const failure = script()({ method, request });
      if (failure !== undefined) raise(failure, context);
      return answer(request);
    };
  }
  return {
    sandbox: {
      getSandbox: unary("GetSandbox", answers.getSandbox),
      startSandbox: unary("StartSandbox", answers.startSandbox),
      readFile: unary("ReadFile", answers.readFile),
      async *exec(request: ExecRequest, context: CallContext) {
        const failure = script()({ method: "Exec", request });
        const outputs = answers.exec(request);
        if (failure === undefined) return yield* outputs;
        // A stream commits its headers with the first message: send the failure's now.
        for (const [key, value] of Object.entries(failure.headers ?? {})) context.header.set(key, value);
        yield* outputs.slice(0, failure.afterMessages ?? 0);
        raise(failure, context);
      },
    },
    streams: {
      async writeFile(requests: AsyncIterable<FileChunk>, context: CallContext) {
        const chunks: FileChunk[] = [];
        for await (const chunk of requests) chunks.push(chunk);
        const failure = script()({ method: "WriteFile", request: chunks[0] });
        if (failure !== undefined) raise(failure, context);
        return answers.writeFile(chunks);
      },
      async *attach(requests: AsyncIterable<AttachInput>, context: CallContext) {
        let failure: Failure | undefined;
        let decided = false;
        let echoed = 0;
        for await (const input of requests) {
          if (!decided) {
            decided = true;
            failure = script()({ method: "Attach", request: input });
            for (const [key, value] of Object.entries(failure?.headers ?? {})) context.header.set(key, value);
          }
          if (failure !== undefined && echoed >= (failure.afterMessages ?? 0)) raise(failure, context);
          echoed++;
          yield answers.attach(input);
          if (failure !== undefined && echoed >= (failure.afterMessages ?? 0)) raise(failure, context);
        }
        if (!decided) failure = script()({ method: "Attach", request: undefined });
        if (failure !== undefined) raise(failure, context);
      },
    },
  };
}

/** The nice-grpc clients of both services. */
export interface NiceClients {
  sandbox: Client<NiceSandboxService>;
  streams: Client<NiceStreamService>;
}

/** A running nice-grpc server. */
export interface NiceGrpcServer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** What the server does; replace it between tests. */
  script: Script;
  /** Plain nice-grpc clients: a failure throws a `ClientError` (code and message, no details). */
  clients(): NiceClients;
  /** Clients with `errorDetailsClientMiddleware`: a failure throws a `RichClientError`. */
  richClients(): NiceClients;
  /** Clients with `middleware` attached (e.g. this package's `niceGrpcErrorMiddleware`). */
  clientsWith(middleware: ClientMiddleware): NiceClients;
  /** Closes the channels made here, then the server. */
  close(): Promise<void>;
}

/** Starts both services on a nice-grpc server on 127.0.0.1 and an ephemeral port. */
export async function startNiceGrpcServer(script: Script): Promise<NiceGrpcServer> {
  let current = script;
  const server = createServer();
  const { sandbox, streams } = implementations(() => current);
  server.add(niceSandboxService, sandbox);
  server.add(niceStreamService, streams);
  const port = await server.listen("127.0.0.1:0");
  const address = `127.0.0.1:${port}`;
  const channels: grpc.Channel[] = [];
  function make(middleware?: ClientMiddleware): NiceClients {
    const channel = createChannel(address);
    channels.push(channel);
    const factory = middleware === undefined ? createClientFactory() : createClientFactory().use(middleware);
    return {
      sandbox: factory.create(niceSandboxService, channel),
      streams: factory.create(niceStreamService, channel),
    };
  }
  return {
    address,
    get script() {
      return current;
    },
    set script(next) {
      current = next;
    },
    clients: () => make(),
    richClients: () => make(errorDetailsClientMiddleware),
    clientsWith: (middleware) => make(middleware),
    async close() {
      for (const channel of channels) channel.close();
      await server.shutdown();
    },
  };
}
