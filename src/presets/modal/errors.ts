/**
 * Modal's exception hierarchy (SPEC §17), with Modal's names and parents, as its Python SDK
 * (`modal.exception`) and its JS SDK define them. Declarations only. Every class belongs to the
 * preset `modal`: a Modal `NotFoundError` or `SandboxTimeoutError` is a class of its own, never
 * `instanceof` a same-named class of another preset. Python's warnings (`DeprecationError`,
 * `PendingDeprecationError`, `ServerWarning`, `AsyncUsageWarning`) and `InputCancellation` (a
 * `BaseException`) are not errors an SDK throws, and are not here.
 */
import { defineErrorClass, type ErrorOptionsOf, SandboxSdkError } from "sandbox-sdk-errors";

/**
 * The root of Modal's errors: Python's `modal.exception.Error`. It extends `SandboxSdkError`, so
 * every common field (`reason`, `retryDelay`, `grpcCode`, `rawMessage`, `operation`, ...), `toJSON`,
 * `retry`, the adapters and OpenTelemetry work unchanged. Not retryable.
 */
export class ModalError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ModalError", {
    preset: "modal",
    message: "Modal error",
  });
}

/** A resource creation conflicts with an existing resource: gRPC `ALREADY_EXISTS`. Not retryable. */
export class AlreadyExistsError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "AlreadyExistsError");
}

/** The client has missing or invalid authentication: gRPC `UNAUTHENTICATED`. Not retryable. */
export class AuthError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "AuthError", {
    message: "Authentication failed",
  });
}

/** An internal error in Modal's systems: gRPC `INTERNAL`. Retryable (Modal retries INTERNAL). */
export class InternalError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "InternalError");

  /** Retryable: one of Modal's retryable codes (`RETRYABLE_GRPC_STATUS_CODES`). */
  override get retryable(): boolean {
    return true;
  }
}

/** The caller did something invalid: gRPC `INVALID_ARGUMENT`, `OUT_OF_RANGE`. Not retryable. */
export class InvalidError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "InvalidError");
}

/** The request conflicts with the current state of a resource: gRPC `FAILED_PRECONDITION`, `ABORTED`. Not retryable. */
export class ConflictError extends InvalidError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ConflictError");
}

/** Data was lost or corrupted: gRPC `DATA_LOSS`. Not retryable. */
export class DataLossError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DataLossError");
}

/** A requested resource was not found: gRPC `NOT_FOUND`. Not retryable. */
export class NotFoundError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "NotFoundError");
}

/** The caller may not perform the operation: gRPC `PERMISSION_DENIED`. Not retryable. */
export class PermissionDeniedError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "PermissionDeniedError");
}

/** A server-side resource was exhausted, such as a quota or rate limit: gRPC `RESOURCE_EXHAUSTED`. Not retryable (Modal does not retry it). */
export class ResourceExhaustedError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ResourceExhaustedError");
}

/** Basic client/server communication failed: gRPC `CANCELLED`, `UNKNOWN`, `DEADLINE_EXCEEDED`, `UNAVAILABLE`, and a failure to reach the server. Retryable. */
export class ServiceError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ServiceError");

  /** Retryable: one of Modal's retryable codes (`RETRYABLE_GRPC_STATUS_CODES`). */
  override get retryable(): boolean {
    return true;
  }
}

/** The operation is not implemented or not supported: gRPC `UNIMPLEMENTED`. Not retryable. */
export class UnimplementedError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "UnimplementedError");
}

/** A retryable internal error, raised by SDK code. Retryable. */
export class InternalFailure extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "InternalFailure");

  /** Retryable: one of Modal's retryable codes (`RETRYABLE_GRPC_STATUS_CODES`). */
  override get retryable(): boolean {
    return true;
  }
}

/** An operation on a detached sandbox (a client used after it was closed). Raised by SDK code. Not retryable. */
export class ClientClosedError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ClientClosedError", {
    message: "Unable to perform operation on a detached sandbox",
  });
}

/** The queue is empty. Raised by SDK code. Not retryable. */
export class QueueEmptyError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "QueueEmptyError");
}

/** The queue is full. Raised by SDK code. Not retryable. */
export class QueueFullError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "QueueFullError");
}

/** A sandbox file-system operation was invalid: the base of the file-system errors. Raised by SDK code. Not retryable. */
export class SandboxFilesystemError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxFilesystemError");
}

/** A directory was expected to be empty but is not. Raised by SDK code. Not retryable. */
export class SandboxFilesystemDirectoryNotEmptyError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemDirectoryNotEmptyError",
  );
}

/** A file exceeds the maximum size for a read. Raised by SDK code. Not retryable. */
export class SandboxFilesystemFileTooLargeError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemFileTooLargeError",
  );
}

/** A file operation targeted a path that is a directory. Raised by SDK code. Not retryable. */
export class SandboxFilesystemIsADirectoryError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemIsADirectoryError",
  );
}

/** A path component is not a directory. Raised by SDK code. Not retryable. */
export class SandboxFilesystemNotADirectoryError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemNotADirectoryError",
  );
}

/** A file or directory was not found in the sandbox. Raised by SDK code. Not retryable. */
export class SandboxFilesystemNotFoundError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemNotFoundError",
  );
}

/** A path already exists and the operation requires it to be absent. Raised by SDK code. Not retryable. */
export class SandboxFilesystemPathAlreadyExistsError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemPathAlreadyExistsError",
  );
}

/** Permission was denied for a file operation in the sandbox. Raised by SDK code. Not retryable. */
export class SandboxFilesystemPermissionError extends SandboxFilesystemError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "SandboxFilesystemPermissionError",
  );
}

/** An unknown error during a container file-system operation. Raised by SDK code. Not retryable. */
export class FilesystemExecutionError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "FilesystemExecutionError");
}

/** An error on the Modal server, or a Python exception. Raised by SDK code. Not retryable. */
export class RemoteError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "RemoteError");
}

/** An image build failed; `imageId` names the image. Raised by SDK code. Not retryable. */
export class ImageBuildError extends RemoteError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ImageBuildError", {
    fields: { imageId: undefined },
  });
  /** The image whose build failed. Raised by SDK code. Not retryable. */
  declare readonly imageId: string | undefined;
  constructor(message?: string, options?: ErrorOptionsOf<ImageBuildError>) {
    super(message, options);
  }
}

/** Managing a workspace failed. Raised by SDK code. Not retryable. */
export class WorkspaceManagementError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "WorkspaceManagementError");
}

/** The base of Modal's timeouts. Raised by SDK code. Not retryable. */
export class TimeoutError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "TimeoutError", {
    message: "Operation timed out",
  });
}

/** A sandbox ran past its execution duration limit. Raised by SDK code. Not retryable. */
export class SandboxTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxTimeoutError", {
    message: "Sandbox operation timed out",
  });
}

/** A container process ran past its execution duration limit. Raised by SDK code. Not retryable. */
export class ExecTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ExecTimeoutError");
}

/** A function ran past its execution duration limit. Raised by SDK code. Not retryable. */
export class FunctionTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "FunctionTimeoutError");
}

/** A mount upload timed out. Raised by SDK code. Not retryable. */
export class MountUploadTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "MountUploadTimeoutError");
}

/** A volume upload timed out. Raised by SDK code. Not retryable. */
export class VolumeUploadTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "VolumeUploadTimeoutError");
}

/** An interactive frontend timed out connecting to a container. Raised by SDK code. Not retryable. */
export class InteractiveTimeoutError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "InteractiveTimeoutError");
}

/** An output expired before it was read. Raised by SDK code. Not retryable. */
export class OutputExpiredError extends TimeoutError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "OutputExpiredError");
}

/** A sandbox failed to create its exit snapshot. Raised by SDK code. Not retryable. */
export class SnapshotCreationError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SnapshotCreationError");
}

/** A sandbox was terminated for an internal reason. Raised by SDK code. Not retryable. */
export class SandboxTerminatedError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxTerminatedError");
}

/** Too many logs were asked for. Raised by SDK code. Not retryable. */
export class LogsFetchError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "LogsFetchError");
}

/** Connecting to Modal's servers failed. Raised by SDK code. Not retryable as such. */
export class ConnectionError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ConnectionError");
}

/** The client's version of Modal is no longer supported. Raised by SDK code. Not retryable. */
export class VersionError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "VersionError");
}

/** Something unexpected happened at run time. Raised by SDK code. Not retryable. */
export class ExecutionError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "ExecutionError");
}

/** Serialising a value failed. Raised by SDK code. Not retryable. */
export class SerializationError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SerializationError");
}

/** Deserialising a value failed. Raised by SDK code. Not retryable. */
export class DeserializationError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DeserializationError");
}

/** A gRPC request was rejected for being too large: `RESOURCE_EXHAUSTED` whose message says a message was larger than the maximum. Not retryable: it will be too large again. */
export class RequestSizeError extends ModalError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "RequestSizeError");
}
