/**
 * The CoreWeave sandbox preset's classes (SPEC §2): the hierarchy SDK code throws and applications
 * catch. Declarations only — each class's literal name, its own fields, its retry contract (the
 * `retryable` getter) and a TSDoc line naming what produces it. Which failure becomes which class is
 * the catalogue's business (`catalogue.ts`).
 */
import { defineErrorClass } from "../../core/brands.js";
import { type ErrorOptionsOf, SandboxSdkError } from "../../core/error.js";
import { formatCommand, type ProcessResult, parseExceptionFromStderr } from "../../functions/process.js";
import { base64Decode } from "../../wire/bytes.js";
import { EMPTY_LIST } from "../../wire/empty.js";
import type { FieldViolation } from "../../wire/status-details.js";
import { StreamCode } from "./reasons.js";

export type { ProcessResult };
export { SandboxSdkError };

/** `fieldViolations` read back from JSON: the entries with a string `field` and `description`. */
function reviveViolations(value: unknown): readonly FieldViolation[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const violations: FieldViolation[] = [];
  for (const entry of value) {
    const { field, description } = (entry ?? {}) as { field?: unknown; description?: unknown };
    if (typeof field === "string" && typeof description === "string") violations.push({ field, description });
  }
  return violations;
}

/** `execResult` read back from JSON: a `ProcessResult` whose fields have their types (bytes as base64). */
function reviveExecResult(value: unknown): ProcessResult | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { stdout, stderr, exitCode, command, stdoutBytes, stderrBytes } = value as Record<string, unknown>;
  if (typeof stdout !== "string" || typeof stderr !== "string" || typeof exitCode !== "number")
    return undefined;
  if (!Array.isArray(command) || !command.every((part) => typeof part === "string")) return undefined;
  const result: { -readonly [K in keyof ProcessResult]: ProcessResult[K] } = {
    stdout,
    stderr,
    exitCode,
    command,
  };
  const out = typeof stdoutBytes === "string" ? base64Decode(stdoutBytes) : undefined;
  const err = typeof stderrBytes === "string" ? base64Decode(stderrBytes) : undefined;
  if (out !== undefined) result.stdoutBytes = out;
  if (err !== undefined) result.stderrBytes = err;
  return result;
}

/** How much of stderr a message quotes. */
const MESSAGE_STDERR_LIMIT = 8192; // 8 KiB

/** The end of `text`, marked with an ellipsis when cut: a message stays readable in a log. */
function tail(text: string): string {
  return text.length <= MESSAGE_STDERR_LIMIT ? text : `…${text.slice(-MESSAGE_STDERR_LIMIT)}`;
}

/**
 * The caller is not authenticated: gRPC `UNAUTHENTICATED`, in every scope. Never a `SandboxError`.
 * Not retryable: fix the credentials.
 */
export class AuthenticationError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "AuthenticationError");
}

/** The caller may not do this: gRPC `PERMISSION_DENIED`, in every scope. Not retryable. */
export class PermissionDeniedError extends AuthenticationError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "PermissionDeniedError");
}

/** Options of the validation classes: the common ones and `fieldViolations`. */
export type ValidationErrorOptions = ErrorOptionsOf<ValidationError>;

/**
 * The request was invalid: `INVALID_ARGUMENT` with field violations in scope `general`. The sandbox
 * and discovery scopes raise `SandboxValidationError` and `DiscoveryValidationError`, which are also
 * `instanceof ValidationError`. Not retryable.
 */
export class ValidationError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ValidationError", {
    fields: { fieldViolations: EMPTY_LIST },
    revive: { fieldViolations: reviveViolations },
  });
  /** Which request fields were invalid, and why (`[]` when none were reported). */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message?: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/** The SDK client was used after `close()`. Raised by SDK code, never mapped. Not retryable. */
export class ClientClosedError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ClientClosedError");
}

/** A sandbox operation failed: the base class of scope `sandbox`. */
export class SandboxError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxError");
}

/**
 * A sandbox request was invalid: `INVALID_ARGUMENT` with field violations in scope `sandbox`. Also
 * `instanceof ValidationError`. Not retryable.
 */
export class SandboxValidationError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxValidationError", {
    fields: { fieldViolations: EMPTY_LIST },
    revive: { fieldViolations: reviveViolations },
    alsoInstanceOf: ValidationError,
  });
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message?: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/**
 * The sandbox is not running: reason `CWSANDBOX_SANDBOX_NOT_RUNNING`, or a `CANCELLED` call (the
 * connection closed). Not retryable as such; its subclass `SandboxUnavailableError` is.
 */
export class SandboxNotRunningError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxNotRunningError");
}

/**
 * The service cannot serve the call right now: gRPC `UNAVAILABLE`, or the reasons
 * `CWSANDBOX_RUNNER_UNAVAILABLE`, `CWSANDBOX_BACKEND_UNAVAILABLE`, `CWSANDBOX_RUNNER_SHARD_RETIRING`.
 * Retryable; honour {@link SandboxSdkError.retryDelay} when the server sent one.
 */
export class SandboxUnavailableError extends SandboxNotRunningError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxUnavailableError");

  /** Retryable: the service may serve the call in a moment. */
  override get retryable(): boolean {
    return true;
  }
}

/** Options of the classes that name a file-system snapshot. */
export type SnapshotErrorOptions = ErrorOptionsOf<SandboxSnapshotError>;

/**
 * The snapshot backend is throttling: reasons `CWSANDBOX_FSS_BACKEND_THROTTLED`,
 * `CWSANDBOX_FSS_INFLIGHT_LIMIT`, `CWSANDBOX_FSS_BUCKET_PROVISIONING`. Retryable.
 */
export class SnapshotBackendThrottledError extends SandboxUnavailableError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotBackendThrottledError",
  );
}

/** Something timed out: the family of every timeout in the sandbox scope. */
export class SandboxTimeoutError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxTimeoutError");
}

/** The call's deadline passed: gRPC `DEADLINE_EXCEEDED` in scope `sandbox`. Retryable. */
export class SandboxRequestTimeoutError extends SandboxTimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxRequestTimeoutError",
  );

  /** Retryable: the next attempt may be faster. */
  override get retryable(): boolean {
    return true;
  }
}

/** A command in the sandbox ran past its timeout: reason `CWSANDBOX_COMMAND_TIMEOUT`. Not retryable. */
export class SandboxCommandTimeoutError extends SandboxTimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxCommandTimeoutError",
  );
}

/**
 * A snapshot did not become ready in time: reason `CWSANDBOX_FSS_WAIT_TIMEOUT`. Not retryable as
 * such (wait again if you still need it).
 */
export class SnapshotWaitTimeoutError extends SandboxTimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotWaitTimeoutError",
    {
      fields: { fileSystemSnapshotId: undefined },
    },
  );
  /** The snapshot waited for, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message?: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/** The sandbox was terminated. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminatedError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxTerminatedError");
}

/** The sandbox failed. Raised by SDK code, never mapped. Not retryable. */
export class SandboxFailedError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxFailedError");
}

/** Options of {@link SandboxNotFoundError}. */
export type SandboxNotFoundErrorOptions = ErrorOptionsOf<SandboxNotFoundError>;

/**
 * The sandbox does not exist (or no longer does): reason `CWSANDBOX_SANDBOX_NOT_FOUND`, or gRPC
 * `NOT_FOUND` in scope `sandbox` without a snapshot id. Its `sandboxId` comes from the mapping
 * context, never from the server's metadata. Not retryable.
 */
export class SandboxNotFoundError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxNotFoundError");
}

/** Options of {@link SandboxExecutionError} and its subclasses. */
export type SandboxExecutionErrorOptions = ErrorOptionsOf<SandboxExecutionError>;

/**
 * A command or function run in the sandbox failed. Raised by SDK code (see
 * `SandboxExecutionError.fromProcessResult`), and by `streamError()` for unknown stream codes.
 * Not retryable.
 */
export class SandboxExecutionError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxExecutionError", {
    fields: { execResult: undefined, exceptionType: undefined, exceptionMessage: undefined },
    revive: { execResult: reviveExecResult },
  });
  /** The failed process's result, when known. */
  declare readonly execResult: ProcessResult | undefined;
  /** The exception type reported on stderr, such as `ValueError`. */
  declare readonly exceptionType: string | undefined;
  /** The exception message reported on stderr. */
  declare readonly exceptionMessage: string | undefined;
  constructor(message?: string, options?: SandboxExecutionErrorOptions) {
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
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxStreamBackpressureError",
    {
      fields: { streamCode: undefined },
    },
  );
  /** Always `StreamCode.STREAM_BACKPRESSURE` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message?: string, options?: StreamErrorOptions) {
    super(message, { ...options, reason: undefined });
  }
}

/**
 * The exec stream's output was cut short (`STREAM_TRUNCATED`). Made by `streamError()`; `reason` is
 * always undefined. Not retryable.
 */
export class SandboxStreamTruncatedError extends SandboxExecutionError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxStreamTruncatedError",
    {
      fields: { streamCode: undefined },
    },
  );
  /** Always `StreamCode.STREAM_TRUNCATED` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message?: string, options?: StreamErrorOptions) {
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
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxFileError", {
    fields: { filepath: undefined },
    // The sandbox service reports the path in its ErrorInfo metadata.
    fromMetadata: ["filepath"],
  });
  /** The file's path: as given (by the mapping context), else the server's `metadata.filepath`. */
  declare readonly filepath: string | undefined;
  constructor(message?: string, options?: SandboxFileErrorOptions) {
    super(message, options);
  }
}

/**
 * A quota or limit was hit: gRPC `RESOURCE_EXHAUSTED` in scope `sandbox`. Retryable (after the
 * server's `retryDelay`, if any) — except its subclass `RequestSizeError`.
 */
export class SandboxResourceExhaustedError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxResourceExhaustedError",
  );

  /** Retryable, after the server's `retryDelay` if it sent one. */
  override get retryable(): boolean {
    return true;
  }
}

/**
 * A message was over the size limit (`RESOURCE_EXHAUSTED` whose transport message says "larger than
 * max"). **Not retryable**: the same message will be too large again.
 */
export class RequestSizeError extends SandboxResourceExhaustedError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "RequestSizeError");

  /** Not retryable: the same message will be too large again. */
  override get retryable(): boolean {
    return false;
  }
}

/** The sandbox's terminal state could not be read. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminalStateUnavailableError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxTerminalStateUnavailableError",
  );
}

/**
 * A file-system snapshot operation failed: reasons `CWSANDBOX_FSS_BUCKET_UNAVAILABLE`,
 * `CWSANDBOX_FSS_RESTORE_FAILED`, `CWSANDBOX_FSS_CREATE_FAILED`, `CWSANDBOX_FSS_CREATE_TIMED_OUT`,
 * `CWSANDBOX_FSS_AUTH_FAILED`, `CWSANDBOX_FSS_TRANSPORT_FAILED`, `CWSANDBOX_FSS_CANCELED`; the base of
 * the specific snapshot errors. Not retryable.
 */
export class SandboxSnapshotError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxSnapshotError", {
    fields: { fileSystemSnapshotId: undefined },
  });
  /** The snapshot's id, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message?: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/**
 * The snapshot does not exist: reason `CWSANDBOX_FSS_NOT_FOUND`, or gRPC `NOT_FOUND` in scope
 * `sandbox` when the context names a snapshot. Not retryable.
 */
export class SnapshotNotFoundError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SnapshotNotFoundError");
}

/** The snapshot is not ready yet: reason `CWSANDBOX_FSS_NOT_READY`. Not retryable as such. */
export class SnapshotNotReadyError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SnapshotNotReadyError");
}

/** Snapshots are not supported here: reason `CWSANDBOX_FSS_NOT_SUPPORTED`. Not retryable. */
export class SnapshotNotSupportedError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotNotSupportedError",
  );
}

/** The snapshot is over its size limit: reason `CWSANDBOX_FSS_SIZE_EXCEEDED`. Not retryable. */
export class SnapshotSizeExceededError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotSizeExceededError",
  );
}

/** The snapshot quota is used up: reason `CWSANDBOX_FSS_QUOTA_EXCEEDED`. Not retryable. */
export class SnapshotQuotaExceededError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotQuotaExceededError",
  );
}

/** The snapshot lives in another bucket: reason `CWSANDBOX_FSS_BUCKET_MISMATCH`. Not retryable. */
export class SnapshotBucketMismatchError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotBucketMismatchError",
  );
}

/** A snapshot-on-stop conflicts with the request. Raised by SDK code, never mapped. Not retryable. */
export class SnapshotOnStopConflictError extends SandboxSnapshotError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SnapshotOnStopConflictError",
  );
}

/** A runner or profile lookup failed: the base class of scope `discovery`. */
export class DiscoveryError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DiscoveryError");
}

/**
 * A discovery request was invalid: `INVALID_ARGUMENT` with field violations in scope `discovery`.
 * Also `instanceof ValidationError`. Not retryable.
 */
export class DiscoveryValidationError extends DiscoveryError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "DiscoveryValidationError",
    {
      fields: { fieldViolations: EMPTY_LIST },
      revive: { fieldViolations: reviveViolations },
      alsoInstanceOf: ValidationError,
    },
  );
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message?: string, options?: ValidationErrorOptions) {
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
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "RunnerNotFoundError", {
    fields: { runnerId: undefined },
  });
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message?: string, options?: RunnerNotFoundErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link ProfileNotFoundError}. */
export type ProfileNotFoundErrorOptions = ErrorOptionsOf<ProfileNotFoundError>;

/** The profile does not exist: reason `CWSANDBOX_PROFILE_NOT_FOUND` in scope `discovery`. Not retryable. */
export class ProfileNotFoundError extends DiscoveryError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ProfileNotFoundError", {
    fields: { profileName: undefined, runnerId: undefined },
  });
  /** The profile's name, from the mapping context. */
  declare readonly profileName: string | undefined;
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message?: string, options?: ProfileNotFoundErrorOptions) {
    super(message, options);
  }
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
