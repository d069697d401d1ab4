/**
 * The default preset's retry policy without its classes: whether a raw transport error is worth
 * another call, read straight from the failure (SPEC §6), so that `isRetryable` and `retry` stay out
 * of the catalogue and its 39 classes in a bundle. It must answer exactly as
 * `fromGrpcStatus(error).retryable` does; a test walks every reason, code and message class to prove
 * it.
 */

import { retryableOf } from "../../catalogue/define.js";
import { isSandboxSdkError } from "../../core/error.js";
import { type Failure, messageOf, readFailure, retryDelayOf } from "../../roads/failure.js";
import { GrpcCode } from "../../wire/codes.js";
import { ERROR_DOMAIN, SANDBOX_SCOPE_REASONS, saysTooLarge, TRANSIENT_REASONS } from "./reasons.js";

const DECODE = { withMessage: false } as const;

/** Whether the default preset (scope `sandbox`, default context) maps `failure` to a retryable class. */
function retryableFailure(failure: Failure): boolean {
  // The caller's own abort is never retried.
  if (failure.kind === "abort") return false;
  const status = failure.status;
  const reason = status?.reason;
  if (reason !== undefined && status?.domain === ERROR_DOMAIN) {
    if ((TRANSIENT_REASONS as readonly string[]).includes(reason)) return true;
    if ((SANDBOX_SCOPE_REASONS as readonly string[]).includes(reason)) return false;
  }
  switch (failure.code) {
    case GrpcCode.UNAVAILABLE:
    case GrpcCode.DEADLINE_EXCEEDED:
      return true;
    case GrpcCode.RESOURCE_EXHAUSTED:
      return !saysTooLarge(messageOf(failure));
    default:
      return false;
  }
}

/**
 * Whether retrying the call that raised `error` may succeed. For an error of this package (any
 * copy, any preset), its class's declaration, `error.retryable`: true for `SandboxUnavailableError`
 * (subclasses included), `SandboxRequestTimeoutError` and `SandboxResourceExhaustedError` except
 * `RequestSizeError`; false for everything else, whatever its `retryDelay`. For anything else — a raw
 * transport error — what `fromGrpcStatus(error).retryable` would say, so `retry(() => rawCall())`
 * retries a raw UNAVAILABLE and a network failure, never the caller's abort.
 */
export function isRetryable(error: unknown): boolean {
  if (isSandboxSdkError(error)) return retryableOf(error);
  return retryableFailure(readFailure(error, DECODE));
}

/** What a retry loop needs of an error: whether to retry it, and the delay the server asked for. */
export function judgeRetry(error: unknown): {
  readonly retryable: boolean;
  readonly retryDelay: number | undefined;
} {
  if (isSandboxSdkError(error)) {
    let retryDelay: unknown;
    try {
      retryDelay = error.retryDelay;
    } catch {
      retryDelay = undefined;
    }
    return {
      retryable: retryableOf(error),
      retryDelay: typeof retryDelay === "number" ? retryDelay : undefined,
    };
  }
  const failure = readFailure(error, DECODE);
  let retryDelay = retryDelayOf(failure);
  if (retryDelay === undefined && typeof error === "object" && error !== null) {
    // Another library's error that carries a hint of its own, as this package's errors do.
    try {
      const own: unknown = (error as { retryDelay?: unknown }).retryDelay;
      if (typeof own === "number") retryDelay = own;
    } catch {
      // A throwing getter: no hint.
    }
  }
  return { retryable: retryableFailure(failure), retryDelay };
}
