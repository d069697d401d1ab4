/**
 * OpenTelemetry for this package's errors: the attributes that describe one, and a helper that
 * marks a span as failed with them. Nothing here imports `@opentelemetry/api`: a span is any object
 * with its three methods, so the package adds no run-time dependency and works with whatever copy
 * of the API the application uses.
 */

import { brandOfValue } from "../core/brands.js";
import { isSandboxSdkError } from "../core/error.js";
import { read } from "../roads/failure.js";
import { GRPC_CODE_NAMES } from "../wire/codes.js";

/**
 * The attributes {@link otelAttributes} gives, frozen. Keys follow the OpenTelemetry semantic
 * conventions where one exists (`error.type`, `rpc.*`) and live under `sandbox.` otherwise. A key
 * is absent when the error has no such field. Assignable to the API's `Attributes`.
 */
export type ErrorAttributes = {
  /**
   * A low-cardinality name for the failure, for grouping: the canonical gRPC code name (such as
   * `NOT_FOUND`) when the error carries one, else the class name (`SandboxTerminatedError`); for a
   * value that is not an error of this package, its `name` (`TypeError`), or `_OTHER`.
   */
  readonly "error.type": string;
  /** The canonical gRPC code name, such as `UNAVAILABLE`, when `grpcCode` is one of the 17. */
  readonly "rpc.response.status_code"?: string;
  /** The gRPC code as a number from 0 to 16, when `grpcCode` is one of the 17. */
  readonly "rpc.grpc.status_code"?: number;
  /**
   * The error's class, such as `SandboxNotFoundError`; qualified by its preset for every preset but
   * the default one (`modal.NotFoundError`), so two presets' same-named classes stay apart.
   */
  readonly "sandbox.error.class"?: string;
  /** `ErrorInfo.reason`, such as `CWSANDBOX_SANDBOX_NOT_FOUND`. */
  readonly "sandbox.error.reason"?: string;
  /** `ErrorInfo.domain`, such as `cwsandbox.com`. */
  readonly "sandbox.error.domain"?: string;
  /** Whether retrying the call may succeed: the error's `retryable`. */
  readonly "sandbox.error.retryable"?: boolean;
  /** The server's `RetryInfo` delay, in milliseconds, as sent. */
  readonly "sandbox.error.retry_delay_ms"?: number;
  /** `RequestInfo.request_id`: the key to the server's own logs. */
  readonly "sandbox.request_id"?: string;
  /** What the SDK was doing: the error's `operation`. */
  readonly "sandbox.operation"?: string;
  /** The sandbox concerned: the error's `sandboxId`. */
  readonly "sandbox.id"?: string;
  /**
   * One entry of `ErrorInfo.metadata`, only with `includeMetadata`: at most
   * {@link MAX_METADATA_ATTRIBUTES} of them (the first keys, in order), each value cut at
   * {@link MAX_METADATA_VALUE_LENGTH} characters.
   */
  readonly [metadataKey: `sandbox.error.metadata.${string}`]: string;
};

/** Options of {@link otelAttributes} and {@link recordError}. */
export interface OtelAttributesOptions {
  /**
   * Adds `sandbox.error.metadata.<key>` for each entry of `ErrorInfo.metadata`. Off by default:
   * metadata may hold what should not leave the process (resource names, user input), and
   * telemetry usually does leave it.
   */
  includeMetadata?: boolean | undefined;
}

/**
 * The three methods of an OpenTelemetry `Span` that {@link recordError} calls. A span of
 * `@opentelemetry/api` (any 1.x version) fits, and so does any object that has them.
 */
export interface SpanLike {
  /** `Span.setAttributes`. */
  setAttributes(attributes: ErrorAttributes): unknown;
  /** `Span.setStatus`; `code` 2 is `SpanStatusCode.ERROR`. */
  setStatus(status: { code: number; message?: string }): unknown;
  /** `Span.recordException`: adds the `exception` event. */
  recordException(exception: unknown): unknown;
}

/**
 * The most `sandbox.error.metadata.*` attributes one error gives: a server may send thousands of
 * metadata entries, and an OpenTelemetry SDK keeps 128 attributes a span by default.
 */
export const MAX_METADATA_ATTRIBUTES = 64;
/** The longest metadata value an attribute carries, in characters; longer ones are cut. */
export const MAX_METADATA_VALUE_LENGTH = 1024;

/** `SpanStatusCode.ERROR` of `@opentelemetry/api`, a stable part of the OpenTelemetry spec. */
const SPAN_STATUS_ERROR = 2;
/** The semantic conventions' value of `error.type` when nothing better is known. */
const OTHER = "_OTHER";

/**
 * The OpenTelemetry attributes that describe `error`, as a frozen record: `error.type`, the gRPC
 * code (`rpc.response.status_code`, `rpc.grpc.status_code`) and the `sandbox.*` fields that are set
 * (class, reason, domain, retryable, retry delay, request id; metadata with `includeMetadata`).
 * Errors of any copy of this package are recognised; any other value gives only `error.type`.
 *
 * Never throws, whatever it is given (a revoked proxy, a getter that throws): a field it cannot
 * read is left out.
 *
 * @example
 * ```ts
 * span.setAttributes(otelAttributes(error));
 * metrics.failures.add(1, { "error.type": otelAttributes(error)["error.type"] });
 * ```
 */
export function otelAttributes(error: unknown, options?: OtelAttributesOptions): ErrorAttributes {
  const attributes: Record<string, string | number | boolean> = {};
  try {
    if (isSandboxSdkError(error)) describeSdkError(error, attributes, includeMetadata(options));
    else attributes["error.type"] = nameOf(error) ?? OTHER;
  } catch {
    // Each read below is guarded; this is for what a hostile value might still find.
  }
  attributes["error.type"] ??= OTHER;
  return Object.freeze(attributes) as ErrorAttributes;
}

/**
 * Marks `span` as failed by `error`: sets {@link otelAttributes}, the status
 * `{ code: 2 (ERROR), message }` and records the exception (the `exception` event). Call it in the
 * `catch` of a traced call, before `span.end()`.
 *
 * Never throws, even if a span method does: telemetry must not turn one failure into another. A
 * value the span cannot record as an exception is recorded as its `error.type`.
 *
 * @example
 * ```ts
 * tracer.startActiveSpan("sandbox.exec", async (span) => {
 *   try {
 *     return await exec(command);
 *   } catch (error) {
 *     recordError(span, error);
 *     throw error;
 *   } finally {
 *     span.end();
 *   }
 * });
 * ```
 */
export function recordError(span: SpanLike, error: unknown, options?: OtelAttributesOptions): void {
  const attributes = otelAttributes(error, options);
  attempt(() => span.setAttributes(attributes));
  const message = messageOf(error);
  attempt(() =>
    span.setStatus(
      message === undefined ? { code: SPAN_STATUS_ERROR } : { code: SPAN_STATUS_ERROR, message },
    ),
  );
  const recorded = attempt(() => span.recordException(exceptionOf(error)));
  // The SDK reads `code`, `name`, `message` and `stack` of what it records; if one of them threw,
  // record the one thing known to be readable.
  if (!recorded) attempt(() => span.recordException(attributes["error.type"]));
}

function describeSdkError(
  error: object,
  attributes: Record<string, string | number | boolean>,
  withMetadata: boolean,
): void {
  const field = (name: string): unknown => read(error, name);
  const className = qualifiedName(error, nonEmptyString(field("name")));
  const code = field("grpcCode");
  if (typeof code === "number" && Number.isInteger(code) && code >= 0 && code < GRPC_CODE_NAMES.length) {
    const codeName = GRPC_CODE_NAMES[code] as string;
    attributes["error.type"] = codeName;
    attributes["rpc.response.status_code"] = codeName;
    attributes["rpc.grpc.status_code"] = code;
  } else {
    attributes["error.type"] = className ?? OTHER;
  }
  if (className !== undefined) attributes["sandbox.error.class"] = className;
  const reason = field("reason");
  if (typeof reason === "string") attributes["sandbox.error.reason"] = reason;
  const domain = field("domain");
  if (typeof domain === "string") attributes["sandbox.error.domain"] = domain;
  attributes["sandbox.error.retryable"] = field("retryable") === true;
  const retryDelay = field("retryDelay");
  if (typeof retryDelay === "number" && Number.isFinite(retryDelay)) {
    attributes["sandbox.error.retry_delay_ms"] = retryDelay;
  }
  const requestId = field("requestId");
  if (typeof requestId === "string") attributes["sandbox.request_id"] = requestId;
  const operation = field("operation");
  if (typeof operation === "string") attributes["sandbox.operation"] = operation;
  const sandboxId = field("sandboxId");
  if (typeof sandboxId === "string") attributes["sandbox.id"] = sandboxId;
  if (withMetadata) addMetadata(field("metadata"), attributes);
}

function addMetadata(metadata: unknown, attributes: Record<string, string | number | boolean>): void {
  if (typeof metadata !== "object" || metadata === null) return;
  let keys: string[];
  try {
    keys = Object.keys(metadata);
  } catch {
    return;
  }
  let added = 0;
  for (const key of keys) {
    if (added === MAX_METADATA_ATTRIBUTES) break;
    const value = read(metadata, key);
    if (typeof value !== "string") continue;
    attributes[`sandbox.error.metadata.${key}`] =
      value.length > MAX_METADATA_VALUE_LENGTH ? value.slice(0, MAX_METADATA_VALUE_LENGTH) : value;
    added++;
  }
}

/**
 * The class name qualified by its preset: the class's brand when it is the class's own (its name
 * and the brand's last part agree), else its name (a class of an SDK's own catalogue).
 */
function qualifiedName(error: object, name: string | undefined): string | undefined {
  const brand = brandOfValue(error);
  if (brand === undefined || name === undefined) return name;
  return brand === name || brand.endsWith(`.${name}`) ? brand : name;
}

function includeMetadata(options: OtelAttributesOptions | undefined): boolean {
  return read(options, "includeMetadata") === true;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function nameOf(value: unknown): string | undefined {
  return nonEmptyString(read(value, "name"));
}

/** The status message: an error's `message`, or a thrown string itself. */
function messageOf(error: unknown): string | undefined {
  if (typeof error === "string") return error;
  const message = read(error, "message");
  return typeof message === "string" ? message : undefined;
}

/**
 * What to hand to `recordException`: objects and strings as they are; other primitives as text,
 * since the SDK records nothing for a value without `name`, `message` or `code`.
 */
function exceptionOf(error: unknown): unknown {
  if ((typeof error === "object" && error !== null) || typeof error === "function") return error;
  return typeof error === "string" ? error : String(error);
}

/** Runs `action`; true when it returned, false when it threw. */
function attempt(action: () => unknown): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}
