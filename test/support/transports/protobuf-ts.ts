/**
 * protobuf-ts clients of the demo's `SandboxService` and the test `StreamService` over
 * `@protobuf-ts/grpc-transport`, for the grpc-js servers of this folder.
 *
 * No protobuf-ts code generator is installed, so the message and service types are written by
 * hand with `@protobuf-ts/runtime` and `@protobuf-ts/runtime-rpc`, exactly as `protoc-gen-ts`
 * would emit them (field numbers and names as in `examples/sandbox.proto` and
 * `test/fixtures/streams.proto`; client methods that call `stackIntercept`).
 */
import { ChannelCredentials } from "@grpc/grpc-js";
import { type GrpcOptions, GrpcTransport } from "@protobuf-ts/grpc-transport";
import { MessageType, RepeatType, ScalarType } from "@protobuf-ts/runtime";
import {
  type ClientStreamingCall,
  type DuplexStreamingCall,
  type RpcOptions,
  type RpcTransport,
  type ServerStreamingCall,
  ServiceType,
  stackIntercept,
  type UnaryCall,
} from "@protobuf-ts/runtime-rpc";
import type {
  AttachInput,
  AttachOutput,
  ExecOutput,
  ExecRequest,
  FileChunk,
  GetSandboxRequest,
  ReadFileRequest,
  ReadFileResponse,
  Sandbox,
  StartSandboxRequest,
  WriteFileResponse,
} from "./script.js";

const string = (no: number, name: string) => ({ no, name, kind: "scalar", T: ScalarType.STRING }) as const;
const bytes = (no: number, name: string) => ({ no, name, kind: "scalar", T: ScalarType.BYTES }) as const;

// The message types, one per message of the two `.proto` files, named after them.
/** `demo.sandbox.v1.GetSandboxRequest` for protobuf-ts. */
export const GetSandboxRequestType = new MessageType<GetSandboxRequest>("demo.sandbox.v1.GetSandboxRequest", [
  string(1, "sandbox_id"),
]);
/** `demo.sandbox.v1.StartSandboxRequest` for protobuf-ts. */
export const StartSandboxRequestType = new MessageType<StartSandboxRequest>(
  "demo.sandbox.v1.StartSandboxRequest",
  [string(1, "image"), { ...string(2, "tags"), repeat: RepeatType.UNPACKED }],
);
/** `demo.sandbox.v1.Sandbox` for protobuf-ts. */
export const SandboxType = new MessageType<Sandbox>("demo.sandbox.v1.Sandbox", [
  string(1, "sandbox_id"),
  string(2, "state"),
]);
/** `demo.sandbox.v1.ReadFileRequest` for protobuf-ts. */
export const ReadFileRequestType = new MessageType<ReadFileRequest>("demo.sandbox.v1.ReadFileRequest", [
  string(1, "sandbox_id"),
  string(2, "path"),
]);
/** `demo.sandbox.v1.ReadFileResponse` for protobuf-ts. */
export const ReadFileResponseType = new MessageType<ReadFileResponse>("demo.sandbox.v1.ReadFileResponse", [
  bytes(1, "content"),
]);
/** `demo.sandbox.v1.ExecRequest` for protobuf-ts. */
export const ExecRequestType = new MessageType<ExecRequest>("demo.sandbox.v1.ExecRequest", [
  string(1, "sandbox_id"),
  { ...string(2, "command"), repeat: RepeatType.UNPACKED },
]);
/** `demo.sandbox.v1.ExecOutput` for protobuf-ts. */
export const ExecOutputType = new MessageType<ExecOutput>("demo.sandbox.v1.ExecOutput", [
  bytes(1, "stdout"),
  bytes(2, "stderr"),
]);
/** `demo.streams.v1.FileChunk` for protobuf-ts. */
export const FileChunkType = new MessageType<FileChunk>("demo.streams.v1.FileChunk", [
  string(1, "sandbox_id"),
  bytes(2, "data"),
]);
/** `demo.streams.v1.WriteFileResponse` for protobuf-ts. */
export const WriteFileResponseType = new MessageType<WriteFileResponse>("demo.streams.v1.WriteFileResponse", [
  { no: 1, name: "bytes_written", kind: "scalar", T: ScalarType.UINT32 },
]);
/** `demo.streams.v1.AttachInput` for protobuf-ts. */
export const AttachInputType = new MessageType<AttachInput>("demo.streams.v1.AttachInput", [
  string(1, "sandbox_id"),
  bytes(2, "stdin"),
]);
/** `demo.streams.v1.AttachOutput` for protobuf-ts. */
export const AttachOutputType = new MessageType<AttachOutput>("demo.streams.v1.AttachOutput", [
  bytes(1, "stdout"),
]);

/** `demo.sandbox.v1.SandboxService` for protobuf-ts: what `protoc-gen-ts` would emit. */
export const SandboxServiceType = new ServiceType("demo.sandbox.v1.SandboxService", [
  { name: "GetSandbox", options: {}, I: GetSandboxRequestType, O: SandboxType },
  { name: "StartSandbox", options: {}, I: StartSandboxRequestType, O: SandboxType },
  { name: "ReadFile", options: {}, I: ReadFileRequestType, O: ReadFileResponseType },
  { name: "Exec", serverStreaming: true, options: {}, I: ExecRequestType, O: ExecOutputType },
]);

/** `demo.streams.v1.StreamService` for protobuf-ts. */
export const StreamServiceType = new ServiceType("demo.streams.v1.StreamService", [
  { name: "WriteFile", clientStreaming: true, options: {}, I: FileChunkType, O: WriteFileResponseType },
  {
    name: "Attach",
    clientStreaming: true,
    serverStreaming: true,
    options: {},
    I: AttachInputType,
    O: AttachOutputType,
  },
]);

/** The client `protoc-gen-ts` would generate for `SandboxService`. */
export class SandboxServiceClient {
  readonly typeName = SandboxServiceType.typeName;
  readonly methods = SandboxServiceType.methods;
  readonly options = SandboxServiceType.options;

  constructor(private readonly transport: RpcTransport) {}

  getSandbox(input: GetSandboxRequest, options?: RpcOptions): UnaryCall<GetSandboxRequest, Sandbox> {
    const method = this.methods[0]!;
    return stackIntercept("unary", this.transport, method, this.transport.mergeOptions(options), input);
  }

  startSandbox(input: StartSandboxRequest, options?: RpcOptions): UnaryCall<StartSandboxRequest, Sandbox> {
    const method = this.methods[1]!;
    return stackIntercept("unary", this.transport, method, this.transport.mergeOptions(options), input);
  }

  readFile(input: ReadFileRequest, options?: RpcOptions): UnaryCall<ReadFileRequest, ReadFileResponse> {
    const method = this.methods[2]!;
    return stackIntercept("unary", this.transport, method, this.transport.mergeOptions(options), input);
  }

  exec(input: ExecRequest, options?: RpcOptions): ServerStreamingCall<ExecRequest, ExecOutput> {
    const method = this.methods[3]!;
    return stackIntercept(
      "serverStreaming",
      this.transport,
      method,
      this.transport.mergeOptions(options),
      input,
    );
  }
}

/** The client `protoc-gen-ts` would generate for `StreamService`. */
export class StreamServiceClient {
  readonly typeName = StreamServiceType.typeName;
  readonly methods = StreamServiceType.methods;
  readonly options = StreamServiceType.options;

  constructor(private readonly transport: RpcTransport) {}

  writeFile(options?: RpcOptions): ClientStreamingCall<FileChunk, WriteFileResponse> {
    const method = this.methods[0]!;
    return stackIntercept("clientStreaming", this.transport, method, this.transport.mergeOptions(options));
  }

  attach(options?: RpcOptions): DuplexStreamingCall<AttachInput, AttachOutput> {
    const method = this.methods[1]!;
    return stackIntercept("duplex", this.transport, method, this.transport.mergeOptions(options));
  }
}

/** protobuf-ts clients of both services over one grpc-js transport. */
export interface ProtobufTsClients {
  readonly sandbox: SandboxServiceClient;
  readonly streams: StreamServiceClient;
  /** Closes the transport's channel. */
  close(): void;
}

/**
 * protobuf-ts clients for the grpc-js server at `address` (`host:port`), without TLS; `options`
 * adds transport options (interceptors, say).
 */
export function protobufTsClients(address: string, options: Partial<GrpcOptions> = {}): ProtobufTsClients {
  const transport = new GrpcTransport({
    ...options,
    host: address,
    channelCredentials: ChannelCredentials.createInsecure(),
  });
  return {
    sandbox: new SandboxServiceClient(transport),
    streams: new StreamServiceClient(transport),
    close: () => transport.close(),
  };
}
