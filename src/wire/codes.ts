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
export const GRPC_CODE_NAMES: readonly (keyof typeof GrpcCode)[] = /* @__PURE__ */ Object.freeze(
  Object.keys(GrpcCode) as (keyof typeof GrpcCode)[],
);

/**
 * Reads a status code in every spelling a road uses: a number from 0 to 16 (grpc-js, connect-es), a
 * numeric string (`"5"`, as in a `grpc-status` header), the canonical name (`NOT_FOUND`, protobuf-ts),
 * Connect's wire name (`not_found`, and `canceled` with one L) or camel case (`notFound`). Anything
 * else gives `undefined`.
 */
export function toGrpcCode(code: unknown): GrpcCode | undefined {
  if (typeof code === "number") {
    return Number.isInteger(code) && code >= 0 && code <= 16 ? (code as GrpcCode) : undefined;
  }
  if (typeof code !== "string" || code.length === 0 || code.length > 19) return undefined;
  const first = code.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) {
    // A numeric string: digits only, no sign, no spaces, no leading zero but "0" itself.
    if (!/^(?:0|[1-9]\d?)$/.test(code)) return undefined;
    return toGrpcCode(Number(code));
  }
  // camelCase → CAMEL_CASE; any case of the canonical name → upper case.
  const name = code.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  if (Object.hasOwn(GrpcCode, name)) return GrpcCode[name as keyof typeof GrpcCode];
  // Connect spells CANCELLED with one L.
  if (name === "CANCELED") return GrpcCode.CANCELLED;
  return undefined;
}

/**
 * The HTTP status a gRPC code travels as over HTTP/JSON (AIP-193 bodies, Connect's unary errors):
 * Google's and Connect's shared table. Indexed by code.
 */
export const HTTP_STATUS_OF_CODE: readonly number[] = /* @__PURE__ */ Object.freeze([
  200, // OK
  499, // CANCELLED
  500, // UNKNOWN
  400, // INVALID_ARGUMENT
  504, // DEADLINE_EXCEEDED
  404, // NOT_FOUND
  409, // ALREADY_EXISTS
  403, // PERMISSION_DENIED
  429, // RESOURCE_EXHAUSTED
  400, // FAILED_PRECONDITION
  409, // ABORTED
  400, // OUT_OF_RANGE
  501, // UNIMPLEMENTED
  500, // INTERNAL
  503, // UNAVAILABLE
  500, // DATA_LOSS
  401, // UNAUTHENTICATED
]);

/**
 * The code of an AIP-193 error body whose `status` is missing or not a code name (and of a REST
 * body's HTTP status), as google-gax's `rpcCodeFromHttpStatusCode` reads it: the table below, then
 * any other 2xx OK, any other 4xx FAILED_PRECONDITION and any other 5xx INTERNAL; `undefined` for
 * anything else (google-gax's UNKNOWN).
 */
export function codeOfAip193HttpStatus(status: number): GrpcCode | undefined {
  switch (status) {
    case 400:
      return GrpcCode.INVALID_ARGUMENT;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.NOT_FOUND;
    case 409:
      return GrpcCode.ABORTED;
    case 416:
      return GrpcCode.OUT_OF_RANGE;
    case 429:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 499:
      return GrpcCode.CANCELLED;
    case 501:
      return GrpcCode.UNIMPLEMENTED;
    case 503:
      return GrpcCode.UNAVAILABLE;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
  }
  if (status >= 200 && status < 300) return GrpcCode.OK;
  if (status >= 400 && status < 500) return GrpcCode.FAILED_PRECONDITION;
  if (status >= 500 && status < 600) return GrpcCode.INTERNAL;
  return undefined;
}

/**
 * The code of an HTTP response that carries no gRPC status at all (an HTML page from a proxy, an
 * empty body), as gRPC's own HTTP-to-gRPC mapping reads it: 400 INTERNAL, 401 UNAUTHENTICATED, 403
 * PERMISSION_DENIED, 404 UNIMPLEMENTED, 429, 502, 503 and 504 UNAVAILABLE, anything else UNKNOWN.
 */
export function codeOfBareHttpStatus(status: number): GrpcCode {
  switch (status) {
    case 400:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.UNAVAILABLE;
    default:
      return GrpcCode.UNKNOWN;
  }
}

/** Connect's wire name of a code: `not_found`, `canceled` (one L), ...; `undefined` for OK. */
export function connectCodeName(code: GrpcCode): string | undefined {
  if (code === GrpcCode.OK) return undefined;
  return code === GrpcCode.CANCELLED ? "canceled" : (GRPC_CODE_NAMES[code] as string).toLowerCase();
}
