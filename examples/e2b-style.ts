/**
 * An E2B-style catalogue: E2B's JS SDK (`packages/js-sdk`) error classes and the rules by which it
 * raises them, written with the package's public `defineCatalogue`. An example for SDK authors, not
 * a preset: E2B's SDK maps its own errors.
 *
 * E2B talks to three APIs, and each has its own table; here each is a scope (`context.scope`):
 * - its REST API (api.e2b.dev, over openapi-fetch; `handleApiError` in `src/api/index.ts`): 401 and
 *   429 have classes of their own, anything else is the caller's class with `"<status>: <message>"`,
 *   and each call re-classes a 404 itself (`getInfo`: `SandboxNotFoundError`; volumes:
 *   `VolumeNotFoundError`). No scope is that API's general table; `sandbox` and `volume` are the calls
 *   about one sandbox or one volume;
 * - envd's HTTP API inside the sandbox (`handleEnvdApiError` in `src/envd/api.ts`): 400, 401, 404,
 *   429, 502 (the sandbox most likely timed out) and 507 (no space left), and envd's Connect API by
 *   code (`handleRpcError` in `src/envd/rpc.ts`): scope `envd`;
 * - the file-system calls of both, where a 404 or NOT_FOUND is a missing file: scope `filesystem`.
 *
 * E2B's REST error body is `{ "code": 404, "message": "...", "error_code": "..." }`; `error_code`
 * becomes the error's `reason`. Retryable: `RateLimitError` alone (E2B's SDKs retry nothing else a
 * server sends; its Python SDK retries only failures to connect, for which E2B has no class).
 * E2B's secrets and templates follow the volume pattern and are left out.
 */
import {
  type CatalogueContext,
  type CatalogueRows,
  defineCatalogue,
  defineErrorClass,
  type ErrorClass,
  type Rule,
  SandboxSdkError,
} from "sandbox-sdk-errors";

/**
 * The base of E2B's sandbox errors: a failure of the REST API or of envd that no row names (its
 * message `"<status>: <message>"`), and a failure to reach either (as E2B's SDK re-throws `fetch`'s
 * own error, which is neither a timeout nor a rate limit). Not retryable.
 */
export class SandboxError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxError", {
    preset: "e2b",
    message: "Sandbox error",
  });
}

/**
 * A timeout: envd answered 502 or UNAVAILABLE (the sandbox has most likely timed out), CANCELLED
 * (the request outlived `requestTimeoutMs`) or DEADLINE_EXCEEDED (a command or watch outlived
 * `timeoutMs`). Not retryable: the sandbox is gone, or the call needs a longer timeout.
 */
export class TimeoutError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "TimeoutError", {
    message: "Sandbox operation timed out",
  });
}

/** envd refused an argument: HTTP 400 or INVALID_ARGUMENT. Not retryable. */
export class InvalidArgumentError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "InvalidArgumentError");
}

/** The sandbox's disk is full: envd's HTTP 507. Not retryable. */
export class NotEnoughSpaceError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "NotEnoughSpaceError");
}

/** Something envd was asked about does not exist: HTTP 404 or NOT_FOUND. Not retryable. */
export class NotFoundError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "NotFoundError");
}

/** A file or directory inside the sandbox does not exist: 404 or NOT_FOUND in scope `filesystem`. Not retryable. */
export class FileNotFoundError extends NotFoundError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "FileNotFoundError");
}

/**
 * The sandbox does not exist (or is no longer running): the REST API's 404 in scope `sandbox`,
 * `"Sandbox <sandboxId> not found"`. Not retryable.
 */
export class SandboxNotFoundError extends NotFoundError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "SandboxNotFoundError");
}

/**
 * Too many requests: HTTP 429 from either API, RESOURCE_EXHAUSTED from envd. Retryable, after the
 * server's `Retry-After` (the error's `retryDelay`) when it sent one.
 */
export class RateLimitError extends SandboxError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "RateLimitError");

  /** Retryable: the same request succeeds once the rate allows it. */
  override get retryable(): boolean {
    return true;
  }
}

/**
 * The credentials were refused: HTTP 401 from either API, UNAUTHENTICATED from envd. Not a
 * `SandboxError` (as in E2B's SDK). Not retryable.
 */
export class AuthenticationError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "AuthenticationError", {
    preset: "e2b",
    message: "Authentication failed",
  });
}

/** The base of volume errors: a failure of the REST API's volume calls (scope `volume`). Not retryable. */
export class VolumeError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "VolumeError", {
    preset: "e2b",
    message: "Volume error",
  });
}

/** The volume does not exist: the REST API's 404 in scope `volume`. Not retryable. */
export class VolumeNotFoundError extends VolumeError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "VolumeNotFoundError");
}

/** What an E2B-style call says about itself when it maps a failure. */
export interface E2BContext extends CatalogueContext {
  /** Which table applies: none (the REST API's own), `sandbox`, `volume`, `envd` or `filesystem`. */
  scope?: "sandbox" | "volume" | "envd" | "filesystem" | undefined;
  /** The volume a `volume` call is about (its not-found message names it). */
  volumeId?: string | undefined;
}

/** A row whose message is the server's own, bare, as E2B words its mapped envd errors. */
const bare = (then: ErrorClass): Rule<E2BContext> => ({ then, message: "{details}" });

/** E2B's words for a 502 or UNAVAILABLE from envd. */
const SANDBOX_TIMED_OUT =
  "{details}: This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the sandbox with the desired timeout.";

/** envd: its HTTP API by status, its Connect API by code; what no row names is `"<status>: <message>"`. */
const envd: CatalogueRows<E2BContext> = {
  httpStatuses: {
    400: bare(InvalidArgumentError),
    401: bare(AuthenticationError),
    404: bare(NotFoundError),
    429: { then: RateLimitError, message: "{details}: The requests are being rate limited." },
    502: { then: TimeoutError, message: SANDBOX_TIMED_OUT },
    507: bare(NotEnoughSpaceError),
  },
  codes: {
    INVALID_ARGUMENT: bare(InvalidArgumentError),
    UNAUTHENTICATED: bare(AuthenticationError),
    NOT_FOUND: bare(NotFoundError),
    RESOURCE_EXHAUSTED: {
      then: RateLimitError,
      message: "{details}: Rate limit exceeded, please try again later.",
    },
    UNAVAILABLE: { then: TimeoutError, message: SANDBOX_TIMED_OUT },
    CANCELLED: {
      then: TimeoutError,
      message:
        "{details}: This error is likely due to exceeding 'requestTimeoutMs'. You can pass the request timeout value as an option when making the request.",
    },
    DEADLINE_EXCEEDED: {
      then: TimeoutError,
      message:
        "{details}: This error is likely due to exceeding 'timeoutMs' — the total time a long running request (like command execution or directory watch) can be active. It can be modified by passing 'timeoutMs' when making the request. Use '0' to disable the timeout.",
    },
  },
  message: ["{httpStatus}: {details}", "{codeName}: {details}"],
};

/**
 * The E2B-style catalogue: `e2b.fromResponse(response, { scope: "envd" })` for `fetch`,
 * `e2b.fromGrpcStatus(result, { scope: "sandbox", sandboxId })` for an openapi-fetch result or a
 * `ConnectError`, `e2b.isRetryable(error)` for `retry`'s `shouldRetry`. Its errors are typed as
 * `SandboxSdkError`: `AuthenticationError` and the volume errors are not `SandboxError`s.
 */
export const e2b = /* @__PURE__ */ defineCatalogue<SandboxSdkError, E2BContext>({
  name: "e2b",
  root: SandboxError,
  // The REST API: 401 and 429 have classes of their own; the rest is the caller's class.
  httpStatuses: {
    401: {
      then: AuthenticationError,
      message: "Unauthorized, please check your credentials. - {details}",
    },
    429: { then: RateLimitError, message: "Rate limit exceeded, please try again later - {details}" },
  },
  message: ["{httpStatus}: {details}", "{details}"],
  scopes: {
    sandbox: {
      httpStatuses: {
        404: { then: SandboxNotFoundError, message: ["Sandbox {sandboxId} not found", "{details}"] },
      },
    },
    volume: {
      root: VolumeError,
      httpStatuses: {
        404: { then: VolumeNotFoundError, message: ["Volume {volumeId} not found", "{details}"] },
      },
    },
    envd,
    // Scopes layer over the top level only, so the file-system table repeats envd's with its own 404.
    filesystem: {
      ...envd,
      httpStatuses: { ...envd.httpStatuses, 404: bare(FileNotFoundError) },
      codes: { ...envd.codes, NOT_FOUND: bare(FileNotFoundError) },
    },
  },
  network: SandboxError,
  reasonFields: ["error_code"],
});
