/**
 * The CoreWeave sandbox preset's mapping (SPEC §5) as a catalogue, written with the same public
 * `defineCatalogue` an SDK author uses: which class a failure becomes, in each scope — by trusted
 * reason, then by status code — with its message template. Then the functions of the main entry,
 * bound to it: `fromGrpcStatus`, `fromResponse`, `withErrorMapping`, `niceGrpcErrorMiddleware`,
 * `isNotFound`.
 */

import { defineCatalogue, defineMapping, type ResponseContext } from "../../catalogue/define.js";
import type {
  CatalogueContext,
  CatalogueFailure,
  CatalogueSpec,
  ErrorClass,
  Rule,
} from "../../catalogue/spec.js";
import { hasBrand } from "../../core/brands.js";
import { isSandboxSdkError, type SandboxSdkError } from "../../core/error.js";
import type { ErrorMappingContext, NiceGrpcClientMiddleware } from "../../edge/adapters.js";
import { readFailure } from "../../roads/failure.js";
import { GrpcCode } from "../../wire/codes.js";
import {
  AuthenticationError,
  DiscoveryError,
  DiscoveryValidationError,
  PermissionDeniedError,
  ProfileNotFoundError,
  RequestSizeError,
  SandboxSdkError as Root,
  RunnerNotFoundError,
  SandboxCommandTimeoutError,
  SandboxError,
  SandboxFileError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxRequestTimeoutError,
  SandboxResourceExhaustedError,
  SandboxSnapshotError,
  SandboxUnavailableError,
  SandboxValidationError,
  SnapshotBackendThrottledError,
  SnapshotBucketMismatchError,
  SnapshotNotFoundError,
  SnapshotNotReadyError,
  SnapshotNotSupportedError,
  SnapshotQuotaExceededError,
  SnapshotSizeExceededError,
  SnapshotWaitTimeoutError,
  ValidationError,
} from "./errors.js";
import {
  ERROR_DOMAIN,
  FILE_REASONS,
  Reason,
  SNAPSHOT_FAILED_REASONS,
  SNAPSHOT_THROTTLED_REASONS,
  saysTooLarge,
  UNAVAILABLE_REASONS,
} from "./reasons.js";

/** Which family of classes a call's failures map to. */
export type MappingScope = "sandbox" | "discovery" | "general";

/** What the SDK knows about the failed call; it fills in messages and fields. */
export interface MappingContext extends CatalogueContext {
  /** `"sandbox"` (default), `"discovery"` (runners, profiles) or `"general"`. */
  scope?: MappingScope | undefined;
  /** The operation in messages, e.g. `"exec"`; `"operation"` when left out. The error's `operation`. */
  operation?: string | undefined;
  /** The sandbox the call was about: the error's `sandboxId`, and the messages. */
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

const FILE_FAILED = "File operation failed ({reason}): {details}";
const SANDBOX_NOT_FOUND = ["Sandbox '{sandboxId}' not found", "{details}"];
const TIMED_OUT = "{operation} timed out: {details}";
const UNAVAILABLE = "Service unavailable: {details}";
const SNAPSHOT_FAILED = "{operation} failed ({reason}): {details}";
const EXHAUSTED = "{operation} resource exhausted: {details}";
/** The details part is the server's message as sent, left out when empty (the same on every road). */
const VALIDATION = [
  "{operation} failed: {rawMessage}; field violations: {violations}",
  "{operation} failed: field violations: {violations}",
];
const RUNNER_NOT_FOUND = ["Runner not found: '{runnerId}'", "Runner not found: {details}"];

/** INVALID_ARGUMENT with field violations: the scope's validation class. */
const hasViolations = (failure: CatalogueFailure): boolean => failure.fieldViolations.length > 0;
/** The transport's message says a message was over a size limit. */
const tooLarge = (failure: CatalogueFailure): boolean => saysTooLarge(failure.message);
/** The context names a file-system snapshot: NOT_FOUND is the snapshot's. */
const namesSnapshot = (_: CatalogueFailure, context: MappingContext): boolean =>
  context.fileSystemSnapshotId !== undefined;

/** One rule for each reason of a group. */
/* @__NO_SIDE_EFFECTS__ */
function eachOf(
  reasons: readonly string[],
  rule: Rule<MappingContext>,
): Record<string, Rule<MappingContext>> {
  const rows: Record<string, Rule<MappingContext>> = {};
  for (const reason of reasons) rows[reason] = rule;
  return rows;
}

/** A validation row: INVALID_ARGUMENT with field violations gives the scope's validation class. */
/* @__NO_SIDE_EFFECTS__ */
function validation(then: ErrorClass): Rule<MappingContext> {
  return { when: hasViolations, then, message: VALIDATION };
}

/** A snapshot reason's row. */
/* @__NO_SIDE_EFFECTS__ */
function snapshot(then: ErrorClass): Rule<MappingContext> {
  return { then, message: SNAPSHOT_FAILED };
}

/**
 * The default preset's catalogue spec: SPEC §5 as data. Extend it for an SDK of the same service
 * (`defineCatalogue({ ...cwsandboxSpec, ... })`).
 */
export const cwsandboxSpec: CatalogueSpec<SandboxSdkError, MappingContext> = /* @__PURE__ */ (() => ({
  name: "cwsandbox",
  root: Root,
  trustedDomains: [ERROR_DOMAIN],
  defaultScope: "sandbox",
  message: "{operation} failed: {details}",
  codes: {
    UNAUTHENTICATED: { then: AuthenticationError, message: "Authentication failed: {details}" },
    PERMISSION_DENIED: { then: PermissionDeniedError, message: "Permission denied: {details}" },
  },
  scopes: {
    sandbox: {
      root: SandboxError,
      reasons: {
        ...eachOf(FILE_REASONS, { then: SandboxFileError, message: FILE_FAILED }),
        [Reason.SANDBOX_NOT_FOUND]: { then: SandboxNotFoundError, message: SANDBOX_NOT_FOUND },
        [Reason.SANDBOX_NOT_RUNNING]: {
          then: SandboxNotRunningError,
          message: "{operation} failed: sandbox is not running: {details}",
        },
        [Reason.COMMAND_TIMEOUT]: { then: SandboxCommandTimeoutError, message: TIMED_OUT },
        ...eachOf(UNAVAILABLE_REASONS, { then: SandboxUnavailableError, message: UNAVAILABLE }),
        [Reason.FSS_NOT_FOUND]: snapshot(SnapshotNotFoundError),
        [Reason.FSS_NOT_READY]: snapshot(SnapshotNotReadyError),
        [Reason.FSS_NOT_SUPPORTED]: snapshot(SnapshotNotSupportedError),
        [Reason.FSS_SIZE_EXCEEDED]: snapshot(SnapshotSizeExceededError),
        [Reason.FSS_QUOTA_EXCEEDED]: snapshot(SnapshotQuotaExceededError),
        [Reason.FSS_BUCKET_MISMATCH]: snapshot(SnapshotBucketMismatchError),
        ...eachOf(SNAPSHOT_FAILED_REASONS, snapshot(SandboxSnapshotError)),
        [Reason.FSS_WAIT_TIMEOUT]: {
          then: SnapshotWaitTimeoutError,
          message: "{operation} timed out waiting for snapshot ready ({reason}): {details}",
        },
        ...eachOf(SNAPSHOT_THROTTLED_REASONS, {
          then: SnapshotBackendThrottledError,
          message: "Snapshot backend throttled ({reason}): {details}",
        }),
      },
      codes: {
        NOT_FOUND: [
          {
            when: namesSnapshot,
            then: SnapshotNotFoundError,
            message: "File-system snapshot '{fileSystemSnapshotId}' not found",
          },
          { then: SandboxNotFoundError, message: SANDBOX_NOT_FOUND },
        ],
        CANCELLED: {
          then: SandboxNotRunningError,
          message: [
            "{operation} was cancelled (sandbox {sandboxId} connection closed)",
            "{operation} was cancelled",
          ],
        },
        DEADLINE_EXCEEDED: { then: SandboxRequestTimeoutError, message: TIMED_OUT },
        UNAVAILABLE: { then: SandboxUnavailableError, message: UNAVAILABLE },
        RESOURCE_EXHAUSTED: [
          { when: tooLarge, then: RequestSizeError, message: EXHAUSTED },
          { then: SandboxResourceExhaustedError, message: EXHAUSTED },
        ],
        INVALID_ARGUMENT: validation(SandboxValidationError),
      },
    },
    discovery: {
      root: DiscoveryError,
      reasons: {
        [Reason.PROFILE_NOT_FOUND]: {
          then: ProfileNotFoundError,
          message: ["Profile '{profileName}' not found", "Profile not found: {details}"],
        },
        [Reason.RUNNER_NOT_FOUND]: { then: RunnerNotFoundError, message: RUNNER_NOT_FOUND },
      },
      codes: {
        NOT_FOUND: { then: RunnerNotFoundError, message: RUNNER_NOT_FOUND },
        INVALID_ARGUMENT: validation(DiscoveryValidationError),
        DEADLINE_EXCEEDED: { then: DiscoveryError, message: TIMED_OUT },
        UNAVAILABLE: { then: DiscoveryError, message: UNAVAILABLE },
      },
    },
    general: {
      codes: {
        INVALID_ARGUMENT: validation(ValidationError),
        DEADLINE_EXCEEDED: { then: Root, message: TIMED_OUT },
        UNAVAILABLE: { then: Root, message: UNAVAILABLE },
      },
    },
  },
  reasonCodes: {
    [Reason.FILE_IO_FAILED]: "INTERNAL",
    [Reason.FILE_NOT_FOUND]: "NOT_FOUND",
    [Reason.FILE_IS_DIRECTORY]: "FAILED_PRECONDITION",
    [Reason.FILE_PERMISSION_DENIED]: "PERMISSION_DENIED",
    [Reason.FILE_TOO_LARGE]: "FAILED_PRECONDITION",
    [Reason.FILE_TRUNCATED]: "DATA_LOSS",
    [Reason.SANDBOX_NOT_FOUND]: "NOT_FOUND",
    [Reason.SANDBOX_NOT_RUNNING]: "FAILED_PRECONDITION",
    [Reason.COMMAND_TIMEOUT]: "DEADLINE_EXCEEDED",
    [Reason.RUNNER_UNAVAILABLE]: "UNAVAILABLE",
    [Reason.BACKEND_UNAVAILABLE]: "UNAVAILABLE",
    [Reason.RUNNER_SHARD_RETIRING]: "UNAVAILABLE",
    [Reason.FSS_NOT_FOUND]: "NOT_FOUND",
    [Reason.FSS_NOT_READY]: "FAILED_PRECONDITION",
    [Reason.FSS_NOT_SUPPORTED]: "UNIMPLEMENTED",
    [Reason.FSS_SIZE_EXCEEDED]: "RESOURCE_EXHAUSTED",
    [Reason.FSS_QUOTA_EXCEEDED]: "RESOURCE_EXHAUSTED",
    [Reason.FSS_BUCKET_MISMATCH]: "FAILED_PRECONDITION",
    [Reason.FSS_CREATE_FAILED]: "INTERNAL",
    [Reason.FSS_BUCKET_UNAVAILABLE]: "UNAVAILABLE",
    [Reason.FSS_RESTORE_FAILED]: "INTERNAL",
    [Reason.FSS_CREATE_TIMED_OUT]: "DEADLINE_EXCEEDED",
    [Reason.FSS_AUTH_FAILED]: "PERMISSION_DENIED",
    [Reason.FSS_TRANSPORT_FAILED]: "UNAVAILABLE",
    [Reason.FSS_CANCELED]: "CANCELLED",
    [Reason.FSS_WAIT_TIMEOUT]: "DEADLINE_EXCEEDED",
    // The Python SDK documents SnapshotBackendThrottledError as emitted under UNAVAILABLE.
    [Reason.FSS_BACKEND_THROTTLED]: "UNAVAILABLE",
    [Reason.FSS_INFLIGHT_LIMIT]: "UNAVAILABLE",
    [Reason.FSS_BUCKET_PROVISIONING]: "UNAVAILABLE",
    [Reason.PROFILE_NOT_FOUND]: "NOT_FOUND",
    [Reason.RUNNER_NOT_FOUND]: "NOT_FOUND",
  },
}))();

/** The default preset's mapping: what `fromGrpcStatus` (and every function bound below) maps with. */
const CWSANDBOX = /* @__PURE__ */ defineMapping(cwsandboxSpec);

/**
 * The default preset as a catalogue (`cwsandbox.fromGrpcStatus`, `.fromResponse`, ...): for the
 * `catalogue` option of `retryInterceptor` and `retryMiddleware`, and for code that takes a
 * catalogue. The same functions are exported by name.
 */
export const cwsandbox = /* @__PURE__ */ defineCatalogue(CWSANDBOX);

/**
 * Maps whatever a transport threw onto this package's classes. Never throws.
 *
 * `error` may be a grpc-js `ServiceError` or `StatusObject`, a protobuf-ts or grpc-web `RpcError`, a
 * connect-es `ConnectError` (any protocol), a nice-grpc `ClientError` or `RichClientError`, an
 * axios error, an openapi-fetch `{ error, response }`, a `google.rpc.Status` message object, an
 * `AbortError` or `TimeoutError`, a network failure, a parsed JSON error body, or anything else; a
 * `SandboxSdkError` (from any copy of this package) comes back unchanged. The transport's code is
 * authoritative; the status details supply `reason`, `domain`, `metadata`, `retryDelay`, `details`
 * and `requestId`, and a reason from a trusted domain picks a more specific class first. The
 * original error is kept as `cause`, and the stack starts at the caller of `fromGrpcStatus`.
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
export const fromGrpcStatus: (error: unknown, context?: MappingContext) => SandboxSdkError =
  /* @__PURE__ */ (() => CWSANDBOX.fromGrpcStatus)();

/**
 * Maps a `Response` that failed onto this package's classes, as `fromGrpcStatus` maps a thrown
 * transport error: for SDKs that call the service with `fetch`. Never rejects (but with a
 * `RangeError` for an invalid `maxBodyBytes`, the caller's programming error).
 *
 * What it reads, by the response's `content-type`: gRPC-web (`grpc-status`, `grpc-message`,
 * `grpc-status-details-bin` in the trailer frame or the headers); Connect, AIP-193 and REST JSON
 * error bodies, as `parseStatusJson` reads them; anything else (a proxy's HTML page) by its HTTP
 * status. `retryDelay` comes from `RetryInfo`, else from a hint header. At most `maxBodyBytes`
 * (1 MiB) of the body are read; `signal` stops the read. `cause` is the response; `httpStatus` its
 * status; the stack starts at the caller's `await`.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { method: "POST", body });
 * if (!response.ok) throw await fromResponse(response, { operation: "exec", sandboxId });
 * ```
 */
export const fromResponse: (
  response: Response,
  context?: ResponseContext<MappingContext>,
) => Promise<SandboxSdkError> = /* @__PURE__ */ (() => cwsandbox.fromResponse)();

/**
 * Returns a client of the same type whose every method's failures arrive already mapped by
 * `fromGrpcStatus`, with `operation` = the method's name and the given context (an object, or a
 * function `(method, request) => context` that reads `sandboxId` from the request).
 *
 * It works for grpc-js clients (callbacks; unary, client, server and bidirectional streams, whose
 * `error` event carries the mapped error, also under `for await`), protobuf-ts clients, connect-es
 * clients from `createClient` and nice-grpc clients (add `niceGrpcErrorMiddleware` to the client
 * factory so the errors keep the status details nice-grpc drops). Successful calls pass through
 * untouched; an error already mapped is not mapped again; the caller's own abort is re-thrown as
 * itself (the `signal.reason` the caller gave).
 *
 * @throws TypeError - when `client` is not an object, or `context` neither an object nor a function.
 *
 * @example
 * ```ts
 * const sandboxes = withErrorMapping(rawClient, (method, request) => ({
 *   sandboxId: (request as { sandboxId?: string } | undefined)?.sandboxId,
 * }));
 * ```
 */
export const withErrorMapping: <T extends object>(
  client: T,
  context?: ErrorMappingContext<MappingContext>,
) => T = /* @__PURE__ */ (() => cwsandbox.withErrorMapping)();

/**
 * A nice-grpc client middleware that keeps the trailers nice-grpc drops, so its errors carry every
 * detail of the status, and maps them with `fromGrpcStatus` (`operation` is the method's name as the
 * client spells it: `getSandbox`). Typed as nice-grpc's own `ClientMiddleware`. nice-grpc runs the
 * middleware added last outermost: add it after a retry middleware so that it maps the final error
 * (the retry middleware of this package decides the same either way).
 *
 * @throws TypeError - when `context` is neither an object nor a function.
 *
 * @example
 * ```ts
 * const client = createClientFactory().use(niceGrpcErrorMiddleware()).create(SandboxService, channel);
 * ```
 */
export const niceGrpcErrorMiddleware: (
  context?: ErrorMappingContext<MappingContext>,
) => NiceGrpcClientMiddleware = /* @__PURE__ */ (() => cwsandbox.niceGrpcErrorMiddleware)();

/**
 * The classes that mean "not found" whatever their code: `isNotFound` is true for them, since SDK
 * code raises them itself, without a status.
 */
const NOT_FOUND_CLASSES: readonly string[] = [
  "SandboxNotFoundError",
  "SnapshotNotFoundError",
  "RunnerNotFoundError",
  "ProfileNotFoundError",
];

function isTrusted(domain: string | undefined, trustedDomains: unknown): boolean {
  if (domain === undefined) return false;
  if (Array.isArray(trustedDomains)) return trustedDomains.includes(domain);
  if (typeof trustedDomains === "string") return trustedDomains === domain;
  return domain === ERROR_DOMAIN;
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
 * try {
 *   await client.deleteSnapshot({ fileSystemSnapshotId });
 * } catch (e) {
 *   if (!isNotFound(e, Reason.FSS_NOT_FOUND)) throw e;
 * }
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
    const failure = readFailure(error, { withMessage: false });
    grpcCode = failure.kind === undefined ? failure.code : undefined;
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
 * Reasons no row maps, and why: they fall through to the status code. A test fails when a `Reason`
 * is neither mapped nor listed here. (A function: the explanations are for docs and tests, and stay
 * out of a bundle that does not call it.)
 */
export function unmappedReasons(): Readonly<Partial<Record<Reason, string>>> {
  const placement = "placement: for SDK spill-over logic; the status code decides the class";
  const serverless = "serverless: for SDK logic; the status code decides the class";
  return {
    [Reason.RUNNER_CAPACITY_EXHAUSTED]: placement,
    [Reason.PLACEMENT_REJECTED]: placement,
    [Reason.PLACEMENT_CONSTRAINT_UNSATISFIED]: placement,
    [Reason.NO_SUITABLE_RUNNER]: placement,
    [Reason.RUNNER_OVERLOADED]: placement,
    [Reason.SERVERLESS_NOT_ALLOWED]: serverless,
    [Reason.SERVERLESS_DISABLED]: serverless,
    [Reason.SERVERLESS_MISCONFIGURED]: serverless,
    [Reason.INVALID_REQUEST]: "request: INVALID_ARGUMENT and its field violations decide the class",
    [Reason.NOT_IMPLEMENTED]: "request: the status code (UNIMPLEMENTED) decides the class",
  };
}
