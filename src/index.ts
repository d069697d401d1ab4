/**
 * sandbox-sdk-errors: the typed error hierarchy of a sandbox SDK.
 *
 * Map every failure with {@link fromGrpcStatus} (or wrap the client once with
 * {@link withErrorMapping}) and throw what comes back; catch with `instanceof`; retry with
 * {@link retry}, which honours the server's `RetryInfo`. This entry is the CoreWeave sandbox preset;
 * `sandbox-sdk-errors/modal` is Modal's, and {@link defineCatalogue} makes an SDK's own.
 *
 * @packageDocumentation
 */

// Catalogues: the mapping rules as data.
export {
  type Catalogue,
  catalogueOf,
  defineCatalogue,
  defineMapping,
  type Mapping,
  type ResponseContext,
} from "./catalogue/define.js";
export type {
  CatalogueContext,
  CatalogueFailure,
  CatalogueRows,
  CatalogueSpec,
  CodeName,
  ErrorClass,
  HeadersLike,
  HttpStatusKey,
  MessageFacts,
  MessageSpec,
  Row,
  Rule,
} from "./catalogue/spec.js";
// The root, and what every class is made of.
export { type AnyErrorClass, defineErrorClass, type ErrorClassOptions } from "./core/brands.js";
export {
  type ErrorOptionsOf,
  type FromOptionsOf,
  isSandboxSdkError,
  SandboxSdkError,
  type SandboxSdkErrorOptions,
} from "./core/error.js";
export type { SerializedCause, SerializedError, SerializedStatusDetail } from "./core/serialize.js";
// The client's edge: adapters, retry, observability.
export type {
  AdapterContext,
  ErrorMappingContext,
  NiceGrpcCallOptions,
  NiceGrpcCallResult,
  NiceGrpcClientMiddleware,
  NiceGrpcMetadata,
  NiceGrpcMiddlewareCall,
} from "./edge/adapters.js";
export {
  type ErrorAttributes,
  MAX_METADATA_ATTRIBUTES,
  MAX_METADATA_VALUE_LENGTH,
  type OtelAttributesOptions,
  otelAttributes,
  recordError,
  type SpanLike,
} from "./edge/observability.js";
export {
  createRetryThrottle,
  type RetryContext,
  type RetryEvent,
  type RetryJudgement,
  type RetryOptions,
  type RetryPolicy,
  type RetryThrottle,
  type RetryThrottleOptions,
  retryWith,
} from "./edge/retry.js";
export {
  type ConnectRetryInterceptor,
  type ConnectRetryRequest,
  type ConnectRetryResponse,
  type NiceGrpcRetryCall,
  type NiceGrpcRetryCallOptions,
  type NiceGrpcRetryMiddleware,
  policyOf,
  type RetryCatalogue,
  retryInterceptorWith,
  retryMiddlewareWith,
  type TransportRetryOptions,
} from "./edge/retry-transport.js";
// Functions and processes run in the sandbox.
export {
  AsyncFunctionError,
  FunctionError,
  FunctionSerializationError,
  type FunctionSerializationErrorOptions,
} from "./functions/errors.js";
export { assertSerializable, assertSyncFunction, MAX_SERIALIZABLE_DEPTH } from "./functions/functions.js";
export {
  formatCommand,
  type ParsedException,
  type ProcessResult,
  parseExceptionFromStderr,
} from "./functions/process.js";
// The default preset: the CoreWeave sandbox service.
export {
  cwsandbox,
  cwsandboxSpec,
  fromGrpcStatus,
  fromResponse,
  isNotFound,
  type MappingContext,
  type MappingScope,
  niceGrpcErrorMiddleware,
  withErrorMapping,
} from "./presets/cwsandbox/catalogue.js";
export {
  AuthenticationError,
  ClientClosedError,
  DiscoveryError,
  DiscoveryValidationError,
  PermissionDeniedError,
  ProfileNotFoundError,
  type ProfileNotFoundErrorOptions,
  RequestSizeError,
  RunnerNotFoundError,
  type RunnerNotFoundErrorOptions,
  SandboxCommandTimeoutError,
  SandboxError,
  SandboxExecutionError,
  type SandboxExecutionErrorOptions,
  SandboxFailedError,
  SandboxFileError,
  type SandboxFileErrorOptions,
  SandboxNotFoundError,
  type SandboxNotFoundErrorOptions,
  SandboxNotRunningError,
  SandboxRequestTimeoutError,
  SandboxResourceExhaustedError,
  SandboxSnapshotError,
  SandboxStreamBackpressureError,
  SandboxStreamTruncatedError,
  SandboxTerminalStateUnavailableError,
  SandboxTerminatedError,
  SandboxTimeoutError,
  SandboxUnavailableError,
  SandboxValidationError,
  SnapshotBackendThrottledError,
  SnapshotBucketMismatchError,
  type SnapshotErrorOptions,
  SnapshotNotFoundError,
  SnapshotNotReadyError,
  SnapshotNotSupportedError,
  SnapshotOnStopConflictError,
  SnapshotQuotaExceededError,
  SnapshotSizeExceededError,
  SnapshotWaitTimeoutError,
  type StreamErrorOptions,
  streamError,
  ValidationError,
  type ValidationErrorOptions,
} from "./presets/cwsandbox/errors.js";
export { ERROR_DOMAIN, Reason, StreamCode } from "./presets/cwsandbox/reasons.js";
export {
  CWSANDBOX_RETRY_POLICY,
  retry,
  retryInterceptor,
  retryMiddleware,
} from "./presets/cwsandbox/retry.js";
export { isRetryable } from "./presets/cwsandbox/retry-policy.js";

// The wire: statuses and their details, in bytes and in JSON.
export type { ResponseReadOptions } from "./roads/response.js";
export { GrpcCode } from "./wire/codes.js";
export type {
  BadRequestDetail,
  BadRequestFieldViolation,
  DebugInfoDetail,
  DetailOf,
  ErrorInfoDetail,
  HelpDetail,
  HelpLink,
  KnownDetailType,
  LocalizedMessageDetail,
  LocalizedText,
  PreconditionFailureDetail,
  PreconditionViolation,
  QuotaFailureDetail,
  QuotaViolation,
  RequestInfoDetail,
  ResourceInfoDetail,
  RetryInfoDetail,
  StatusDetail,
  UnknownDetail,
} from "./wire/details.js";
export {
  type FieldViolation,
  MAX_DETAILS,
  type ParsedStatus,
  parseStatusDetails,
  STATUS_DETAILS_KEY,
  type StatusDetailsInput,
  type StatusDetailsValue,
} from "./wire/status-details.js";
export { parseStatusJson } from "./wire/status-json.js";

/** The context of {@link fromResponse}: the mapping's, and how much of the body to read, until when. */
export type FetchMappingContext = import("./catalogue/define.js").ResponseContext<
  import("./presets/cwsandbox/catalogue.js").MappingContext
>;
