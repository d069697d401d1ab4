/**
 * The class table of sandbox-sdk-errors and `fromGrpcStatus()`, which maps a transport failure onto
 * it. Mapping rules are data (`reason → class`, `code → class`) walked by a few lines of code, so this
 * file reads like the contract's tables.
 */
import { ERROR_DOMAIN, GRPC_CODE_NAMES, GrpcCode, Reason, StreamCode, toGrpcCode } from "./codes.js";
import { formatCommand, parseExceptionFromStderr } from "./process.js";
import {
  type FieldViolation,
  type ParsedStatus,
  parseTrailer,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "./status-details.js";

// ---------------------------------------------------------------------------------------------
// Brands: instanceof that works across copies of this package
// ---------------------------------------------------------------------------------------------

/**
 * Each class's prototype carries the list of brands (class names) it answers to: its own, its
 * ancestors', and any extra parent (the two validation classes are also `ValidationError`). The key
 * is a registered symbol, so copies of this package loaded side by side (the ESM and CJS builds, or
 * two versions) read each other's brands; brands are names, so two versions agree on every class
 * they share.
 */
const BRANDS = Symbol.for("sandbox-sdk-errors.brands");
/** The brand a class itself tests for, as a static own property. */
const BRAND = Symbol.for("sandbox-sdk-errors.brand");
/** The class's own fields beyond the common ones, with their defaults, as a prototype property. */
const FIELDS = Symbol.for("sandbox-sdk-errors.fields");

/**
 * True only while `fromGrpcStatus` constructs an error: the `metadata` and `details` it passes come
 * fresh and frozen from the decoder and belong to the new error alone, so the constructor takes
 * them without a copy. (Construction is synchronous, so a module-level flag cannot leak.)
 */
let adoptDecoded = false;

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_METADATA: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

type FieldDefaults = Readonly<Record<string, unknown>>;

/** Every class by name, for `fromJSON`. */
const CLASSES = new Map<string, ErrorClass>();

/**
 * Registers a class: its literal `name` (on the prototype, like `Error.prototype.name`, so it is
 * there before any constructor body runs and survives minifiers), its brands and its own fields.
 */
function defineErrorClass(
  cls: abstract new (...args: never[]) => SandboxSdkError,
  name: string,
  fields: FieldDefaults = {},
  alsoInstanceOf?: abstract new (...args: never[]) => SandboxSdkError,
): void {
  const prototype = cls.prototype as unknown as Record<symbol | string, unknown>;
  const parent = Object.getPrototypeOf(prototype) as Record<symbol, unknown>;
  const parentBrands = (parent[BRANDS] as readonly string[] | undefined) ?? [];
  const extraBrands = alsoInstanceOf === undefined ? [] : (alsoInstanceOf.prototype as never)[BRANDS];
  const parentFields = (parent[FIELDS] as readonly (readonly [string, unknown])[] | undefined) ?? [];
  Object.defineProperty(prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(prototype, BRANDS, {
    value: Object.freeze([...new Set([name, ...parentBrands, ...extraBrands])]),
  });
  Object.defineProperty(prototype, FIELDS, {
    value: Object.freeze([...parentFields, ...Object.entries(fields)]),
  });
  Object.defineProperty(cls, BRAND, { value: name });
  CLASSES.set(name, cls as unknown as ErrorClass);
}

/**
 * Whether `value` carries `brand`. Never throws: a proxy, a hostile getter, or a brand list that is
 * itself a proxy whose traps throw all read as "no".
 */
function hasBrand(value: unknown, brand: string): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  try {
    const carried = (value as Record<symbol, unknown>)[BRANDS];
    return Array.isArray(carried) && carried.includes(brand);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The root
// ---------------------------------------------------------------------------------------------

/** Options every error class accepts: the common fields, and the ES2022 `cause`. */
export interface SandboxSdkErrorOptions extends ErrorOptions {
  /** `ErrorInfo.reason`, whatever its domain. */
  reason?: string | undefined;
  /** `ErrorInfo.domain`. */
  domain?: string | undefined;
  /** `ErrorInfo.metadata`; copied into a frozen null-prototype object. */
  metadata?: Readonly<Record<string, string>> | undefined;
  /** `RetryInfo.retry_delay`, in milliseconds. */
  retryDelay?: number | undefined;
  /** The transport's gRPC status code. */
  grpcCode?: number | undefined;
  /** Every decoded detail of the status. */
  details?: readonly StatusDetail[] | undefined;
  /** `RequestInfo.request_id`. */
  requestId?: string | undefined;
}

type ErrorClass = new (message: string, options?: SandboxSdkErrorOptions) => SandboxSdkError;

/** Copies caller-supplied metadata into a frozen null-prototype object of strings. */
function ownMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  if (metadata === undefined || metadata === null) return EMPTY_METADATA;
  const copy: Record<string, string> = Object.create(null);
  let empty = true;
  for (const key of Object.keys(metadata)) {
    const value: unknown = metadata[key];
    if (typeof value === "string") copy[key] = value;
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
      copy[key] = String(value);
    } else continue;
    empty = false;
  }
  return empty ? EMPTY_METADATA : Object.freeze(copy);
}

/**
 * The root of every error this package makes. Catch it to catch them all.
 *
 * `instanceof` works across copies of this package (ESM and CJS builds, two installed versions): it
 * compares brands (class names), not prototype identity. `SandboxSdkError.isInstance(x)` and
 * {@link isSandboxSdkError} give the same answers as type guards.
 */
export class SandboxSdkError extends Error {
  static {
    defineErrorClass(this, "SandboxSdkError");
  }

  /**
   * `ErrorInfo.reason` of the status, whatever its domain (check {@link domain} before trusting it),
   * e.g. `Reason.SANDBOX_NOT_FOUND`. For unknown in-band stream codes, that code.
   */
  declare readonly reason: string | undefined;
  /** `ErrorInfo.domain` of the status, as sent (`"cwsandbox.com"` for the sandbox service). */
  declare readonly domain: string | undefined;
  /** `ErrorInfo.metadata`: a frozen null-prototype copy; `{}` when the status had none. */
  declare readonly metadata: Readonly<Record<string, string>>;
  /**
   * How long the server asked the client to wait before retrying (`RetryInfo.retry_delay`), in
   * **milliseconds**, kept as sent (0 and negative included); `undefined` when absent or invalid.
   * A hint alone never makes an error retryable: see {@link retryable}.
   */
  declare readonly retryDelay: number | undefined;
  /** The transport's gRPC status code (see `GrpcCode`); `undefined` for errors raised on the client. */
  declare readonly grpcCode: number | undefined;
  /** Every detail of the status, decoded, in the order sent. */
  declare readonly details: readonly StatusDetail[];
  /** `RequestInfo.request_id`: quote it in support tickets. */
  declare readonly requestId: string | undefined;

  /**
   * @param message - A sentence a person can act on.
   * @param options - Any common field, the class's own fields, and `cause`.
   */
  constructor(message: string, options?: SandboxSdkErrorOptions) {
    super(message, options);
    const decoded = adoptDecoded;
    adoptDecoded = false;
    const given = (options ?? {}) as SandboxSdkErrorOptions & Record<string, unknown>;
    this.reason = given.reason;
    this.domain = given.domain;
    this.metadata = decoded ? (given.metadata ?? EMPTY_METADATA) : ownMetadata(given.metadata);
    this.retryDelay = given.retryDelay;
    this.grpcCode = given.grpcCode;
    if (given.details === undefined) this.details = EMPTY_LIST;
    else this.details = decoded ? given.details : Object.freeze([...given.details]);
    this.requestId = given.requestId;
    // The class's own fields (sandboxId, filepath, ...), declared in each subclass with `declare`
    // so that class-field semantics do not reset them after this constructor has run.
    const fields = (this as unknown as Record<symbol, readonly (readonly [string, unknown])[]>)[FIELDS];
    if (fields !== undefined) {
      const self = this as unknown as Record<string, unknown>;
      for (let i = 0; i < fields.length; i++) {
        const [field, fallback] = fields[i] as readonly [string, unknown];
        const value = given[field];
        self[field] = value === undefined ? fallback : value;
      }
    }
  }

  /**
   * Whether retrying the same call may succeed: true for `SandboxUnavailableError` (and its
   * subclasses), `SandboxRequestTimeoutError` and `SandboxResourceExhaustedError` other than
   * `RequestSizeError`. The same answer as `isRetryable(this)`.
   */
  get retryable(): boolean {
    return isRetryable(this);
  }

  /**
   * A plain object for logs and for crossing worker or process boundaries: `name`, `message`,
   * `retryable`, every public field that is not undefined (metadata and details included; bytes
   * as base64 strings), `stack`, and `cause` — an error of this package serialised the same way,
   * anything else as `{ name, message, code? }`. `JSON.stringify(error)` calls it.
   */
  toJSON(): SerializedError {
    return serialize(this, 0);
  }

  /**
   * Rebuilds an error from {@link toJSON}'s output (or its JSON text): an instance of the class its
   * `name` names, with the same fields and stack; a name this version does not know gives a
   * `SandboxSdkError`. Fields of the wrong type are left out. Throws a `TypeError` when `json` is
   * not an object (or JSON text of one).
   */
  static fromJSON(json: SerializedError | string): SandboxSdkError {
    return revive(typeof json === "string" ? JSON.parse(json) : json, 0);
  }

  /** What `util.inspect` (and so `console.log`) shows: the stack, then the fields that are set. */
  [Symbol.for("nodejs.util.inspect.custom")](
    depth: number,
    options: { depth?: number | null },
    inspect?: (value: unknown, options?: object) => string,
  ): string {
    const head = this.stack ?? `${this.name}: ${this.message}`;
    if (depth < 0) return `[${this.name}: ${this.message}]`;
    const shown: Record<string, unknown> = {};
    for (const [field, value] of publicFields(this)) {
      const empty =
        (Array.isArray(value) && value.length === 0) || (field === "metadata" && isEmptyObject(value));
      if (value !== undefined && !empty) shown[field] = value;
    }
    if ("cause" in this) shown.cause = this.cause;
    if (Object.keys(shown).length === 0) return head;
    if (inspect === undefined) return `${head} ${JSON.stringify(shown)}`;
    const nested = { ...options, depth: options.depth == null ? options.depth : options.depth - 1 };
    return `${head} ${inspect(shown, nested)}`;
  }

  /**
   * True for instances of this class and its subclasses, including those made by another copy of
   * this package. The same answer as `instanceof`, as a type guard:
   * `if (SandboxNotFoundError.isInstance(err)) err.sandboxId`.
   */
  static isInstance<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return (this as unknown as typeof SandboxSdkError)[Symbol.hasInstance](value);
  }

  /**
   * Brand-based `instanceof` (see the class comment). A subclass declared outside this package
   * (without a brand of its own) gets ordinary prototype-chain `instanceof`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!Object.hasOwn(this, BRAND)) return Function.prototype[Symbol.hasInstance].call(this, value);
    return hasBrand(value, (this as unknown as Record<symbol, string>)[BRAND] as string);
  }
}

/** True for any error of this package, including one made by another copy of it. */
export function isSandboxSdkError(value: unknown): value is SandboxSdkError {
  return hasBrand(value, "SandboxSdkError");
}

/** How much of stderr a message quotes. */
const MESSAGE_STDERR_LIMIT = 8 * 1024;

/** The end of `text`, marked with an ellipsis when cut: a message stays readable in a log. */
function tail(text: string): string {
  return text.length <= MESSAGE_STDERR_LIMIT ? text : `…${text.slice(-MESSAGE_STDERR_LIMIT)}`;
}

// ---------------------------------------------------------------------------------------------
// Serialisation
// ---------------------------------------------------------------------------------------------

/** A `StatusDetail` in JSON: an unknown detail's bytes as a base64 string. */
export type SerializedStatusDetail =
  | Exclude<StatusDetail, { type: "Unknown" }>
  | { readonly type: "Unknown"; readonly typeUrl: string; readonly value: string };

/** A cause that is not an error of this package, as `toJSON` writes it. */
export interface SerializedCause {
  name: string;
  message: string;
  code?: string | number;
}

/** The output of `SandboxSdkError.prototype.toJSON`. */
export interface SerializedError {
  name: string;
  message: string;
  retryable?: boolean;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  retryDelay?: number;
  grpcCode?: number;
  details?: SerializedStatusDetail[];
  requestId?: string;
  stack?: string;
  cause?: SerializedError | SerializedCause;
  /** The class's own fields (`sandboxId`, `filepath`, `fieldViolations`, ...). */
  [field: string]: unknown;
}

const COMMON_FIELDS = [
  "reason",
  "domain",
  "metadata",
  "retryDelay",
  "grpcCode",
  "details",
  "requestId",
] as const;
/** How deep causes that are errors of this package are followed. */
const MAX_CAUSE_DEPTH = 8;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

/** The common fields, then the class's own, with their values. */
function publicFields(error: SandboxSdkError): [string, unknown][] {
  const self = error as unknown as Record<string | symbol, unknown>;
  const own = (self[FIELDS] as readonly (readonly [string, unknown])[] | undefined) ?? [];
  return [...COMMON_FIELDS, ...own.map(([field]) => field)].map((field) => [field, self[field]]);
}

const toBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
const fromBase64 = (text: unknown): Uint8Array | undefined =>
  typeof text === "string" ? new Uint8Array(Buffer.from(text, "base64")) : undefined;

/** Converts bytes to base64 and null-prototype maps to plain objects, deeply. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBase64(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (!isObject(value)) return value;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty: a key such as "__proto__" stays data.
    Object.defineProperty(plain, key, {
      value: toJsonValue(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return plain;
}

function serializeCause(cause: unknown, depth: number): SerializedError | SerializedCause {
  // An error of this package (from any copy) is serialised in full, to a bounded depth.
  if (isSandboxSdkError(cause) && depth < MAX_CAUSE_DEPTH) return serialize(cause, depth + 1);
  let name = "Error";
  let message: string;
  let code: unknown;
  try {
    if (isObject(cause)) {
      if (typeof cause.name === "string") name = cause.name;
      message = typeof cause.message === "string" ? cause.message : String(cause);
      code = cause.code;
    } else {
      message = String(cause);
    }
  } catch {
    message = "[unreadable cause]";
  }
  const result: SerializedCause = { name, message };
  if (typeof code === "string" || typeof code === "number") result.code = code;
  return result;
}

function serialize(error: SandboxSdkError, depth: number): SerializedError {
  const json: SerializedError = { name: error.name, message: error.message, retryable: isRetryable(error) };
  for (const [field, value] of publicFields(error)) {
    if (value !== undefined) json[field] = toJsonValue(value);
  }
  if (error.stack !== undefined) json.stack = error.stack;
  if ("cause" in error) json.cause = serializeCause(error.cause, depth);
  return json;
}

function reviveDetail(detail: unknown): StatusDetail | undefined {
  if (!isObject(detail) || typeof detail.type !== "string") return undefined;
  if (detail.type !== "Unknown") return detail as unknown as StatusDetail;
  const value = fromBase64(detail.value);
  if (value === undefined || typeof detail.typeUrl !== "string") return undefined;
  return { type: "Unknown", typeUrl: detail.typeUrl, value };
}

function reviveExecResult(result: unknown): ProcessResult | undefined {
  if (!isObject(result)) return undefined;
  const revived = { ...result } as Record<string, unknown>;
  for (const key of ["stdoutBytes", "stderrBytes"]) {
    if (key in revived) revived[key] = fromBase64(revived[key]);
  }
  return revived as unknown as ProcessResult;
}

/** The types `fromJSON` accepts for each common field; others are left out. */
const FIELD_TYPES: Readonly<Record<(typeof COMMON_FIELDS)[number], string>> = {
  reason: "string",
  domain: "string",
  metadata: "object",
  retryDelay: "number",
  grpcCode: "number",
  details: "object",
  requestId: "string",
};

function reviveCause(cause: unknown, depth: number): unknown {
  if (!isObject(cause)) return cause;
  // An error of this package always has details and metadata in its JSON; a foreign cause never.
  if (Array.isArray(cause.details) && isObject(cause.metadata) && depth < MAX_CAUSE_DEPTH) {
    return revive(cause, depth + 1);
  }
  const error = new Error(typeof cause.message === "string" ? cause.message : "");
  if (typeof cause.name === "string") error.name = cause.name;
  if (typeof cause.code === "string" || typeof cause.code === "number") {
    Object.assign(error, { code: cause.code });
  }
  return error;
}

function revive(json: unknown, depth: number): SandboxSdkError {
  if (!isObject(json))
    throw new TypeError("SandboxSdkError.fromJSON expects an object or the JSON text of one");
  const ErrorType = (typeof json.name === "string" && CLASSES.get(json.name)) || SandboxSdkError;
  const options: Record<string, unknown> = {};
  for (const field of COMMON_FIELDS) {
    if (typeof json[field] === FIELD_TYPES[field] && json[field] !== null) options[field] = json[field];
  }
  if (Array.isArray(options.details)) {
    options.details = options.details.map(reviveDetail).filter((detail) => detail !== undefined);
  } else delete options.details;
  const own =
    (ErrorType.prototype as unknown as Record<symbol, readonly (readonly [string, unknown])[]>)[FIELDS] ?? [];
  for (const [field] of own) {
    if (json[field] !== undefined)
      options[field] = field === "execResult" ? reviveExecResult(json[field]) : json[field];
  }
  if ("cause" in json) options.cause = reviveCause(json.cause, depth);
  const error = new ErrorType(typeof json.message === "string" ? json.message : "", options);
  if (typeof json.stack === "string") {
    Object.defineProperty(error, "stack", { value: json.stack, writable: true, configurable: true });
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// The hierarchy
// ---------------------------------------------------------------------------------------------

/**
 * The caller is not authenticated: gRPC `UNAUTHENTICATED`, in every scope. Never a `SandboxError`.
 * Not retryable: fix the credentials.
 */
export class AuthenticationError extends SandboxSdkError {
  static {
    defineErrorClass(this, "AuthenticationError");
  }
}

/** The caller may not do this: gRPC `PERMISSION_DENIED`, in every scope. Not retryable. */
export class PermissionDeniedError extends AuthenticationError {
  static {
    defineErrorClass(this, "PermissionDeniedError");
  }
}

/** Options of the validation classes. */
export interface ValidationErrorOptions extends SandboxSdkErrorOptions {
  /** Which request fields were invalid, from the status's `BadRequest` details. */
  fieldViolations?: readonly FieldViolation[] | undefined;
}

/**
 * The request was invalid: `INVALID_ARGUMENT` with field violations in scope `general`. The sandbox
 * and discovery scopes raise `SandboxValidationError` and `DiscoveryValidationError`, which are also
 * `instanceof ValidationError`. Not retryable.
 */
export class ValidationError extends SandboxSdkError {
  static {
    defineErrorClass(this, "ValidationError", { fieldViolations: EMPTY_LIST });
  }
  /** Which request fields were invalid, and why (`[]` when none were reported). */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/** The SDK client was used after `close()`. Raised by SDK code, never mapped. Not retryable. */
export class ClientClosedError extends SandboxSdkError {
  static {
    defineErrorClass(this, "ClientClosedError");
  }
}

/** A sandbox operation failed: the base class of scope `sandbox`. */
export class SandboxError extends SandboxSdkError {
  static {
    defineErrorClass(this, "SandboxError");
  }
}

/**
 * A sandbox request was invalid: `INVALID_ARGUMENT` with field violations in scope `sandbox`. Also
 * `instanceof ValidationError`. Not retryable.
 */
export class SandboxValidationError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxValidationError", { fieldViolations: EMPTY_LIST }, ValidationError);
  }
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/**
 * The sandbox is not running: reason `CWSANDBOX_SANDBOX_NOT_RUNNING`, or a `CANCELLED` call (the
 * connection closed). Not retryable as such; its subclass `SandboxUnavailableError` is.
 */
export class SandboxNotRunningError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxNotRunningError");
  }
}

/**
 * The service cannot serve the call right now: gRPC `UNAVAILABLE`, or the reasons
 * `CWSANDBOX_RUNNER_UNAVAILABLE`, `CWSANDBOX_BACKEND_UNAVAILABLE`, `CWSANDBOX_RUNNER_SHARD_RETIRING`.
 * Retryable; honour {@link SandboxSdkError.retryDelay} when the server sent one.
 */
export class SandboxUnavailableError extends SandboxNotRunningError {
  static {
    defineErrorClass(this, "SandboxUnavailableError");
  }
}

/** Options of the classes that name a file-system snapshot. */
export interface SnapshotErrorOptions extends SandboxSdkErrorOptions {
  /** The snapshot's id, from the mapping context. */
  fileSystemSnapshotId?: string | undefined;
}

/**
 * The snapshot backend is throttling: reasons `CWSANDBOX_FSS_BACKEND_THROTTLED`,
 * `CWSANDBOX_FSS_INFLIGHT_LIMIT`, `CWSANDBOX_FSS_BUCKET_PROVISIONING`. Retryable.
 */
export class SnapshotBackendThrottledError extends SandboxUnavailableError {
  static {
    defineErrorClass(this, "SnapshotBackendThrottledError");
  }
}

/** Something timed out: the family of every timeout in the sandbox scope. */
export class SandboxTimeoutError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTimeoutError");
  }
}

/** The call's deadline passed: gRPC `DEADLINE_EXCEEDED` in scope `sandbox`. Retryable. */
export class SandboxRequestTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SandboxRequestTimeoutError");
  }
}

/** A command in the sandbox ran past its timeout: reason `CWSANDBOX_COMMAND_TIMEOUT`. Not retryable. */
export class SandboxCommandTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SandboxCommandTimeoutError");
  }
}

/**
 * A snapshot did not become ready in time: reason `CWSANDBOX_FSS_WAIT_TIMEOUT`. Not retryable as
 * such (wait again if you still need it).
 */
export class SnapshotWaitTimeoutError extends SandboxTimeoutError {
  static {
    defineErrorClass(this, "SnapshotWaitTimeoutError", { fileSystemSnapshotId: undefined });
  }
  /** The snapshot waited for, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/** The sandbox was terminated. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminatedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTerminatedError");
  }
}

/** The sandbox failed. Raised by SDK code, never mapped. Not retryable. */
export class SandboxFailedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxFailedError");
  }
}

/** Options of {@link SandboxNotFoundError}. */
export interface SandboxNotFoundErrorOptions extends SandboxSdkErrorOptions {
  /** The sandbox's id, from the mapping context. */
  sandboxId?: string | undefined;
}

/**
 * The sandbox does not exist (or no longer does): reason `CWSANDBOX_SANDBOX_NOT_FOUND`, or gRPC
 * `NOT_FOUND` in scope `sandbox` without a snapshot id. Not retryable.
 */
export class SandboxNotFoundError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxNotFoundError", { sandboxId: undefined });
  }
  /** The sandbox's id, from the mapping context (never from the server's metadata). */
  declare readonly sandboxId: string | undefined;
  constructor(message: string, options?: SandboxNotFoundErrorOptions) {
    super(message, options);
  }
}

/** What a process run in the sandbox produced. */
export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The command and its arguments. */
  readonly command: readonly string[];
  /** The raw bytes of stdout, when the SDK kept them. */
  readonly stdoutBytes?: Uint8Array;
  /** The raw bytes of stderr, when the SDK kept them. */
  readonly stderrBytes?: Uint8Array;
}

/** Options of {@link SandboxExecutionError} and its subclasses. */
export interface SandboxExecutionErrorOptions extends SandboxSdkErrorOptions {
  /** The failed process's result. */
  execResult?: ProcessResult | undefined;
  /** The exception type reported on stderr, such as `ValueError`. */
  exceptionType?: string | undefined;
  /** The exception message reported on stderr. */
  exceptionMessage?: string | undefined;
}

/**
 * A command or function run in the sandbox failed. Raised by SDK code (see
 * `SandboxExecutionError.fromProcessResult`), and by `streamError()` for unknown stream codes.
 * Not retryable.
 */
export class SandboxExecutionError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxExecutionError", {
      execResult: undefined,
      exceptionType: undefined,
      exceptionMessage: undefined,
    });
  }
  /** The failed process's result, when known. */
  declare readonly execResult: ProcessResult | undefined;
  /** The exception type reported on stderr, such as `ValueError`. */
  declare readonly exceptionType: string | undefined;
  /** The exception message reported on stderr. */
  declare readonly exceptionMessage: string | undefined;
  constructor(message: string, options?: SandboxExecutionErrorOptions) {
    super(message, options);
  }

  /**
   * The error for a process that failed: `Command '<command>' failed with exit code <n>`, or, with
   * a function name, `Function '<name>' execution failed in sandbox: <exception message or stderr>`.
   * The exception type and message come from `parseExceptionFromStderr(result.stderr)`. An empty
   * exception message falls back to stderr; stderr in a message is cut to its last 8 KiB (where a
   * traceback ends), the whole of it staying in `execResult`.
   */
  static fromProcessResult(
    result: ProcessResult,
    options: { functionName?: string } = {},
  ): SandboxExecutionError {
    const { exceptionType, exceptionMessage } = parseExceptionFromStderr(result.stderr);
    const message =
      options.functionName === undefined
        ? `Command '${formatCommand(result.command)}' failed with exit code ${result.exitCode}`
        : `Function '${options.functionName}' execution failed in sandbox: ${exceptionMessage || tail(result.stderr)}`;
    return new SandboxExecutionError(message, { execResult: result, exceptionType, exceptionMessage });
  }
}

/** Options of the in-band stream errors. */
export interface StreamErrorOptions extends SandboxExecutionErrorOptions {
  /** The in-band stream code. */
  streamCode?: string | undefined;
}

/**
 * The exec stream was closed because the client did not keep up (`STREAM_BACKPRESSURE`). Made by
 * `streamError()`; `reason` is always undefined. Not retryable.
 */
export class SandboxStreamBackpressureError extends SandboxExecutionError {
  static {
    defineErrorClass(this, "SandboxStreamBackpressureError", { streamCode: undefined });
  }
  /** Always `StreamCode.STREAM_BACKPRESSURE` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message: string, options?: StreamErrorOptions) {
    super(message, { ...options, reason: undefined });
  }
}

/**
 * The exec stream's output was cut short (`STREAM_TRUNCATED`). Made by `streamError()`; `reason` is
 * always undefined. Not retryable.
 */
export class SandboxStreamTruncatedError extends SandboxExecutionError {
  static {
    defineErrorClass(this, "SandboxStreamTruncatedError", { streamCode: undefined });
  }
  /** Always `StreamCode.STREAM_TRUNCATED` when made by `streamError()`. */
  declare readonly streamCode: string | undefined;
  constructor(message: string, options?: StreamErrorOptions) {
    super(message, { ...options, reason: undefined });
  }
}

/** Options of {@link SandboxFileError}. */
export interface SandboxFileErrorOptions extends SandboxSdkErrorOptions {
  /** The file's path. */
  filepath?: string | undefined;
}

/**
 * A file operation in the sandbox failed: any `CWSANDBOX_FILE_*` reason (not found, is a directory,
 * I/O failed, permission denied, too large, truncated). Check `reason` for which. Not retryable.
 */
export class SandboxFileError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxFileError", { filepath: undefined });
  }
  /** The file's path: from the mapping context, else the server's `metadata.filepath`. */
  declare readonly filepath: string | undefined;
  constructor(message: string, options?: SandboxFileErrorOptions) {
    super(message, options);
  }
}

/**
 * A quota or limit was hit: gRPC `RESOURCE_EXHAUSTED` in scope `sandbox`. Retryable (after the
 * server's `retryDelay`, if any) — except its subclass `RequestSizeError`.
 */
export class SandboxResourceExhaustedError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxResourceExhaustedError");
  }
}

/**
 * A message was over the size limit (`RESOURCE_EXHAUSTED` whose transport message says "larger than
 * max"). **Not retryable**: the same message will be too large again.
 */
export class RequestSizeError extends SandboxResourceExhaustedError {
  static {
    defineErrorClass(this, "RequestSizeError");
  }
}

/** The sandbox's terminal state could not be read. Raised by SDK code, never mapped. Not retryable. */
export class SandboxTerminalStateUnavailableError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxTerminalStateUnavailableError");
  }
}

/**
 * A file-system snapshot operation failed: reasons `CWSANDBOX_FSS_BUCKET_UNAVAILABLE`,
 * `_RESTORE_FAILED`, `_CREATE_FAILED`, `_CREATE_TIMED_OUT`, `_AUTH_FAILED`, `_TRANSPORT_FAILED`,
 * `_CANCELED`; the base of the specific snapshot errors. Not retryable.
 */
export class SandboxSnapshotError extends SandboxError {
  static {
    defineErrorClass(this, "SandboxSnapshotError", { fileSystemSnapshotId: undefined });
  }
  /** The snapshot's id, from the mapping context. */
  declare readonly fileSystemSnapshotId: string | undefined;
  constructor(message: string, options?: SnapshotErrorOptions) {
    super(message, options);
  }
}

/**
 * The snapshot does not exist: reason `CWSANDBOX_FSS_NOT_FOUND`, or gRPC `NOT_FOUND` in scope
 * `sandbox` when the context names a snapshot. Not retryable.
 */
export class SnapshotNotFoundError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotFoundError");
  }
}

/** The snapshot is not ready yet: reason `CWSANDBOX_FSS_NOT_READY`. Not retryable as such. */
export class SnapshotNotReadyError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotReadyError");
  }
}

/** Snapshots are not supported here: reason `CWSANDBOX_FSS_NOT_SUPPORTED`. Not retryable. */
export class SnapshotNotSupportedError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotNotSupportedError");
  }
}

/** The snapshot is over its size limit: reason `CWSANDBOX_FSS_SIZE_EXCEEDED`. Not retryable. */
export class SnapshotSizeExceededError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotSizeExceededError");
  }
}

/** The snapshot quota is used up: reason `CWSANDBOX_FSS_QUOTA_EXCEEDED`. Not retryable. */
export class SnapshotQuotaExceededError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotQuotaExceededError");
  }
}

/** The snapshot lives in another bucket: reason `CWSANDBOX_FSS_BUCKET_MISMATCH`. Not retryable. */
export class SnapshotBucketMismatchError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotBucketMismatchError");
  }
}

/** A snapshot-on-stop conflicts with the request. Raised by SDK code, never mapped. Not retryable. */
export class SnapshotOnStopConflictError extends SandboxSnapshotError {
  static {
    defineErrorClass(this, "SnapshotOnStopConflictError");
  }
}

/** A runner or profile lookup failed: the base class of scope `discovery`. */
export class DiscoveryError extends SandboxSdkError {
  static {
    defineErrorClass(this, "DiscoveryError");
  }
}

/**
 * A discovery request was invalid: `INVALID_ARGUMENT` with field violations in scope `discovery`.
 * Also `instanceof ValidationError`. Not retryable.
 */
export class DiscoveryValidationError extends DiscoveryError {
  static {
    defineErrorClass(this, "DiscoveryValidationError", { fieldViolations: EMPTY_LIST }, ValidationError);
  }
  /** Which request fields were invalid, and why. */
  declare readonly fieldViolations: readonly FieldViolation[];
  constructor(message: string, options?: ValidationErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link RunnerNotFoundError}. */
export interface RunnerNotFoundErrorOptions extends SandboxSdkErrorOptions {
  /** The runner's id, from the mapping context. */
  runnerId?: string | undefined;
}

/**
 * The runner does not exist: gRPC `NOT_FOUND` or reason `CWSANDBOX_RUNNER_NOT_FOUND` in scope
 * `discovery`. Not retryable.
 */
export class RunnerNotFoundError extends DiscoveryError {
  static {
    defineErrorClass(this, "RunnerNotFoundError", { runnerId: undefined });
  }
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message: string, options?: RunnerNotFoundErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link ProfileNotFoundError}. */
export interface ProfileNotFoundErrorOptions extends SandboxSdkErrorOptions {
  /** The profile's name, from the mapping context. */
  profileName?: string | undefined;
  /** The runner's id, from the mapping context. */
  runnerId?: string | undefined;
}

/** The profile does not exist: reason `CWSANDBOX_PROFILE_NOT_FOUND` in scope `discovery`. Not retryable. */
export class ProfileNotFoundError extends DiscoveryError {
  static {
    defineErrorClass(this, "ProfileNotFoundError", { profileName: undefined, runnerId: undefined });
  }
  /** The profile's name, from the mapping context. */
  declare readonly profileName: string | undefined;
  /** The runner's id, from the mapping context. */
  declare readonly runnerId: string | undefined;
  constructor(message: string, options?: ProfileNotFoundErrorOptions) {
    super(message, options);
  }
}

/** A function to run in the sandbox cannot be run. Raised by SDK code, never mapped. */
export class FunctionError extends SandboxSdkError {
  static {
    defineErrorClass(this, "FunctionError");
  }
}

/** An async function was given where a synchronous one is required (`assertSyncFunction`). */
export class AsyncFunctionError extends FunctionError {
  static {
    defineErrorClass(this, "AsyncFunctionError");
  }
}

/** Options of {@link FunctionSerializationError}. */
export interface FunctionSerializationErrorOptions extends SandboxSdkErrorOptions {
  /** Where the value JSON cannot carry sits, e.g. `args[1].callback`. */
  path?: string | undefined;
}

/**
 * A function's arguments (or result) cannot be carried faithfully by JSON (`assertSerializable`).
 * `path` names the first offending value.
 */
export class FunctionSerializationError extends FunctionError {
  static {
    defineErrorClass(this, "FunctionSerializationError", { path: undefined });
  }
  /** Where the offending value sits, e.g. `args[1].callback`. */
  declare readonly path: string | undefined;
  constructor(message: string, options?: FunctionSerializationErrorOptions) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Retryability
// ---------------------------------------------------------------------------------------------

/**
 * Whether retrying the call that raised `error` may succeed. True for `SandboxUnavailableError`
 * (subclasses included), `SandboxRequestTimeoutError` and `SandboxResourceExhaustedError` except
 * `RequestSizeError`; false for everything else — whatever its `retryDelay`, and for raw transport
 * errors (map them with `fromGrpcStatus` first). Works on errors from other copies of this package.
 */
export function isRetryable(error: unknown): boolean {
  return (
    !hasBrand(error, "RequestSizeError") &&
    (hasBrand(error, "SandboxUnavailableError") ||
      hasBrand(error, "SandboxRequestTimeoutError") ||
      hasBrand(error, "SandboxResourceExhaustedError"))
  );
}

// ---------------------------------------------------------------------------------------------
// fromGrpcStatus
// ---------------------------------------------------------------------------------------------

/** Which family of classes a call's failures map to. */
export type MappingScope = "sandbox" | "discovery" | "general";

/** What the SDK knows about the failed call; it fills in messages and fields. */
export interface MappingContext {
  /** `"sandbox"` (default), `"discovery"` (runners, profiles) or `"general"`. */
  scope?: MappingScope | undefined;
  /** The operation in messages, e.g. `"exec"`; default `"operation"`. */
  operation?: string | undefined;
  sandboxId?: string | undefined;
  filepath?: string | undefined;
  fileSystemSnapshotId?: string | undefined;
  runnerId?: string | undefined;
  profileName?: string | undefined;
  /** ErrorInfo domains whose reasons are trusted for mapping; default `[ERROR_DOMAIN]`. */
  trustedDomains?: readonly string[] | undefined;
}

/** What the message templates read. */
interface Facts {
  readonly operation: string;
  /** The transport's details (else its message, else the code's name). */
  readonly details: string;
  /** The transport's `details` exactly as sent, for the field-violation message. */
  readonly rawDetails: string;
  readonly reason: string;
  readonly context: MappingContext;
  readonly fieldViolations: readonly FieldViolation[];
}

type Template = (facts: Facts) => string;

/** A row's class: a class, or the scope's base or validation class. */
type Target = ErrorClass | "base" | "validation";
type Row = readonly [Target, Template];
/** A rule: a fixed row, or one chosen by the facts (NOT_FOUND, RESOURCE_EXHAUSTED). */
type Rule = Row | ((facts: Facts) => Row);

const fileFailed: Template = (f) => `File operation failed (${f.reason}): ${f.details}`;
const sandboxNotFound: Template = (f) =>
  f.context.sandboxId === undefined ? f.details : `Sandbox '${f.context.sandboxId}' not found`;
const notRunning: Template = (f) => `${f.operation} failed: sandbox is not running: ${f.details}`;
const timedOut: Template = (f) => `${f.operation} timed out: ${f.details}`;
const unavailable: Template = (f) => `Service unavailable: ${f.details}`;
const snapshotFailed: Template = (f) => `${f.operation} failed (${f.reason}): ${f.details}`;
const snapshotWaitTimedOut: Template = (f) =>
  `${f.operation} timed out waiting for snapshot ready (${f.reason}): ${f.details}`;
const throttled: Template = (f) => `Snapshot backend throttled (${f.reason}): ${f.details}`;
const snapshotNotFound: Template = (f) =>
  `File-system snapshot '${f.context.fileSystemSnapshotId}' not found`;
const cancelled: Template = (f) =>
  f.context.sandboxId === undefined
    ? `${f.operation} was cancelled`
    : `${f.operation} was cancelled (sandbox ${f.context.sandboxId} connection closed)`;
const exhausted: Template = (f) => `${f.operation} resource exhausted: ${f.details}`;
const authenticationFailed: Template = (f) => `Authentication failed: ${f.details}`;
const permissionDenied: Template = (f) => `Permission denied: ${f.details}`;
const failed: Template = (f) => `${f.operation} failed: ${f.details}`;
const invalid: Template = (f) => {
  const violations = f.fieldViolations
    .map((v) => (v.field && v.description ? `${v.field}: ${v.description}` : v.field || v.description))
    .join("; ");
  const parts = f.rawDetails === "" ? [] : [f.rawDetails];
  parts.push(`field violations: ${violations}`);
  return `${f.operation} failed: ${parts.join("; ")}`;
};
const profileNotFound: Template = (f) =>
  f.context.profileName === undefined
    ? `Profile not found: ${f.details}`
    : `Profile '${f.context.profileName}' not found`;
const runnerNotFound: Template = (f) =>
  f.context.runnerId === undefined
    ? `Runner not found: ${f.details}`
    : `Runner not found: '${f.context.runnerId}'`;

/** A table keyed by reason or code, with no prototype to trip over. */
function table<K extends string | number>(
  rows: Partial<Record<K, Rule>>,
): Readonly<Partial<Record<K, Rule>>> {
  return Object.freeze(Object.assign(Object.create(null), rows));
}

/** Step 1 of scope `sandbox`: trusted reasons. */
const SANDBOX_REASONS = table<string>({
  [Reason.FILE_NOT_FOUND]: [SandboxFileError, fileFailed],
  [Reason.FILE_IS_DIRECTORY]: [SandboxFileError, fileFailed],
  [Reason.FILE_IO_FAILED]: [SandboxFileError, fileFailed],
  [Reason.FILE_PERMISSION_DENIED]: [SandboxFileError, fileFailed],
  [Reason.FILE_TOO_LARGE]: [SandboxFileError, fileFailed],
  [Reason.FILE_TRUNCATED]: [SandboxFileError, fileFailed],
  [Reason.SANDBOX_NOT_FOUND]: [SandboxNotFoundError, sandboxNotFound],
  [Reason.SANDBOX_NOT_RUNNING]: [SandboxNotRunningError, notRunning],
  [Reason.COMMAND_TIMEOUT]: [SandboxCommandTimeoutError, timedOut],
  [Reason.RUNNER_UNAVAILABLE]: [SandboxUnavailableError, unavailable],
  [Reason.BACKEND_UNAVAILABLE]: [SandboxUnavailableError, unavailable],
  [Reason.RUNNER_SHARD_RETIRING]: [SandboxUnavailableError, unavailable],
  [Reason.FSS_NOT_FOUND]: [SnapshotNotFoundError, snapshotFailed],
  [Reason.FSS_NOT_READY]: [SnapshotNotReadyError, snapshotFailed],
  [Reason.FSS_NOT_SUPPORTED]: [SnapshotNotSupportedError, snapshotFailed],
  [Reason.FSS_SIZE_EXCEEDED]: [SnapshotSizeExceededError, snapshotFailed],
  [Reason.FSS_QUOTA_EXCEEDED]: [SnapshotQuotaExceededError, snapshotFailed],
  [Reason.FSS_BUCKET_MISMATCH]: [SnapshotBucketMismatchError, snapshotFailed],
  [Reason.FSS_BUCKET_UNAVAILABLE]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_RESTORE_FAILED]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_CREATE_FAILED]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_CREATE_TIMED_OUT]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_AUTH_FAILED]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_TRANSPORT_FAILED]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_CANCELED]: [SandboxSnapshotError, snapshotFailed],
  [Reason.FSS_WAIT_TIMEOUT]: [SnapshotWaitTimeoutError, snapshotWaitTimedOut],
  [Reason.FSS_BACKEND_THROTTLED]: [SnapshotBackendThrottledError, throttled],
  [Reason.FSS_INFLIGHT_LIMIT]: [SnapshotBackendThrottledError, throttled],
  [Reason.FSS_BUCKET_PROVISIONING]: [SnapshotBackendThrottledError, throttled],
});

/** Step 2 of scope `sandbox`: status codes. */
const SANDBOX_CODES = table<number>({
  [GrpcCode.NOT_FOUND]: (f) =>
    f.context.fileSystemSnapshotId === undefined
      ? [SandboxNotFoundError, sandboxNotFound]
      : [SnapshotNotFoundError, snapshotNotFound],
  [GrpcCode.CANCELLED]: [SandboxNotRunningError, cancelled],
  [GrpcCode.DEADLINE_EXCEEDED]: [SandboxRequestTimeoutError, timedOut],
  [GrpcCode.UNAVAILABLE]: [SandboxUnavailableError, unavailable],
  // grpc-js says "Received message larger than max (N vs. M)".
  [GrpcCode.RESOURCE_EXHAUSTED]: (f) =>
    f.details.includes("larger than max")
      ? [RequestSizeError, exhausted]
      : [SandboxResourceExhaustedError, exhausted],
});

/** Scope `discovery`, before step 3: a trusted reason wins over the code. */
const DISCOVERY_REASONS = table<string>({
  [Reason.PROFILE_NOT_FOUND]: [ProfileNotFoundError, profileNotFound],
  [Reason.RUNNER_NOT_FOUND]: [RunnerNotFoundError, runnerNotFound],
});

const DISCOVERY_CODES = table<number>({
  [GrpcCode.NOT_FOUND]: [RunnerNotFoundError, runnerNotFound],
});

/** Step 3, every scope. INVALID_ARGUMENT counts only with field violations (see `chooseRow`). */
const COMMON_CODES = table<number>({
  [GrpcCode.INVALID_ARGUMENT]: ["validation", invalid],
  [GrpcCode.UNAUTHENTICATED]: [AuthenticationError, authenticationFailed],
  [GrpcCode.PERMISSION_DENIED]: [PermissionDeniedError, permissionDenied],
  [GrpcCode.DEADLINE_EXCEEDED]: ["base", timedOut],
  [GrpcCode.UNAVAILABLE]: ["base", unavailable],
});

const FALLBACK: Row = ["base", failed];

interface Scope {
  readonly base: ErrorClass;
  readonly validation: ErrorClass;
  readonly reasons: Readonly<Partial<Record<string, Rule>>>;
  readonly codes: Readonly<Partial<Record<number, Rule>>>;
}

const NONE = table<never>({});

const SCOPES: Readonly<Record<MappingScope, Scope>> = {
  sandbox: {
    base: SandboxError,
    validation: SandboxValidationError,
    reasons: SANDBOX_REASONS,
    codes: SANDBOX_CODES,
  },
  discovery: {
    base: DiscoveryError,
    validation: DiscoveryValidationError,
    reasons: DISCOVERY_REASONS,
    codes: DISCOVERY_CODES,
  },
  general: { base: SandboxSdkError, validation: ValidationError, reasons: NONE, codes: NONE },
};

const DEFAULT_TRUSTED_DOMAINS: readonly string[] = [ERROR_DOMAIN];

function isTrusted(domain: string | undefined, trustedDomains: readonly string[] | undefined): boolean {
  return domain !== undefined && (trustedDomains ?? DEFAULT_TRUSTED_DOMAINS).includes(domain);
}

/** Walks the rules: trusted reason, then the scope's code table, then the common step 3. */
function chooseRow(
  scope: Scope,
  code: number | undefined,
  trustedReason: string | undefined,
  facts: Facts,
): Row {
  let rule: Rule | undefined;
  if (trustedReason !== undefined) rule = scope.reasons[trustedReason];
  if (rule === undefined && code !== undefined) {
    rule = scope.codes[code];
    if (rule === undefined && (code !== GrpcCode.INVALID_ARGUMENT || facts.fieldViolations.length > 0)) {
      rule = COMMON_CODES[code];
    }
  }
  if (rule === undefined) return FALLBACK;
  return typeof rule === "function" ? rule(facts) : rule;
}

/** Reads one property of whatever was thrown; a throwing getter or proxy trap reads as absent. */
function read(value: unknown, key: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The status details a transport error carries, wherever its transport keeps the trailers. */
function statusOf(error: unknown): ParsedStatus | undefined {
  const metadata = read(error, "metadata");
  // grpc-js Metadata and fetch Headers have get(); protobuf-ts keeps a plain record in `meta`.
  if (typeof read(metadata, "get") === "function") return parseTrailer(metadata, false);
  const record = read(error, "meta") ?? metadata;
  const value = read(record, STATUS_DETAILS_KEY);
  return value === undefined ? undefined : parseTrailer(value, false);
}

/**
 * Turns off V8's stack capture until the returned limit is put back, so that the error built in
 * between records no frames of ours and costs no stack walk of its own; `fromGrpcStatus` then
 * captures once, from its caller. Returns `undefined` (and changes nothing) where that is not
 * possible: another engine, or a frozen `Error`.
 */
function suspendStackCapture(): number | undefined {
  const limit = Error.stackTraceLimit;
  if (typeof Error.captureStackTrace !== "function" || typeof limit !== "number") return undefined;
  try {
    // Not a number: V8 captures nothing at all, cheaper than a limit of 0 (an empty trace).
    (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
    return limit;
  } catch {
    return undefined;
  }
}

function mapError(error: unknown, context: MappingContext): SandboxSdkError {
  const grpcCode = toGrpcCode(read(error, "code"));
  const status = statusOf(error);
  const transportDetails = read(error, "details");
  const rawDetails = typeof transportDetails === "string" ? transportDetails : "";
  const details =
    nonEmptyString(transportDetails) ??
    nonEmptyString(read(error, "message")) ??
    (typeof error === "string" && error !== "" ? error : undefined) ??
    (grpcCode === undefined ? "unknown error" : (GRPC_CODE_NAMES[grpcCode] as string));
  const reason = status?.reason;
  const domain = status?.domain;
  const metadata = status?.metadata;
  const fieldViolations = status?.fieldViolations ?? EMPTY_LIST;
  const facts: Facts = {
    operation: context.operation ?? "operation",
    details,
    rawDetails,
    reason: reason ?? "",
    context,
    fieldViolations,
  };
  const scope = SCOPES[context.scope ?? "sandbox"] ?? SCOPES.sandbox;
  const trustedReason =
    reason !== undefined && isTrusted(domain, context.trustedDomains) ? reason : undefined;
  const [target, template] = chooseRow(scope, grpcCode, trustedReason, facts);
  const ErrorType = target === "base" ? scope.base : target === "validation" ? scope.validation : target;
  const options: SandboxSdkErrorOptions & Record<string, unknown> = {
    cause: error,
    reason,
    domain,
    metadata,
    retryDelay: status?.retryDelay,
    grpcCode,
    details: status?.details,
    requestId: status?.requestId,
    fieldViolations,
    sandboxId: context.sandboxId,
    filepath: context.filepath ?? metadata?.filepath,
    fileSystemSnapshotId: context.fileSystemSnapshotId,
    runnerId: context.runnerId,
    profileName: context.profileName,
  };
  const message = template(facts);
  adoptDecoded = true;
  try {
    return new ErrorType(message, options);
  } finally {
    adoptDecoded = false;
  }
}

const NO_CONTEXT: MappingContext = {};

/**
 * Maps whatever a transport threw onto this package's classes. Never throws.
 *
 * `error` may be a grpc-js `ServiceError`, a `StatusObject`, a protobuf-ts `RpcError` (code names,
 * base64 trailers in `meta`), or anything else; a `SandboxSdkError` (from any copy of this package)
 * comes back unchanged. The transport's code is authoritative; the `grpc-status-details-bin` trailer
 * supplies `reason`, `domain`, `metadata`, `retryDelay`, `details` and `requestId`, and a reason from
 * a trusted domain picks a more specific class first. The original error is kept as `cause`, and the
 * stack starts at the caller of `fromGrpcStatus`.
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
export function fromGrpcStatus(error: unknown, context?: MappingContext): SandboxSdkError {
  if (isSandboxSdkError(error)) return error;
  const limit = suspendStackCapture();
  let mapped: SandboxSdkError;
  try {
    mapped = mapError(error, context ?? NO_CONTEXT);
  } catch {
    // Only a hostile context (a throwing getter, say) gets here: map without it, so the transport's
    // code and details still count; never throw.
    try {
      mapped = mapError(error, NO_CONTEXT);
    } catch {
      mapped = new SandboxSdkError("operation failed: the error could not be mapped", { cause: error });
    }
  } finally {
    if (limit !== undefined) Error.stackTraceLimit = limit;
  }
  if (limit !== undefined) Error.captureStackTrace(mapped, fromGrpcStatus);
  return mapped;
}

/**
 * Whether `error` means "not found", for `missing_ok`-style deletes: gRPC `NOT_FOUND` (whatever the
 * ErrorInfo domain), or the given `reason` from a trusted domain under any code. Accepts a mapped
 * error or a raw transport error.
 *
 * @example
 * ```ts
 * try { await client.deleteSnapshot(id) } catch (e) { if (!isNotFound(e, Reason.FSS_NOT_FOUND)) throw e }
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
    ({ grpcCode, reason: sentReason, domain } = error);
  } else {
    grpcCode = toGrpcCode(read(error, "code"));
    const status = statusOf(error);
    sentReason = status?.reason;
    domain = status?.domain;
  }
  if (grpcCode === GrpcCode.NOT_FOUND) return true;
  return reason !== undefined && sentReason === reason && isTrusted(domain, options?.trustedDomains);
}

/**
 * Turns an in-band exec-stream error into an error: `STREAM_BACKPRESSURE` gives
 * `SandboxStreamBackpressureError`, `STREAM_TRUNCATED` gives `SandboxStreamTruncatedError` (both
 * with `streamCode` and no `reason`), any other code a `SandboxExecutionError` whose `reason` is the
 * code.
 */
export function streamError(message: string, code: string): SandboxExecutionError {
  if (code === StreamCode.STREAM_BACKPRESSURE) {
    return new SandboxStreamBackpressureError(message, { streamCode: code });
  }
  if (code === StreamCode.STREAM_TRUNCATED) {
    return new SandboxStreamTruncatedError(message, { streamCode: code });
  }
  return new SandboxExecutionError(`Exec stream error: ${message}`, { reason: code });
}
