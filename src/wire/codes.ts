/**
 * Protocol facts: the 17 gRPC status codes, how each road spells them, and the HTTP ↔ gRPC tables
 * the codec and the roads need. Nothing here belongs to a preset.
 */
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
  /* @__PURE__ */ Object.keys(GrpcCode) as (keyof typeof GrpcCode)[],
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
