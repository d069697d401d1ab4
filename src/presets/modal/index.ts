/**
 * sandbox-sdk-errors/modal: Modal's exception hierarchy and its mapping (SPEC §17), with every field,
 * road, adapter and tool of `sandbox-sdk-errors`.
 *
 * ```ts
 * import { fromGrpcStatus, NotFoundError } from "sandbox-sdk-errors/modal";
 * ```
 *
 * @packageDocumentation
 */
import type { CatalogueContext } from "sandbox-sdk-errors";
import { MODAL, modal } from "./catalogue.js";
import type { ModalError } from "./errors.js";

export { modal, modalSpec } from "./catalogue.js";
export * from "./errors.js";

/**
 * Maps whatever a transport threw onto Modal's classes, exactly as Modal's `_STATUS_TO_EXCEPTION`
 * does: CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, UNAVAILABLE → `ServiceError`; INVALID_ARGUMENT,
 * OUT_OF_RANGE → `InvalidError`; NOT_FOUND → `NotFoundError`; ALREADY_EXISTS → `AlreadyExistsError`;
 * PERMISSION_DENIED → `PermissionDeniedError`; RESOURCE_EXHAUSTED → `ResourceExhaustedError` (or
 * `RequestSizeError` when the message says a message was larger than the maximum);
 * FAILED_PRECONDITION, ABORTED → `ConflictError`; UNIMPLEMENTED → `UnimplementedError`; INTERNAL →
 * `InternalError`; DATA_LOSS → `DataLossError`; UNAUTHENTICATED → `AuthError`. The message is the
 * server's as sent (or the code's name when empty); every common field is set. The caller's abort
 * gives a `ModalError`, not retryable; a network failure a `ServiceError`. Never throws.
 */
export const fromGrpcStatus: (error: unknown, context?: CatalogueContext) => ModalError =
  /* @__PURE__ */ (() => MODAL.fromGrpcStatus)();

/**
 * Whether retrying may succeed: Modal's retryable classes (`ServiceError`, `InternalError`,
 * `InternalFailure`, from its `RETRYABLE_GRPC_STATUS_CODES`); for a raw transport error, what
 * `fromGrpcStatus` would make of it.
 */
export const isRetryable: (error: unknown) => boolean = /* @__PURE__ */ (() => MODAL.isRetryable)();

/** Maps a `Response` that failed onto Modal's classes (see `fromGrpcStatus`). Never rejects. */
export const fromResponse: typeof modal.fromResponse = /* @__PURE__ */ (() => modal.fromResponse)();

/** A client of the same type whose every method's failures arrive mapped onto Modal's classes. */
export const withErrorMapping: typeof modal.withErrorMapping = /* @__PURE__ */ (() =>
  modal.withErrorMapping)();

/**
 * A nice-grpc client middleware that keeps the trailers nice-grpc drops and maps failures onto Modal's
 * classes. nice-grpc runs the middleware added last outermost: add it after a retry middleware.
 */
export const niceGrpcErrorMiddleware: typeof modal.niceGrpcErrorMiddleware = /* @__PURE__ */ (() =>
  modal.niceGrpcErrorMiddleware)();
