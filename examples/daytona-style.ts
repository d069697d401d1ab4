/**
 * A Daytona-style catalogue: the error classes of Daytona's TypeScript SDK
 * (`libs/sdk-typescript/src/errors/DaytonaError.ts`) and the rules by which its axios interceptor
 * raises them (`createAxiosDaytonaError`), written with the package's public `defineCatalogue`. An
 * example for SDK authors, not a preset: Daytona's SDK maps its own errors.
 *
 * Daytona's API is NestJS: an error body is `{ "statusCode": 404, "error": "Not Found", "message":
 * "..." }`. The class comes from the HTTP status (400, 401, 403, 404, 409, 429; anything else is a
 * `DaytonaError`), the message is the body's, Daytona's `errorCode` (the body's `code`, else
 * `error_code`, else `error`) is the error's `reason` and its `statusCode` the error's `httpStatus`.
 */
import { defineCatalogue, defineErrorClass, SandboxSdkError } from "sandbox-sdk-errors";

/** The base of Daytona's errors: a failure whose HTTP status no row names (5xx included). Not retryable. */
export class DaytonaError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaError", {
    preset: "daytona",
    message: "Daytona error",
  });
}

/** The request was invalid: HTTP 400. Not retryable. */
export class DaytonaValidationError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaValidationError");
}

/** The API key or token was refused: HTTP 401. Not retryable. */
export class DaytonaAuthenticationError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "DaytonaAuthenticationError",
  );
}

/** The caller may not do this: HTTP 403. Not retryable. */
export class DaytonaAuthorizationError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "DaytonaAuthorizationError",
  );
}

/** The sandbox, snapshot, volume or file does not exist: HTTP 404. Not retryable. */
export class DaytonaNotFoundError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaNotFoundError");
}

/** The request conflicts with the resource's state (a name already taken): HTTP 409. Not retryable. */
export class DaytonaConflictError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaConflictError");
}

/** Too many requests: HTTP 429. Retryable, after the server's `Retry-After` (`retryDelay`) when sent. */
export class DaytonaRateLimitError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaRateLimitError");

  /** Retryable: the same request succeeds once the rate allows it. */
  override get retryable(): boolean {
    return true;
  }
}

/**
 * The SDK's own request timeout ran out: axios' `timeout of N ms exceeded`. Not retryable: the
 * server may still be doing what was asked.
 */
export class DaytonaTimeoutError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaTimeoutError", {
    message: "Operation timed out",
  });
}

/** Node's codes for a connection that was never made: the server cannot have seen the request. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Whether `error`, or an error in its `cause` chain, says the connection was never made. */
function neverConnected(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return (typeof code === "string" && NEVER_CONNECTED.has(code)) || neverConnected(cause, depth + 1);
}

/**
 * The request got no response: the connection was refused, reset or lost. Retryable only when the
 * connection was never made (refused, or the name did not resolve), as Daytona's Python SDK retries
 * it on any method; a connection lost mid-request may have delivered it.
 */
export class DaytonaConnectionError extends DaytonaError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "DaytonaConnectionError");

  /** Retryable when the failure to connect (the `cause`) came before the request was sent. */
  override get retryable(): boolean {
    return neverConnected(this.cause);
  }
}

/**
 * The Daytona-style catalogue: `daytona.fromGrpcStatus(axiosError)` in an axios response
 * interceptor, `daytona.fromResponse(response)` for `fetch`.
 */
export const daytona = /* @__PURE__ */ defineCatalogue({
  name: "daytona",
  root: DaytonaError,
  httpStatuses: {
    400: DaytonaValidationError,
    401: DaytonaAuthenticationError,
    403: DaytonaAuthorizationError,
    404: DaytonaNotFoundError,
    409: DaytonaConflictError,
    429: DaytonaRateLimitError,
  },
  network: DaytonaConnectionError,
  timeout: DaytonaTimeoutError,
  reasonFields: ["code", "error_code", "error"],
});
