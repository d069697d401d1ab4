/**
 * What every test server of this folder does, described once: the sandbox service's answers to
 * successful calls, and the {@link Failure} a test asks for. Each transport's server (grpc-js,
 * connect-node, nice-grpc) reads the same {@link Script}, so one failure travels every road and the
 * tests compare what arrives.
 */
import { encodeStatus, type StatusInit } from "../../../src/testing/index.js";
import { decodeStatusBlob } from "../encoder.js";

/**
 * One failure, as the sandbox service would send it: the status (code, message, details in the kit's
 * `StatusDetail` shapes), plus what a server may send beside it.
 */
export interface Failure extends StatusInit {
  /** Response headers sent before the failure (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Trailers sent with the status (e.g. `grpc-retry-pushback-ms`). */
  readonly trailers?: Readonly<Record<string, string>>;
  /** For a response stream: how many messages the server sends before it fails (default 0). */
  readonly afterMessages?: number;
}

/** A call as the script sees it: the method's name as the `.proto` spells it, and the request. */
export interface ScriptCall {
  /** `GetSandbox`, `Exec`, `WriteFile`, ... */
  readonly method: string;
  /** The request message in camelCase (for a client stream: its first message, if any). */
  readonly request: unknown;
}

/** Decides each call's fate: `undefined` answers it successfully, a {@link Failure} fails it. */
export type Script = (call: ScriptCall) => Failure | undefined;

/** Every call succeeds. */
export const succeed: Script = () => undefined;

/** Every call (or every call of `methods`, by `.proto` name) fails with `failure`. */
export function failWith(failure: Failure, methods?: readonly string[]): Script {
  return (call) => (methods === undefined || methods.includes(call.method) ? failure : undefined);
}

// ---------------------------------------------------------------------------------------------
// The status on the wire
// ---------------------------------------------------------------------------------------------

/** The `grpc-status-details-bin` value for `failure`: a `google.rpc.Status`, encoded by the kit. */
export function statusBlob(failure: StatusInit): Uint8Array {
  return encodeStatus({ code: failure.code, message: failure.message, details: failure.details });
}

/** One `google.protobuf.Any` of the status as connect-es carries it: the message name and its bytes. */
export interface AnyDetail {
  /** The full message name, e.g. `google.rpc.ErrorInfo` (the type URL after its last `/`). */
  readonly type: string;
  readonly value: Uint8Array;
}

/**
 * The details of `failure`'s encoded status, each as a separate `{ type, value }`, read back with
 * protobufjs (an independent decoder) from the very bytes {@link statusBlob} sends.
 */
export function anyDetails(failure: StatusInit): AnyDetail[] {
  return decodeStatusBlob(statusBlob(failure)).details.map(({ typeUrl, value }) => ({
    type: typeUrl.slice(typeUrl.lastIndexOf("/") + 1),
    value,
  }));
}

// ---------------------------------------------------------------------------------------------
// Successful answers, shared by every server so that every road returns the same values
// ---------------------------------------------------------------------------------------------

/** `demo.sandbox.v1.GetSandboxRequest`, in camelCase as every road's client takes it. */
export interface GetSandboxRequest {
  sandboxId: string;
}
/** `demo.sandbox.v1.StartSandboxRequest`. */
export interface StartSandboxRequest {
  image: string;
  tags: string[];
}
/** `demo.sandbox.v1.Sandbox`: the answer of `GetSandbox` and `StartSandbox`. */
export interface Sandbox {
  sandboxId: string;
  state: string;
}
/** `demo.sandbox.v1.ReadFileRequest`. */
export interface ReadFileRequest {
  sandboxId: string;
  path: string;
}
/** `demo.sandbox.v1.ReadFileResponse`. */
export interface ReadFileResponse {
  content: Uint8Array;
}
/** `demo.sandbox.v1.ExecRequest`: each word of `command` comes back as one output message. */
export interface ExecRequest {
  sandboxId: string;
  command: string[];
}
/** `demo.sandbox.v1.ExecOutput`: one message of the `Exec` server stream. */
export interface ExecOutput {
  stdout: Uint8Array;
  stderr: Uint8Array;
}
/** `demo.streams.v1.FileChunk`: one message of the `WriteFile` client stream. */
export interface FileChunk {
  sandboxId: string;
  data: Uint8Array;
}
/** `demo.streams.v1.WriteFileResponse`. */
export interface WriteFileResponse {
  bytesWritten: number;
}
/** `demo.streams.v1.AttachInput`: one message the client sends on `Attach`. */
export interface AttachInput {
  sandboxId: string;
  stdin: Uint8Array;
}
/** `demo.streams.v1.AttachOutput`: one message the server sends back on `Attach`. */
export interface AttachOutput {
  stdout: Uint8Array;
}

const utf8 = new TextEncoder();

/** The answers of a healthy sandbox service: each a function of the request alone. */
export const answers = {
  getSandbox: (request: GetSandboxRequest): Sandbox => ({ sandboxId: request.sandboxId, state: "RUNNING" }),
  startSandbox: (request: StartSandboxRequest): Sandbox => ({
    sandboxId: `sbx-${request.image}`,
    state: "STARTING",
  }),
  readFile: (request: ReadFileRequest): ReadFileResponse => ({
    content: utf8.encode(`contents of ${request.path}`),
  }),
  /** One output message per word of the command, echoing it: a stream whose length the test picks. */
  exec: (request: ExecRequest): ExecOutput[] =>
    request.command.map((word) => ({ stdout: utf8.encode(word), stderr: new Uint8Array(0) })),
  writeFile: (chunks: readonly FileChunk[]): WriteFileResponse => ({
    bytesWritten: chunks.reduce((total, chunk) => total + chunk.data.length, 0),
  }),
  /** Echoes each input's stdin as stdout. */
  attach: (input: AttachInput): AttachOutput => ({ stdout: input.stdin }),
};

/** Runs `script` on `server` for the duration of `body`, then puts the server's own script back. */
export async function scripted<T>(
  server: { script: Script },
  script: Script,
  body: () => Promise<T>,
): Promise<T> {
  const before = server.script;
  server.script = script;
  try {
    return await body();
  } finally {
    server.script = before;
  }
}

/** What `promise` rejects with; it is an error of the test itself when it resolves. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}
