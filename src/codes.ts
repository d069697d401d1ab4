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

/**
 * The 17 canonical gRPC status codes, so callers compare `err.grpcCode === GrpcCode.NOT_FOUND`
 * without importing `@grpc/grpc-js`.
 */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the values of {@link GrpcCode}: an integer from 0 to 16. */
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** The canonical names, indexed by code: `GRPC_CODE_NAMES[5] === "NOT_FOUND"`. */
export const GRPC_CODE_NAMES: readonly (keyof typeof GrpcCode)[] = Object.freeze(
  Object.keys(GrpcCode) as (keyof typeof GrpcCode)[],
);

/**
 * Reads a status code as a transport reports it: a number from 0 to 16 (grpc-js, connect-es), or a
 * canonical name in either case (protobuf-ts `RpcError`, Connect's wire names such as `not_found`).
 * Anything else gives `undefined`.
 */
export function toGrpcCode(code: unknown): GrpcCode | undefined {
  if (typeof code === "number") {
    return Number.isInteger(code) && code >= 0 && code <= 16 ? (code as GrpcCode) : undefined;
  }
  if (typeof code === "string" && code.length <= 19) {
    const name = code.toUpperCase();
    if (Object.hasOwn(GrpcCode, name)) return GrpcCode[name as keyof typeof GrpcCode];
    // Connect spells CANCELLED with one L.
    if (name === "CANCELED") return GrpcCode.CANCELLED;
  }
  return undefined;
}
