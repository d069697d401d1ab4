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
import {
  type CatalogueContext,
  type ConnectRetryInterceptor,
  type ErrorMappingContext,
  type NiceGrpcClientMiddleware,
  type NiceGrpcRetryMiddleware,
  policyOf,
  type ResponseContext,
  type RetryContext,
  type RetryOptions,
  type RetryPolicy,
  retryInterceptorWith,
  retryMiddlewareWith,
  retryWith,
  type TransportRetryOptions,
} from "sandbox-sdk-errors";
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
export const fromResponse: (response: Response, context?: ResponseContext) => Promise<ModalError> =
  /* @__PURE__ */ (() => modal.fromResponse)();

/** A client of the same type whose every method's failures arrive mapped onto Modal's classes. */
export const withErrorMapping: <T extends object>(
  client: T,
  context?: ErrorMappingContext<CatalogueContext>,
) => T = /* @__PURE__ */ (() => modal.withErrorMapping)();

/**
 * A nice-grpc client middleware that keeps the trailers nice-grpc drops and maps failures onto Modal's
 * classes. nice-grpc runs the middleware added last outermost: add it after a retry middleware.
 */
export const niceGrpcErrorMiddleware: (
  context?: ErrorMappingContext<CatalogueContext>,
) => NiceGrpcClientMiddleware = /* @__PURE__ */ (() => modal.niceGrpcErrorMiddleware)();

/**
 * Modal's retry policy: a failure (mapped, or raw as the transport threw it) is retryable when Modal's
 * mapping gives a retryable class (`ServiceError`, `InternalError`, `InternalFailure`), its hint is
 * the server's; a timeout rejects with Modal's mapping of a client-side DEADLINE_EXCEEDED.
 */
export const MODAL_RETRY_POLICY: RetryPolicy = /* @__PURE__ */ (() => policyOf(MODAL))();

/** `retry` (SPEC §6) judged by Modal's retry policy: see {@link MODAL_RETRY_POLICY}. */
export function retry<T>(
  operation: (context: RetryContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  return retryWith(operation, options, MODAL_RETRY_POLICY);
}

/**
 * A connect-es interceptor that retries calls (SPEC §18), judged by Modal's retry policy (its
 * `catalogue` option defaults to Modal's preset).
 */
export function retryInterceptor(options?: TransportRetryOptions): ConnectRetryInterceptor {
  return retryInterceptorWith(options, MODAL_RETRY_POLICY);
}

/**
 * A nice-grpc middleware that retries calls (SPEC §18), judged by Modal's retry policy (its
 * `catalogue` option defaults to Modal's preset). Add `niceGrpcErrorMiddleware` after it, so that it
 * maps the final error.
 */
export function retryMiddleware(options?: TransportRetryOptions): NiceGrpcRetryMiddleware {
  return retryMiddlewareWith(options, MODAL_RETRY_POLICY);
}
