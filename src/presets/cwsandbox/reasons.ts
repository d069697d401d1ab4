/**
 * The CoreWeave sandbox service's own words: its ErrorInfo domain, every reason it sends, and the
 * in-band codes of its exec stream.
 */

/**
 * The ErrorInfo domain of the CoreWeave sandbox service. `fromGrpcStatus` trusts reasons from this
 * domain by default (see `MappingContext.trustedDomains`).
 */
export const ERROR_DOMAIN = "cwsandbox.com";

/**
 * Every `ErrorInfo.reason` the sandbox service sends, so SDK code compares against a name instead of
 * typing a raw string: `err.reason === Reason.SANDBOX_NOT_FOUND`.
 *
 * The placement and serverless reasons have no class of their own (`fromGrpcStatus` falls through to
 * the status code for them); they exist for SDK logic such as placement spill-over.
 */
export const Reason = {
  // Files.
  FILE_NOT_FOUND: "CWSANDBOX_FILE_NOT_FOUND",
  FILE_IS_DIRECTORY: "CWSANDBOX_FILE_IS_DIRECTORY",
  FILE_IO_FAILED: "CWSANDBOX_FILE_IO_FAILED",
  FILE_PERMISSION_DENIED: "CWSANDBOX_FILE_PERMISSION_DENIED",
  FILE_TOO_LARGE: "CWSANDBOX_FILE_TOO_LARGE",
  FILE_TRUNCATED: "CWSANDBOX_FILE_TRUNCATED",
  // Sandbox lifecycle.
  SANDBOX_NOT_FOUND: "CWSANDBOX_SANDBOX_NOT_FOUND",
  SANDBOX_NOT_RUNNING: "CWSANDBOX_SANDBOX_NOT_RUNNING",
  COMMAND_TIMEOUT: "CWSANDBOX_COMMAND_TIMEOUT",
  RUNNER_UNAVAILABLE: "CWSANDBOX_RUNNER_UNAVAILABLE",
  BACKEND_UNAVAILABLE: "CWSANDBOX_BACKEND_UNAVAILABLE",
  RUNNER_SHARD_RETIRING: "CWSANDBOX_RUNNER_SHARD_RETIRING",
  // Discovery.
  RUNNER_NOT_FOUND: "CWSANDBOX_RUNNER_NOT_FOUND",
  PROFILE_NOT_FOUND: "CWSANDBOX_PROFILE_NOT_FOUND",
  // Placement.
  RUNNER_CAPACITY_EXHAUSTED: "CWSANDBOX_RUNNER_CAPACITY_EXHAUSTED",
  PLACEMENT_REJECTED: "CWSANDBOX_PLACEMENT_REJECTED",
  PLACEMENT_CONSTRAINT_UNSATISFIED: "CWSANDBOX_PLACEMENT_CONSTRAINT_UNSATISFIED",
  NO_SUITABLE_RUNNER: "CWSANDBOX_NO_SUITABLE_RUNNER",
  RUNNER_OVERLOADED: "CWSANDBOX_RUNNER_OVERLOADED",
  SERVERLESS_NOT_ALLOWED: "CWSANDBOX_SERVERLESS_NOT_ALLOWED",
  SERVERLESS_DISABLED: "CWSANDBOX_SERVERLESS_DISABLED",
  SERVERLESS_MISCONFIGURED: "CWSANDBOX_SERVERLESS_MISCONFIGURED",
  // Requests.
  INVALID_REQUEST: "CWSANDBOX_INVALID_REQUEST",
  NOT_IMPLEMENTED: "CWSANDBOX_NOT_IMPLEMENTED",
  // File-system snapshots.
  FSS_NOT_FOUND: "CWSANDBOX_FSS_NOT_FOUND",
  FSS_NOT_READY: "CWSANDBOX_FSS_NOT_READY",
  FSS_NOT_SUPPORTED: "CWSANDBOX_FSS_NOT_SUPPORTED",
  FSS_SIZE_EXCEEDED: "CWSANDBOX_FSS_SIZE_EXCEEDED",
  FSS_QUOTA_EXCEEDED: "CWSANDBOX_FSS_QUOTA_EXCEEDED",
  FSS_BUCKET_MISMATCH: "CWSANDBOX_FSS_BUCKET_MISMATCH",
  FSS_BUCKET_UNAVAILABLE: "CWSANDBOX_FSS_BUCKET_UNAVAILABLE",
  FSS_BUCKET_PROVISIONING: "CWSANDBOX_FSS_BUCKET_PROVISIONING",
  FSS_RESTORE_FAILED: "CWSANDBOX_FSS_RESTORE_FAILED",
  FSS_CREATE_FAILED: "CWSANDBOX_FSS_CREATE_FAILED",
  FSS_CREATE_TIMED_OUT: "CWSANDBOX_FSS_CREATE_TIMED_OUT",
  FSS_AUTH_FAILED: "CWSANDBOX_FSS_AUTH_FAILED",
  FSS_TRANSPORT_FAILED: "CWSANDBOX_FSS_TRANSPORT_FAILED",
  FSS_WAIT_TIMEOUT: "CWSANDBOX_FSS_WAIT_TIMEOUT",
  FSS_CANCELED: "CWSANDBOX_FSS_CANCELED",
  FSS_BACKEND_THROTTLED: "CWSANDBOX_FSS_BACKEND_THROTTLED",
  FSS_INFLIGHT_LIMIT: "CWSANDBOX_FSS_INFLIGHT_LIMIT",
} as const;

/** One of the values of {@link Reason}. */
export type Reason = (typeof Reason)[keyof typeof Reason];

/**
 * In-band codes of the exec stream. They arrive inside the stream's own messages, never as an
 * `ErrorInfo.reason`; `streamError()` turns them into errors.
 */
export const StreamCode = {
  STREAM_BACKPRESSURE: "STREAM_BACKPRESSURE",
  STREAM_TRUNCATED: "STREAM_TRUNCATED",
} as const;

/** One of the values of {@link StreamCode}. */
export type StreamCode = (typeof StreamCode)[keyof typeof StreamCode];

// ---------------------------------------------------------------------------------------------
// Reasons by purpose: the catalogue maps each group to one class, and the retry policy reads them.
// ---------------------------------------------------------------------------------------------

/** A file operation failed: `SandboxFileError`. */
export const FILE_REASONS: readonly Reason[] = /* @__PURE__ */ (() => [
  Reason.FILE_IO_FAILED,
  Reason.FILE_NOT_FOUND,
  Reason.FILE_IS_DIRECTORY,
  Reason.FILE_PERMISSION_DENIED,
  Reason.FILE_TOO_LARGE,
  Reason.FILE_TRUNCATED,
])();

/** The service cannot serve the call right now: `SandboxUnavailableError`, retryable. */
export const UNAVAILABLE_REASONS: readonly Reason[] = /* @__PURE__ */ (() => [
  Reason.RUNNER_UNAVAILABLE,
  Reason.BACKEND_UNAVAILABLE,
  Reason.RUNNER_SHARD_RETIRING,
])();

/** The snapshot backend asks for patience: `SnapshotBackendThrottledError`, retryable. */
export const SNAPSHOT_THROTTLED_REASONS: readonly Reason[] = /* @__PURE__ */ (() => [
  Reason.FSS_BACKEND_THROTTLED,
  Reason.FSS_INFLIGHT_LIMIT,
  Reason.FSS_BUCKET_PROVISIONING,
])();

/** A snapshot operation failed without a class of its own: `SandboxSnapshotError`. */
export const SNAPSHOT_FAILED_REASONS: readonly Reason[] = /* @__PURE__ */ (() => [
  Reason.FSS_CREATE_FAILED,
  Reason.FSS_BUCKET_UNAVAILABLE,
  Reason.FSS_RESTORE_FAILED,
  Reason.FSS_CREATE_TIMED_OUT,
  Reason.FSS_AUTH_FAILED,
  Reason.FSS_TRANSPORT_FAILED,
  Reason.FSS_CANCELED,
])();

/** Reasons whose failures are worth retrying, whatever their code. */
export const TRANSIENT_REASONS: readonly Reason[] = /* @__PURE__ */ (() =>
  UNAVAILABLE_REASONS.concat(SNAPSHOT_THROTTLED_REASONS))();

/**
 * Every reason the sandbox scope gives a class of its own (the groups above, and the reasons of one
 * class each). The others — placement, serverless, request, discovery — fall through to the code.
 */
export const SANDBOX_SCOPE_REASONS: readonly Reason[] = /* @__PURE__ */ (() =>
  FILE_REASONS.concat(
    TRANSIENT_REASONS,
    SNAPSHOT_FAILED_REASONS,
    Reason.SANDBOX_NOT_FOUND,
    Reason.SANDBOX_NOT_RUNNING,
    Reason.COMMAND_TIMEOUT,
    Reason.FSS_NOT_FOUND,
    Reason.FSS_NOT_READY,
    Reason.FSS_NOT_SUPPORTED,
    Reason.FSS_SIZE_EXCEEDED,
    Reason.FSS_QUOTA_EXCEEDED,
    Reason.FSS_BUCKET_MISMATCH,
    Reason.FSS_WAIT_TIMEOUT,
  ))();

/**
 * What the transport's message says when a message was over a size limit: grpc-js's `Received
 * message larger than max (N vs. M)`, and its decompression limit's `... decompresses to a size
 * larger than ...`. Such a RESOURCE_EXHAUSTED is a `RequestSizeError`.
 */
export const TOO_LARGE_PHRASES: readonly string[] = ["larger than max", "decompresses to a size larger than"];

/** Whether the transport's message says a message was over a size limit. */
export function saysTooLarge(message: string): boolean {
  for (const phrase of TOO_LARGE_PHRASES) if (message.includes(phrase)) return true;
  return false;
}
