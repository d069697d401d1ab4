/**
 * The class table of sandbox-sdk-errors and `fromGrpcStatus()`, which maps a transport failure onto
 * it. The mapping rules are data in `catalogue.ts`; how each transport's failure is read is in
 * `failure.ts`; brands and JSON live in `brands.ts` and `serialize.ts`. What is left here is the
 * product's shape: the classes, and the few lines that join the rest together.
 */

import { BRAND, classNamed, defineErrorClass, FIELDS, hasBrand, type OwnFields } from "../../core/brands.js";
import {
  type InspectOptions,
  inspectError,
  reviveError,
  type SerializedError,
  serializeError,
} from "../../core/serialize.js";
import { formatCommand, parseExceptionFromStderr } from "../../functions/process.js";
import { type Failure, messageOf, readFailure, retryDelayOf } from "../../roads/failure.js";
import { ERROR_DOMAIN, GrpcCode, Reason, StreamCode } from "../../wire/codes.js";
import type { StatusDetail } from "../../wire/details.js";
import { Vocabulary } from "../../wire/details.js";
import { EMPTY_LIST, EMPTY_METADATA } from "../../wire/empty.js";
import { restoreStackCapture, suspendStackCapture } from "../../wire/stack.js";
import type { DecodeOptions, FieldViolation } from "../../wire/status-details.js";
import {
  chooseRow,
  classOfRow,
  type Facts,
  type MappingScope,
  NOT_FOUND_CLASSES,
  NOT_RETRYABLE_CLASSES,
  RETRYABLE_CLASSES,
  renderMessage,
} from "./catalogue.js";

export type { SerializedCause, SerializedError, SerializedStatusDetail } from "../../core/serialize.js";
export type { Failure } from "../../roads/failure.js";
export type { MappingScope } from "./catalogue.js";

/**
 * The private path by which `fromGrpcStatus` hands a new error the `metadata` and `details` the
 * decoder made fresh and frozen for it alone, so the constructor takes them without a copy. A
 * module-private symbol: no caller outside this file can set it.
 */
const ADOPT = Symbol("adopt decoded fields");

// ---------------------------------------------------------------------------------------------
// The root
// ---------------------------------------------------------------------------------------------

/** Options every error class accepts: the common fields, and the ES2022 `cause`. */
export interface SandboxSdkErrorOptions extends ErrorOptions {
  /** `ErrorInfo.reason`, whatever its domain. */
  reason?: string | undefined;
  /** `ErrorInfo.domain`. */
  domain?: string | undefined;
  /** `ErrorInfo.metadata`; copied into a frozen null-prototype object. */
  metadata?: Readonly<Record<string, string>> | undefined;
  /** `RetryInfo.retry_delay`, in milliseconds. */
  retryDelay?: number | undefined;
  /** The transport's gRPC status code. */
  grpcCode?: number | undefined;
  /** Every decoded detail of the status; copied into a frozen array. */
  details?: readonly StatusDetail[] | undefined;
  /** `RequestInfo.request_id`. */
  requestId?: string | undefined;
}

/**
 * The options of error class `T`: the common ones, `cause`, and `T`'s own fields — derived from the
 * class, so a field is declared once, on the class.
 */
export type ErrorOptionsOf<T extends SandboxSdkError> = SandboxSdkErrorOptions & {
  [K in Exclude<keyof T, keyof SandboxSdkError>]?: T[K] | undefined;
};

type Given = SandboxSdkErrorOptions & Record<string, unknown> & { [ADOPT]?: true };

/** Copies caller-supplied metadata into a frozen null-prototype object of strings. */
function ownMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  if (metadata === undefined || metadata === null || typeof metadata !== "object") return EMPTY_METADATA;
  const copy: Record<string, string> = Object.create(null);
  let empty = true;
  for (const key of Object.keys(metadata)) {
    const value: unknown = metadata[key];
    if (typeof value === "string") copy[key] = value;
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
      copy[key] = String(value);
    } else continue;
    empty = false;
  }
  return empty ? EMPTY_METADATA : Object.freeze(copy);
}

/**
 * The root of every error this package makes. Catch it to catch them all.
 *
 * `instanceof` works across copies of this package (ESM and CJS builds, two installed versions): it
 * compares brands (class names), not prototype identity. `SandboxSdkError.isInstance(x)` and
 * {@link isSandboxSdkError} give the same answers as type guards.
 */
export class SandboxSdkError extends Error {
  static {
    defineErrorClass(this, "SandboxSdkError");
  }

  /**
   * `ErrorInfo.reason` of the status, whatever its domain (check {@link domain} before trusting it),
   * e.g. `Reason.SANDBOX_NOT_FOUND`. For unknown in-band stream codes, that code.
   */
  declare readonly reason: string | undefined;
  /** `ErrorInfo.domain` of the status, as sent (`"cwsandbox.com"` for the sandbox service). */
  declare readonly domain: string | undefined;
  /** `ErrorInfo.metadata`: a frozen null-prototype copy; `{}` when the status had none. */
  declare readonly metadata: Readonly<Record<string, string>>;
  /**
   * How long the server asked the client to wait before retrying (`RetryInfo.retry_delay`, or a
   * `grpc-retry-pushback-ms`, `retry-after-ms` or `Retry-After` header without one), in
   * **milliseconds**, kept as sent (0 and negative included); `undefined` when absent or invalid.
   * A hint alone never makes an error retryable: see {@link retryable}.
   */
  declare readonly retryDelay: number | undefined;
  /** The transport's gRPC status code (see `GrpcCode`); `undefined` for errors raised on the client. */
  declare readonly grpcCode: number | undefined;
  /** Every detail of the status, decoded, in the order sent. */
  declare readonly details: readonly StatusDetail[];
  /** `RequestInfo.request_id`: quote it in support tickets. */
  declare readonly requestId: string | undefined;

  /**
   * @param message - A sentence a person can act on.
   * @param options - Any common field, the class's own fields, and `cause`.
   */
  constructor(message: string, options?: SandboxSdkErrorOptions) {
    super(message, options);
    const given = (options ?? {}) as Given;
    const adopt = given[ADOPT] === true;
    this.reason = given.reason;
    this.domain = given.domain;
    this.metadata = adopt ? (given.metadata ?? EMPTY_METADATA) : ownMetadata(given.metadata);
    this.retryDelay = given.retryDelay;
    this.grpcCode = given.grpcCode;
    if (given.details === undefined) this.details = EMPTY_LIST;
    else this.details = adopt ? given.details : Object.freeze([...given.details]);
    this.requestId = given.requestId;
    // The class's own fields (sandboxId, filepath, ...), declared in each subclass with `declare`
    // so that class-field semantics do not reset them after this constructor has run. A list (the
    // field violations) is kept as a frozen copy, like `details`.
    const fields = (this as unknown as Record<symbol, OwnFields | undefined>)[FIELDS];
    if (fields !== undefined) {
      const self = this as unknown as Record<string, unknown>;
      for (let i = 0; i < fields.length; i++) {
        const [field, fallback] = fields[i] as OwnFields[number];
        const value = given[field];
        if (value === undefined) self[field] = fallback;
        else self[field] = !adopt && Array.isArray(value) ? Object.freeze([...value]) : value;
      }
    }
  }

  /**
   * Whether retrying the same call may succeed: true for `SandboxUnavailableError` (and its
   * subclasses), `SandboxRequestTimeoutError` and `SandboxResourceExhaustedError` other than
   * `RequestSizeError`. The same answer as `isRetryable(this)`.
   */
  get retryable(): boolean {
    return isRetryable(this);
  }

  /**
   * A plain object for logs and for crossing worker or process boundaries: `name`, `message`,
   * `retryable`, every public field that is not undefined (metadata and details included; bytes
   * as base64 strings), `stack`, and `cause` — an error of this package serialised the same way,
   * anything else as `{ name, message, code? }`. `JSON.stringify(error)` calls it.
   */
  toJSON(): SerializedError {
    return serializeError(this);
  }

  /**
   * Rebuilds an error from {@link toJSON}'s output (or its JSON text): an instance of the class its
   * `name` names, with the same fields and stack; a name this version does not know gives a
   * `SandboxSdkError`. Every field is checked: one of the wrong type (a `grpcCode` that is not an
   * integer from 0 to 16, a `retryDelay` that is not finite, a detail that does not fit its type,
   * a `sandboxId` that is not a string...) is left out. Throws a `TypeError` when `json` is not an
   * object (or JSON text of one).
   */
  static fromJSON(json: SerializedError | string): SandboxSdkError {
    return reviveError(
      typeof json === "string" ? JSON.parse(json) : json,
      SandboxSdkError,
    ) as SandboxSdkError;
  }

  /** What `util.inspect` (and so `console.log`) shows: the stack, then the fields that are set. */
  [Symbol.for("nodejs.util.inspect.custom")](
    depth: number,
    options: InspectOptions,
    inspect?: (value: unknown, options?: object) => string,
  ): string {
    return inspectError(this, depth, options, inspect);
  }

  /**
   * True for instances of this class and its subclasses, including those made by another copy of
   * this package. The same answer as `instanceof`, as a type guard:
   * `if (SandboxNotFoundError.isInstance(err)) err.sandboxId`.
   */
  static isInstance<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return (this as unknown as typeof SandboxSdkError)[Symbol.hasInstance](value);
  }

  /**
   * Brand-based `instanceof` (see the class comment). A subclass declared outside this package
   * (without a brand of its own) gets ordinary prototype-chain `instanceof`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!Object.hasOwn(this, BRAND)) return Function.prototype[Symbol.hasInstance].call(this, value);
    return hasBrand(value, (this as unknown as Record<symbol, string>)[BRAND] as string);
  }
}

/** True for any error of this package, including one made by another copy of it. */
export function isSandboxSdkError(value: unknown): value is SandboxSdkError {
  return hasBrand(value, "SandboxSdkError");
}

/** How much of stderr a message quotes. */
const MESSAGE_STDERR_LIMIT = 8 * 1024;

/** The end of `text`, marked with an ellipsis when cut: a message stays readable in a log. */
function tail(text: string): string {
  return text.length <= MESSAGE_STDERR_LIMIT ? text : `…${text.slice(-MESSAGE_STDERR_LIMIT)}`;
}

// ---------------------------------------------------------------------------------------------
// The hierarchy
// ---------------------------------------------------------------------------------------------

/**
 * The caller is not authenticated: gRPC `UNAUTHENTICATED`, in every scope. Never a `SandboxError`.
 * Not retryable: fix the credentials.
 */
export class AuthenticationError extends SandboxSdkError {
  static {
    defineErrorClass(this, "AuthenticationError");
  }
}

/** The caller may not do this: gRPC `PERMISSION_DENIED`, in every scope. Not retryable. */
export class PermissionDeniedError extends AuthenticationError {
  static {
    defineErrorClass(this, "PermissionDeniedError");
  }
}

/** Options of the validation classes: the common ones and `fieldViolations`. */
export type ValidationErrorOptions = ErrorOptionsOf<ValidationError>;

/**
 * The request was invalid: `INVALID_ARGUMENT` with field violations in scope `general`. The sandbox
 * and discovery scopes raise `SandboxValidationError` and `DiscoveryValidationError`, which are also
 * `instanceof ValidationError`. Not retryable.
 */
export class ValidationError extends SandboxSdkError {
  static {
    defineErrorClass(this, "ValidationError", { fieldViolations: EMPTY_LIST });
  }
  /** Which request fields were invalid, and why (`[]` when none were reported). */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/** The SDK client was used after `close()`. Raised by SDK code, never mapped. Not retryable. */
export class ClientClosedError extends SandboxSdkError {
  static {
    defineErrorClass(this, "ClientClosedError");
  }
}

/** A sandbox operation failed: the base class of scope `sandbox`. */
export class SandboxError extends SandboxSdkError {
  static {
    defineErrorClass(this, "SandboxError");
  }
}

/**
 * A sandbox request was invalid: `INVALID_ARGUMENT` with field violations in scope `sandbox`. Also
 * `instanceof ValidationError`. Not retryable.
 */
export class SandboxValidationError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxValidationError", { fieldViolations: EMPTY_LIST }, ValidationError);
  }
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/**
 * The sandbox is not running: reason `CWSANDBOX_SANDBOX_NOT_RUNNING`, or a `CANCELLED` call (the
 * connection closed). Not retryable as such; its subclass `SandboxUnavailableError` is.
 */
export class SandboxNotRunningError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxNotRunningError");
  }
}

/**
 * The service cannot serve the call right now: gRPC `UNAVAILABLE`, or the reasons
 * `CWSANDBOX_RUNNER_UNAVAILABLE`, `CWSANDBOX_BACKEND_UNAVAILABLE`, `CWSANDBOX_RUNNER_SHARD_RETIRING`.
 * Retryable; honour {@link SandboxSdkError.retryDelay} when the server sent one.
 */
export class SandboxUnavailableError extends SandboxNotRunningError {
  static {
    defineErrorClass(this, "SandboxUnavailableError");
  }
}

/** Options of the classes that name a file-system snapshot. */
export type SnapshotErrorOptions = ErrorOptionsOf<SandboxSnapshotError>;

/**
 * The snapshot backend is throttling: reasons `CWSANDBOX_FSS_BACKEND_THROTTLED`,
 * `CWSANDBOX_FSS_INFLIGHT_LIMIT`, `CWSANDBOX_FSS_BUCKET_PROVISIONING`. Retryable.
 */
export class SnapshotBackendThrottledError extends SandboxUnavailableError {
  static {
    defineErrorClass(this, "SnapshotBackendThrottledError");
  }
}

/** Something timed out: the family of every timeout in the sandbox scope. */
export class SandboxTimeoutError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTimeoutError");
  }
}

/** The call's deadline passed: gRPC `DEADLINE_EXCEEDED` in scope `sandbox`. Retryable. */
export class SandboxRequestTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SandboxRequestTimeoutError");
  }
}

/** A command in the sandbox ran past its timeout: reason `CWSANDBOX_COMMAND_TIMEOUT`. Not retryable. */
export class SandboxCommandTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SandboxCommandTimeoutError");
  }
}

/**
 * A snapshot did not become ready in time: reason `CWSANDBOX_FSS_WAIT_TIMEOUT`. Not retryable as
 * such (wait again if you still need it).
 */
export class SnapshotWaitTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SnapshotWaitTimeoutError", { fileSystemSnapshotId: undefined });
  }
  /** The snapshot waited for, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/** The sandbox was terminated. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminatedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTerminatedError");
  }
}

/** The sandbox failed. Raised by SDK code, never mapped. Not retryable. */
export class SandboxFailedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxFailedError");
  }
}

/** Options of {@link SandboxNotFoundError}. */
export type SandboxNotFoundErrorOptions = ErrorOptionsOf<SandboxNotFoundError>;

/**
 * The sandbox does not exist (or no longer does): reason `CWSANDBOX_SANDBOX_NOT_FOUND`, or gRPC
 * `NOT_FOUND` in scope `sandbox` without a snapshot id. Not retryable.
 */
export class SandboxNotFoundError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxNotFoundError", { sandboxId: undefined });
  }
  /** The sandbox's id, from the mapping context (never from the server's metadata). */
  declare readonly sandboxId: string | undefined;
  constructor(message: string, options?: SandboxNotFoundErrorOptions) {
    super(message, options);
  }
}

/** What a process run in the sandbox produced. */
export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The command and its arguments. */
  readonly command: readonly string[];
  /** The raw bytes of stdout, when the SDK kept them. */
  readonly stdoutBytes?: Uint8Array;
  /** The raw bytes of stderr, when the SDK kept them. */
  readonly stderrBytes?: Uint8Array;
}

/** Options of {@link SandboxExecutionError} and its subclasses. */
export type SandboxExecutionErrorOptions = ErrorOptionsOf<SandboxExecutionError>;

/**
 * A command or function run in the sandbox failed. Raised by SDK code (see
 * `SandboxExecutionError.fromProcessResult`), and by `streamError()` for unknown stream codes.
 * Not retryable.
 */
export class SandboxExecutionError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxExecutionError", {
      execResult: undefined,
      exceptionType: undefined,
      exceptionMessage: undefined,
    });
  }
  /** The failed process's result, when known. */
  declare readonly execResult: ProcessResult | undefined;
  /** The exception type reported on stderr, such as `ValueError`. */
  declare readonly exceptionType: string | undefined;
  /** The exception message reported on stderr. */
  declare readonly exceptionMessage: string | undefined;
  constructor(message: string, options?: SandboxExecutionErrorOptions) {
    super(message, options);
  }

  /**
   * The error for a process that failed: `Command '<command>' failed with exit code <n>`, or, with
   * a function name, `Function '<name>' execution failed in sandbox: <exception message or stderr>`.
   * The exception type and message come from `parseExceptionFromStderr(result.stderr)`. An empty
   * exception message falls back to stderr; stderr in a message is cut to its last 8 KiB (where a
   * traceback ends), the whole of it staying in `execResult`.
   */
  static fromProcessResult(
    result: ProcessResult,
    options: { functionName?: string } = {},
  ): SandboxExecutionError {
    // A result built by hand may lack stderr: read it as empty rather than fail on it.
    const stderr = typeof result.stderr === "string" ? result.stderr : "";
    const { exceptionType, exceptionMessage } = parseExceptionFromStderr(stderr);
    const message =
      options.functionName === undefined
        ? `Command '${formatCommand(result.command)}' failed with exit code ${result.exitCode}`
        : `Function '${options.functionName}' execution failed in sandbox: ${exceptionMessage || tail(stderr)}`;
    return new SandboxExecutionError(message, { execResult: result, exceptionType, exceptionMessage });
  }
}

/** Options of the in-band stream errors. */
export type StreamErrorOptions = ErrorOptionsOf<SandboxStreamBackpressureError>;

/**
 * The exec stream was closed because the client did not keep up (`STREAM_BACKPRESSURE`). Made by
 * `streamError()`; `reason` is always undefined. Not retryable.
 */
export class SandboxStreamBackpressureError extends SandboxExecutionError {
  static {
    defineErrorClass(this, "SandboxStreamBackpressureError", { streamCode: undefined });
  }
  /** Always `StreamCode.STREAM_BACKPRESSURE` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message: string, options?: StreamErrorOptions) {
    super(message, { ...options, reason: undefined });
  }
}

/**
 * The exec stream's output was cut short (`STREAM_TRUNCATED`). Made by `streamError()`; `reason` is
 * always undefined. Not retryable.
 */
export class SandboxStreamTruncatedError extends SandboxExecutionError {
  static {
    defineErrorClass(this, "SandboxStreamTruncatedError", { streamCode: undefined });
  }
  /** Always `StreamCode.STREAM_TRUNCATED` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message: string, options?: StreamErrorOptions) {
    super(message, { ...options, reason: undefined });
  }
}

/** Options of {@link SandboxFileError}. */
export type SandboxFileErrorOptions = ErrorOptionsOf<SandboxFileError>;

/**
 * A file operation in the sandbox failed: reasons `CWSANDBOX_FILE_NOT_FOUND`,
 * `CWSANDBOX_FILE_IS_DIRECTORY`, `CWSANDBOX_FILE_IO_FAILED`, `CWSANDBOX_FILE_PERMISSION_DENIED`,
 * `CWSANDBOX_FILE_TOO_LARGE`, `CWSANDBOX_FILE_TRUNCATED`. Check `reason` for which. Not retryable.
 */
export class SandboxFileError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxFileError", { filepath: undefined });
  }
  /** The file's path: as given (by the mapping context), else the server's `metadata.filepath`. */
  declare readonly filepath: string | undefined;
  constructor(message: string, options?: SandboxFileErrorOptions) {
    super(message, options);
    // The sandbox service reports the path in its ErrorInfo metadata.
    if (this.filepath === undefined)
      (this as { filepath: string | undefined }).filepath = this.metadata.filepath;
  }
}

/**
 * A quota or limit was hit: gRPC `RESOURCE_EXHAUSTED` in scope `sandbox`. Retryable (after the
 * server's `retryDelay`, if any) — except its subclass `RequestSizeError`.
 */
export class SandboxResourceExhaustedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxResourceExhaustedError");
  }
}

/**
 * A message was over the size limit (`RESOURCE_EXHAUSTED` whose transport message says "larger than
 * max"). **Not retryable**: the same message will be too large again.
 */
export class RequestSizeError extends SandboxResourceExhaustedError {
  static {
    defineErrorClass(this, "RequestSizeError");
  }
}

/** The sandbox's terminal state could not be read. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminalStateUnavailableError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTerminalStateUnavailableError");
  }
}

/**
 * A file-system snapshot operation failed: reasons `CWSANDBOX_FSS_BUCKET_UNAVAILABLE`,
 * `CWSANDBOX_FSS_RESTORE_FAILED`, `CWSANDBOX_FSS_CREATE_FAILED`, `CWSANDBOX_FSS_CREATE_TIMED_OUT`,
 * `CWSANDBOX_FSS_AUTH_FAILED`, `CWSANDBOX_FSS_TRANSPORT_FAILED`, `CWSANDBOX_FSS_CANCELED`; the base of
 * the specific snapshot errors. Not retryable.
 */
export class SandboxSnapshotError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxSnapshotError", { fileSystemSnapshotId: undefined });
  }
  /** The snapshot's id, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/**
 * The snapshot does not exist: reason `CWSANDBOX_FSS_NOT_FOUND`, or gRPC `NOT_FOUND` in scope
 * `sandbox` when the context names a snapshot. Not retryable.
 */
export class SnapshotNotFoundError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotFoundError");
  }
}

/** The snapshot is not ready yet: reason `CWSANDBOX_FSS_NOT_READY`. Not retryable as such. */
export class SnapshotNotReadyError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotReadyError");
  }
}

/** Snapshots are not supported here: reason `CWSANDBOX_FSS_NOT_SUPPORTED`. Not retryable. */
export class SnapshotNotSupportedError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotSupportedError");
  }
}

/** The snapshot is over its size limit: reason `CWSANDBOX_FSS_SIZE_EXCEEDED`. Not retryable. */
export class SnapshotSizeExceededError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotSizeExceededError");
  }
}

/** The snapshot quota is used up: reason `CWSANDBOX_FSS_QUOTA_EXCEEDED`. Not retryable. */
export class SnapshotQuotaExceededError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotQuotaExceededError");
  }
}

/** The snapshot lives in another bucket: reason `CWSANDBOX_FSS_BUCKET_MISMATCH`. Not retryable. */
export class SnapshotBucketMismatchError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotBucketMismatchError");
  }
}

/** A snapshot-on-stop conflicts with the request. Raised by SDK code, never mapped. Not retryable. */
export class SnapshotOnStopConflictError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotOnStopConflictError");
  }
}

/** A runner or profile lookup failed: the base class of scope `discovery`. */
export class DiscoveryError extends SandboxSdkError {
  static {
    defineErrorClass(this, "DiscoveryError");
  }
}

/**
 * A discovery request was invalid: `INVALID_ARGUMENT` with field violations in scope `discovery`.
 * Also `instanceof ValidationError`. Not retryable.
 */
export class DiscoveryValidationError extends DiscoveryError {
  static {
    defineErrorClass(this, "DiscoveryValidationError", { fieldViolations: EMPTY_LIST }, ValidationError);
  }
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link RunnerNotFoundError}. */
export type RunnerNotFoundErrorOptions = ErrorOptionsOf<RunnerNotFoundError>;

/**
 * The runner does not exist: gRPC `NOT_FOUND` or reason `CWSANDBOX_RUNNER_NOT_FOUND` in scope
 * `discovery`. Not retryable.
 */
export class RunnerNotFoundError extends DiscoveryError {
  static {
    defineErrorClass(this, "RunnerNotFoundError", { runnerId: undefined });
  }
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message: string, options?: RunnerNotFoundErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link ProfileNotFoundError}. */
export type ProfileNotFoundErrorOptions = ErrorOptionsOf<ProfileNotFoundError>;

/** The profile does not exist: reason `CWSANDBOX_PROFILE_NOT_FOUND` in scope `discovery`. Not retryable. */
export class ProfileNotFoundError extends DiscoveryError {
  static {
    defineErrorClass(this, "ProfileNotFoundError", { profileName: undefined, runnerId: undefined });
  }
  /** The profile's name, from the mapping context. */
  declare readonly profileName: string | undefined;
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message: string, options?: ProfileNotFoundErrorOptions) {
    super(message, options);
  }
}

/** A function to run in the sandbox cannot be run. Raised by SDK code, never mapped. */
export class FunctionError extends SandboxSdkError {
  static {
    defineErrorClass(this, "FunctionError");
  }
}

/** An async function was given where a synchronous one is required (`assertSyncFunction`). */
export class AsyncFunctionError extends FunctionError {
  static {
    defineErrorClass(this, "AsyncFunctionError");
  }
}

/** Options of {@link FunctionSerializationError}. */
export type FunctionSerializationErrorOptions = ErrorOptionsOf<FunctionSerializationError>;

/**
 * A function's arguments (or result) cannot be carried faithfully by JSON (`assertSerializable`).
 * `path` names the first offending value.
 */
export class FunctionSerializationError extends FunctionError {
  static {
    defineErrorClass(this, "FunctionSerializationError", { path: undefined });
  }
  /** Where the offending value sits, e.g. `args[1].callback`. */
  declare readonly path: string | undefined;
  constructor(message: string, options?: FunctionSerializationErrorOptions) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Retryability
// ---------------------------------------------------------------------------------------------

/**
 * Whether retrying the call that raised `error` may succeed. True for `SandboxUnavailableError`
 * (subclasses included), `SandboxRequestTimeoutError` and `SandboxResourceExhaustedError` except
 * `RequestSizeError`; false for everything else — whatever its `retryDelay`, and for raw transport
 * errors (map them with `fromGrpcStatus` first). Works on errors from other copies of this package.
 */
export function isRetryable(error: unknown): boolean {
  for (const name of NOT_RETRYABLE_CLASSES) if (hasBrand(error, name)) return false;
  for (const name of RETRYABLE_CLASSES) if (hasBrand(error, name)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// fromGrpcStatus
// ---------------------------------------------------------------------------------------------

/** What the SDK knows about the failed call; it fills in messages and fields. */
export interface MappingContext {
  /** `"sandbox"` (default), `"discovery"` (runners, profiles) or `"general"`. */
  scope?: MappingScope | undefined;
  /** The operation in messages, e.g. `"exec"`; default `"operation"`. */
  operation?: string | undefined;
  /** The sandbox the call was about: `SandboxNotFoundError.sandboxId`, and the messages. */
  sandboxId?: string | undefined;
  /** The file the call was about: `SandboxFileError.filepath` (else the server's `metadata.filepath`). */
  filepath?: string | undefined;
  /** The snapshot the call was about: NOT_FOUND then means the snapshot (`SnapshotNotFoundError`). */
  fileSystemSnapshotId?: string | undefined;
  /** The runner the call was about (scope `discovery`). */
  runnerId?: string | undefined;
  /** The profile the call was about (scope `discovery`). */
  profileName?: string | undefined;
  /**
   * ErrorInfo domains whose reasons are trusted for mapping; default `[ERROR_DOMAIN]`. A single
   * string is read as a list of one; any other value as the default.
   */
  trustedDomains?: readonly string[] | undefined;
}

const DEFAULT_TRUSTED_DOMAINS: readonly string[] = [ERROR_DOMAIN];

function isTrusted(domain: string | undefined, trustedDomains: unknown): boolean {
  if (domain === undefined) return false;
  if (Array.isArray(trustedDomains)) return trustedDomains.includes(domain);
  // A string is one domain: never `"cwsandbox.com".includes("")`, which would trust the empty one.
  if (typeof trustedDomains === "string") return trustedDomains === domain;
  return DEFAULT_TRUSTED_DOMAINS.includes(domain);
}

/** The service's own words, returned by the decoder as these very strings (see `Vocabulary`). */
const MAPPING_DECODE: DecodeOptions = {
  withMessage: false,
  vocabulary: new Vocabulary([...Object.values(Reason), ERROR_DOMAIN]),
};

type ErrorClass = new (message: string, options?: SandboxSdkErrorOptions) => SandboxSdkError;

const SCOPES: readonly MappingScope[] = ["sandbox", "discovery", "general"];

function mapFailure(failure: Failure, error: unknown, context: MappingContext): SandboxSdkError {
  const { code, status } = failure;
  const given = context.scope;
  const scope = given === undefined || !SCOPES.includes(given) ? "sandbox" : given;
  const reason = status?.reason;
  const metadata = status?.metadata;
  const fieldViolations = status?.fieldViolations ?? EMPTY_LIST;
  const facts: Facts = {
    operation: context.operation ?? "operation",
    details: messageOf(failure),
    rawDetails: failure.rawMessage ?? "",
    reason: reason ?? "",
    fieldViolations,
    sandboxId: context.sandboxId,
    fileSystemSnapshotId: context.fileSystemSnapshotId,
    runnerId: context.runnerId,
    profileName: context.profileName,
  };
  const trustedReason =
    reason !== undefined && isTrusted(status?.domain, context.trustedDomains) ? reason : undefined;
  const row = chooseRow(scope, code, trustedReason, facts);
  const ErrorType = classNamed(classOfRow(scope, row)) as ErrorClass;
  const options: Given = {
    cause: error,
    reason,
    domain: status?.domain,
    metadata,
    retryDelay: retryDelayOf(failure),
    grpcCode: code,
    details: status?.details,
    requestId: status?.requestId,
    fieldViolations,
    sandboxId: context.sandboxId,
    filepath: context.filepath,
    fileSystemSnapshotId: context.fileSystemSnapshotId,
    runnerId: context.runnerId,
    profileName: context.profileName,
    [ADOPT]: true,
  };
  return new ErrorType(renderMessage(row.message, facts), options);
}

const NO_CONTEXT: MappingContext = {};

/**
 * Maps whatever a transport threw onto this package's classes. Never throws.
 *
 * `error` may be a grpc-js `ServiceError` or `StatusObject`, a protobuf-ts or grpc-web `RpcError`, a
 * connect-es `ConnectError` (any protocol), a nice-grpc `ClientError` or `RichClientError`, an
 * `AbortError` or `TimeoutError`, a parsed JSON error body, or anything else; a `SandboxSdkError`
 * (from any copy of this package) comes back unchanged. The transport's code is authoritative; the
 * status details supply `reason`, `domain`, `metadata`, `retryDelay`, `details` and `requestId`, and
 * a reason from a trusted domain picks a more specific class first. The original error is kept as
 * `cause`, and the stack starts at the caller of `fromGrpcStatus`.
 *
 * @example
 * ```ts
 * try {
 *   await client.exec(request);
 * } catch (error) {
 *   throw fromGrpcStatus(error, { operation: "exec", sandboxId });
 * }
 * ```
 */
export function fromGrpcStatus(error: unknown, context?: MappingContext): SandboxSdkError {
  if (isSandboxSdkError(error)) return error;
  // The error is built with stack capture off, so it records no frames of ours and costs no stack
  // walk of its own; then one capture from the caller. (Here, not in a helper: every frame between
  // the caller and the capture is walked.)
  const limit = suspendStackCapture();
  const mapped = mapSuspended(undefined, error, context, limit);
  if (limit !== undefined) Error.captureStackTrace(mapped, fromGrpcStatus);
  return mapped;
}

/**
 * Maps a failure a road has already read (`fromResponse` reads a `Response` itself) with `cause` as
 * the error's cause; the stack starts at the caller of `stackFrom`. For the package's own roads: the
 * public entry is {@link fromGrpcStatus}.
 *
 * @internal
 */
export function fromFailure(
  failure: Failure,
  cause: unknown,
  context: MappingContext | undefined,
  stackFrom: (...args: never[]) => unknown,
): SandboxSdkError {
  const limit = suspendStackCapture();
  const mapped = mapSuspended(failure, cause, context, limit);
  if (limit !== undefined) Error.captureStackTrace(mapped, stackFrom);
  return mapped;
}

/** Reads (unless already read) and maps, then puts stack capture back. Never throws. */
function mapSuspended(
  read: Failure | undefined,
  error: unknown,
  context: MappingContext | undefined,
  limit: number | undefined,
): SandboxSdkError {
  try {
    const failure = read ?? readFailure(error, MAPPING_DECODE);
    try {
      return mapFailure(failure, error, context ?? NO_CONTEXT);
    } catch {
      // Only a hostile context (a throwing getter, say) gets here: map without it, so the
      // transport's code and details still count; never throw.
      return mapFailure(failure, error, NO_CONTEXT);
    }
  } catch {
    return new SandboxSdkError("operation failed: the error could not be mapped", { cause: error });
  } finally {
    restoreStackCapture(limit);
  }
}

/**
 * Whether `error` means "not found", for `missing_ok`-style deletes: gRPC `NOT_FOUND` (whatever the
 * ErrorInfo domain); an instance of a not-found class (`SandboxNotFoundError`,
 * `SnapshotNotFoundError`, `RunnerNotFoundError`, `ProfileNotFoundError`) whatever its code, since
 * SDK code raises these itself; or the given `reason` from a trusted domain under any code. Accepts a
 * mapped error or anything `fromGrpcStatus` reads.
 *
 * @example
 * ```ts
 * try { await client.deleteSnapshot(id) } catch (e) { if (!isNotFound(e, Reason.FSS_NOT_FOUND)) throw e }
 * ```
 */
export function isNotFound(
  error: unknown,
  reason?: string,
  options?: { trustedDomains?: readonly string[] | undefined },
): boolean {
  let grpcCode: number | undefined;
  let sentReason: string | undefined;
  let domain: string | undefined;
  if (isSandboxSdkError(error)) {
    for (const name of NOT_FOUND_CLASSES) if (hasBrand(error, name)) return true;
    ({ grpcCode, reason: sentReason, domain } = error);
  } else {
    const failure = readFailure(error, MAPPING_DECODE);
    grpcCode = failure.code;
    sentReason = failure.status?.reason;
    domain = failure.status?.domain;
  }
  if (grpcCode === GrpcCode.NOT_FOUND) return true;
  let trustedDomains: unknown;
  try {
    trustedDomains = options?.trustedDomains;
  } catch {
    trustedDomains = undefined;
  }
  return reason !== undefined && sentReason === reason && isTrusted(domain, trustedDomains);
}

/**
 * Turns an in-band exec-stream error into an error: `STREAM_BACKPRESSURE` gives
 * `SandboxStreamBackpressureError`, `STREAM_TRUNCATED` gives `SandboxStreamTruncatedError` (both
 * with `streamCode` and no `reason`), any other code a `SandboxExecutionError` whose `reason` is the
 * code — or no `reason` for an empty code, which, as in proto3, means none was sent.
 */
export function streamError(message: string, code: string): SandboxExecutionError {
  if (code === StreamCode.STREAM_BACKPRESSURE) {
    return new SandboxStreamBackpressureError(message, { streamCode: code });
  }
  if (code === StreamCode.STREAM_TRUNCATED) {
    return new SandboxStreamTruncatedError(message, { streamCode: code });
  }
  return new SandboxExecutionError(`Exec stream error: ${message}`, {
    reason: typeof code === "string" && code !== "" ? code : undefined,
  });
}
