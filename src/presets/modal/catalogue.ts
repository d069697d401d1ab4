/**
 * Modal's mapping (SPEC §17), written with the same public `defineCatalogue` an SDK author uses:
 * exactly Modal's `_STATUS_TO_EXCEPTION` (`modal/_grpc_client.py`), one code to one class, the
 * server's message shown bare, as Modal shows it.
 */
import {
  type CatalogueFailure,
  type CatalogueSpec,
  defineCatalogue,
  defineMapping,
} from "sandbox-sdk-errors";
import {
  AlreadyExistsError,
  AuthError,
  ConflictError,
  DataLossError,
  InternalError,
  InvalidError,
  ModalError,
  NotFoundError,
  PermissionDeniedError,
  RequestSizeError,
  ResourceExhaustedError,
  ServiceError,
  UnimplementedError,
} from "./errors.js";

/** grpc-js's words for a message over its size limit (`Received message larger than max (N vs. M)`). */
const TOO_LARGE = /larger than max|decompresses to a size larger than/;

/** The transport's message says a message was over a size limit. */
const tooLarge = (failure: CatalogueFailure): boolean => TOO_LARGE.test(failure.message);

/**
 * Modal's catalogue spec: its code table, row for row. Extend it for an SDK's own rules
 * (`defineCatalogue({ ...modalSpec, codes: { ...modalSpec.codes, ... } })`).
 */
export const modalSpec: CatalogueSpec<ModalError> = {
  name: "modal",
  root: ModalError,
  codes: {
    CANCELLED: ServiceError,
    UNKNOWN: ServiceError,
    INVALID_ARGUMENT: InvalidError,
    DEADLINE_EXCEEDED: ServiceError,
    NOT_FOUND: NotFoundError,
    ALREADY_EXISTS: AlreadyExistsError,
    PERMISSION_DENIED: PermissionDeniedError,
    RESOURCE_EXHAUSTED: [{ when: tooLarge, then: RequestSizeError }, ResourceExhaustedError],
    FAILED_PRECONDITION: ConflictError,
    ABORTED: ConflictError,
    OUT_OF_RANGE: InvalidError,
    UNIMPLEMENTED: UnimplementedError,
    INTERNAL: InternalError,
    UNAVAILABLE: ServiceError,
    DATA_LOSS: DataLossError,
    UNAUTHENTICATED: AuthError,
  },
};

/** Modal's mapping alone: what `fromGrpcStatus` and `isRetryable` of this entry map with. */
export const MODAL = /* @__PURE__ */ defineMapping(modalSpec);

/**
 * Modal's preset as a catalogue (`modal.fromGrpcStatus`, `.fromResponse`, ...): for the `catalogue`
 * option of `retryInterceptor` and `retryMiddleware`, and for code that takes a catalogue. The same
 * functions are exported by name.
 */
export const modal = /* @__PURE__ */ defineCatalogue(MODAL);
