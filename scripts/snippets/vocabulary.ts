/**
 * The types a documentation snippet may name in its `<!-- snippet: assumes ... -->` comment (see
 * scripts/snippets/check.ts): what a reader's own project has — a generated client, a service
 * definition, a logger, their SDK — and a snippet uses without building it. A snippet gets only
 * the names its comment mentions.
 *
 * The names follow the code generators a reader would use: protoc-gen-es for connect-es, ts-proto's
 * `outputServices=grpc-js` for grpc-js. The service is the demo's (examples/sandbox.proto) where the
 * snippets use its methods, plus the upload and watch methods the testing kit's examples serve.
 */
import type * as grpc from "@grpc/grpc-js";
import type { ProcessResult } from "sandbox-sdk-errors";
import type { SandboxService } from "../../test/support/transports/gen/sandbox_pb.js";

export type { Tracer } from "@opentelemetry/api";
export type { Channel } from "nice-grpc";

/** The sandbox service's descriptor, as protoc-gen-es generates it (`SandboxService` of `sandbox_pb.ts`). */
export type ConnectSandboxService = typeof SandboxService;

/**
 * A promise-based client of the sandbox service, as connect-es's `createClient` or nice-grpc's
 * `createClient` gives one: each method takes the request and call options with a `signal`, and
 * rejects with the transport's error.
 */
export interface SandboxClient {
  getSandbox(request: GetSandboxRequest, options?: CallOptions): Promise<Sandbox>;
  exec(request: ExecRequest, options?: CallOptions): Promise<ExecResponse>;
}

/** The call options every promise-based client takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** `Exec`'s request: a command to run in a sandbox. */
export interface ExecRequest {
  sandboxId: string;
  command: string[];
}

/** What a command printed, and how it exited. */
export interface ExecResponse {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}

/** `GetSandbox`'s request, as ts-proto writes it for grpc-js. */
export interface GetSandboxRequest {
  sandboxId: string;
}

/** `StartSandbox`'s request. */
export interface StartSandboxRequest {
  image: string;
  tags: string[];
}

/** A sandbox, the answer of `GetSandbox` and `StartSandbox`. */
export interface Sandbox {
  sandboxId: string;
  state: string;
}

/** One chunk of a client-streamed upload. */
export interface UploadChunk {
  sandboxId: string;
  path: string;
  data: Uint8Array;
}

/** The answer to an upload. */
export interface UploadResult {
  bytesWritten: number;
}

/** `Watch`'s request: a sandbox whose state changes the server streams. */
export interface WatchRequest {
  sandboxId: string;
}

/** One state change of a watched sandbox. */
export interface SandboxEvent {
  sandboxId: string;
  state: string;
}

/** The server interface ts-proto generates for grpc-js: it types each handler's `call` and `callback`. */
export interface SandboxServiceServer extends grpc.UntypedServiceImplementation {
  getSandbox: grpc.handleUnaryCall<GetSandboxRequest, Sandbox>;
  startSandbox: grpc.handleUnaryCall<StartSandboxRequest, Sandbox>;
  upload: grpc.handleClientStreamingCall<UploadChunk, UploadResult>;
  watch: grpc.handleServerStreamingCall<WatchRequest, SandboxEvent>;
}

/** The service definition ts-proto generates for grpc-js (`SandboxServiceService`), for `server.addService`. */
export type GrpcSandboxService = grpc.ServiceDefinition<SandboxServiceServer>;

/** A reader's own SDK, whose methods throw this package's errors. */
export interface SandboxSdk {
  readFile(sandboxId: string, path: string): Promise<string>;
  deleteSnapshot(snapshotId: string): Promise<void>;
}

/** A sandbox of a reader's own SDK that runs commands. */
export interface SandboxHandle {
  exec(command: string[]): Promise<ProcessResult>;
}

/** A structured logger, pino's shape: fields first, then the message. */
export interface Logger {
  warn(fields: object, message: string): void;
}

/**
 * The `paths` type openapi-typescript generates for a REST sandbox API (for openapi-fetch's
 * `createClient<SandboxPaths>()`): one sandbox read by id, and the `{ code, message }` error body.
 */
export interface SandboxPaths {
  "/sandboxes/{sandboxID}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: never; header?: never; path: { sandboxID: string }; cookie?: never };
      requestBody?: never;
      responses: {
        200: { headers: { [name: string]: unknown }; content: { "application/json": Sandbox } };
        default: {
          headers: { [name: string]: unknown };
          content: { "application/json": { code: number; message: string } };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}

/** A message type as ts-proto generates it for nice-grpc: the codec and `fromPartial`. */
interface TsProtoMessageType<Message> {
  encode(message: Message): { finish(): Uint8Array };
  decode(input: Uint8Array): Message;
  fromPartial(object: Partial<Message>): Message;
}

/** `SandboxWait`'s request in Modal's API (`modal_proto/api.proto`): the fields a snippet uses. */
export interface SandboxWaitRequest {
  sandboxId: string;
  timeout: number;
}

/** `SandboxWait`'s response in Modal's API: the field a snippet uses. */
export interface SandboxWaitResponse {
  completed: boolean;
}

/**
 * Modal's API service as ts-proto generates it for nice-grpc (`ModalClientDefinition`, which
 * `createClientFactory().create()` takes), with the one method the snippets call.
 */
export interface ModalClientService {
  name: "ModalClient";
  fullName: "modal.client.ModalClient";
  methods: {
    sandboxWait: {
      name: "SandboxWait";
      requestType: TsProtoMessageType<SandboxWaitRequest>;
      requestStream: false;
      responseType: TsProtoMessageType<SandboxWaitResponse>;
      responseStream: false;
      options: { idempotencyLevel?: "IDEMPOTENT" | "NO_SIDE_EFFECTS" };
    };
  };
}

/**
 * The grpc-js client ts-proto generates for the sandbox service (`SandboxServiceClient`, with
 * `outputServices=grpc-js`): the method the snippets call, in its full form.
 */
export interface SandboxServiceClient extends grpc.Client {
  getSandbox(
    request: GetSandboxRequest,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: (error: grpc.ServiceError | null, response: Sandbox) => void,
  ): grpc.ClientUnaryCall;
}

/** The constructor ts-proto exports under the same name: `new SandboxServiceClient(address, credentials)`. */
export type SandboxServiceClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => SandboxServiceClient;

/**
 * The sandbox service as ts-proto generates it for nice-grpc (`SandboxServiceDefinition`, with
 * `outputServices=nice-grpc`), which `createClientFactory().create()` takes: the method the snippets call.
 */
export interface NiceGrpcSandboxService {
  name: "SandboxService";
  fullName: "demo.sandbox.v1.SandboxService";
  methods: {
    getSandbox: {
      name: "GetSandbox";
      requestType: TsProtoMessageType<GetSandboxRequest>;
      requestStream: false;
      responseType: TsProtoMessageType<Sandbox>;
      responseStream: false;
      options: { idempotencyLevel?: "IDEMPOTENT" | "NO_SIDE_EFFECTS" };
    };
  };
}
