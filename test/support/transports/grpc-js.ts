/**
 * A real grpc-js server on 127.0.0.1 (an ephemeral port) serving the demo's `SandboxService` and the
 * test `StreamService` (client and bidirectional streams) from one {@link Script}, with clients
 * for it. Failures travel as a grpc-js server does send them: code, message, and the kit's
 * `grpc-status-details-bin` trailer (`toServiceError`).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { toServiceError } from "../../../src/testing/index.js";
import { SandboxService } from "../sandbox-service.js";
import {
  type AttachInput,
  answers,
  type ExecRequest,
  type Failure,
  type FileChunk,
  type GetSandboxRequest,
  type ReadFileRequest,
  type Script,
  type StartSandboxRequest,
} from "./script.js";

const STREAMS_PROTO = fileURLToPath(new URL("../../fixtures/streams.proto", import.meta.url));

const streamsDefinition = protoLoader.loadSync(STREAMS_PROTO, {
  keepCase: false,
  longs: Number,
  defaults: true,
});
const streamsPackage = grpc.loadPackageDefinition(streamsDefinition) as unknown as {
  demo: { streams: { v1: { StreamService: grpc.ServiceClientConstructor } } };
};
/** The client constructor (and `.service` definition) of `demo.streams.v1.StreamService`. */
export const StreamService = streamsPackage.demo.streams.v1.StreamService;

/** A grpc-js client of either service: its methods by name, as grpc-js builds them. */
export type GrpcJsClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** The status object a grpc-js handler fails with: the kit's, plus the failure's extra trailers. */
export function grpcJsStatus(failure: Failure): grpc.StatusObject {
  const status = toServiceError({ code: failure.code, message: failure.message, details: failure.details });
  for (const [key, value] of Object.entries(failure.trailers ?? {})) status.metadata.set(key, value);
  return status;
}

function sendHeaders(call: { sendMetadata(metadata: grpc.Metadata): void }, failure: Failure): void {
  if (failure.headers === undefined) return;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(failure.headers)) metadata.set(key, value);
  call.sendMetadata(metadata);
}

/** The handlers of both services, reading the script anew on every call. */
function handlers(script: () => Script): {
  sandbox: grpc.UntypedServiceImplementation;
  streams: grpc.UntypedServiceImplementation;
} {
  function unary<Request, Response>(method: string, answer: (request: Request) => Response) {
    return (call: grpc.ServerUnaryCall<Request, Response>, callback: grpc.sendUnaryData<Response>) => {
      const failure = script()({ method, request: call.request });
      if (failure === undefined) return callback(null, answer(call.request));
      sendHeaders(call, failure);
      callback(grpcJsStatus(failure));
    };
  }
  return {
    sandbox: {
      GetSandbox: unary("GetSandbox", (request: GetSandboxRequest) => answers.getSandbox(request)),
      StartSandbox: unary("StartSandbox", (request: StartSandboxRequest) => answers.startSandbox(request)),
      ReadFile: unary("ReadFile", (request: ReadFileRequest) => answers.readFile(request)),
      Exec(call: grpc.ServerWritableStream<ExecRequest, unknown>) {
        const failure = script()({ method: "Exec", request: call.request });
        const outputs = answers.exec(call.request);
        if (failure === undefined) {
          for (const output of outputs) call.write(output);
          call.end();
          return;
        }
        sendHeaders(call, failure);
        for (const output of outputs.slice(0, failure.afterMessages ?? 0)) call.write(output);
        call.emit("error", grpcJsStatus(failure));
      },
    },
    streams: {
      WriteFile(call: grpc.ServerReadableStream<FileChunk, unknown>, callback: grpc.sendUnaryData<unknown>) {
        const chunks: FileChunk[] = [];
        call.on("data", (chunk: FileChunk) => chunks.push(chunk));
        call.on("end", () => {
          const failure = script()({ method: "WriteFile", request: chunks[0] });
          if (failure === undefined) return callback(null, answers.writeFile(chunks));
          sendHeaders(call, failure);
          callback(grpcJsStatus(failure));
        });
      },
      Attach(call: grpc.ServerDuplexStream<AttachInput, unknown>) {
        // Echo the first `afterMessages` inputs, then fail: as soon as that many were echoed, or
        // when the client ends its side first.
        let decided = false;
        let failure: Failure | undefined;
        let failed = false;
        let echoed = 0;
        const decide = (request: AttachInput | undefined) => {
          if (decided) return;
          decided = true;
          failure = script()({ method: "Attach", request });
          if (failure !== undefined) sendHeaders(call, failure);
        };
        const fail = (chosen: Failure) => {
          if (failed) return;
          failed = true;
          call.emit("error", grpcJsStatus(chosen));
        };
        call.on("data", (input: AttachInput) => {
          decide(input);
          if (failed) return;
          const due = failure?.afterMessages ?? 0;
          if (failure === undefined || echoed < due) {
            call.write(answers.attach(input));
            echoed++;
          }
          if (failure !== undefined && echoed >= due) fail(failure);
        });
        call.on("end", () => {
          decide(undefined);
          if (failure === undefined) call.end();
          else fail(failure);
        });
      },
    },
  };
}

/** A running grpc-js server of both services. */
export interface GrpcJsServer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** What the server does; replace it between tests. */
  script: Script;
  /** A client of `SandboxService` (closed by {@link close}). */
  sandboxClient(options?: grpc.ClientOptions): GrpcJsClient;
  /** A client of `StreamService` (closed by {@link close}). */
  streamsClient(options?: grpc.ClientOptions): GrpcJsClient;
  /** Closes the clients made here, then the server. */
  close(): Promise<void>;
}

/** Starts both services on 127.0.0.1 and an ephemeral port. */
export async function startGrpcJsServer(script: Script): Promise<GrpcJsServer> {
  const server = new grpc.Server();
  const clients: grpc.Client[] = [];
  const running: GrpcJsServer = {
    address: "",
    script,
    sandboxClient(options) {
      const client = new SandboxService(running.address, grpc.credentials.createInsecure(), options);
      clients.push(client);
      return client as GrpcJsClient;
    },
    streamsClient(options) {
      const client = new StreamService(running.address, grpc.credentials.createInsecure(), options);
      clients.push(client);
      return client as GrpcJsClient;
    },
    async close() {
      for (const client of clients) client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
  const { sandbox, streams } = handlers(() => running.script);
  server.addService(SandboxService.service, sandbox);
  server.addService(StreamService.service, streams);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  (running as { address: string }).address = `127.0.0.1:${port}`;
  return running;
}
