/**
 * `SandboxSdkError`, the root of every error this package (and every preset, and an SDK's own
 * catalogue) makes: the common fields, the optional message, `X.from`, `instanceof` by brand, and the
 * doors to `toJSON`/`fromJSON` and `util.inspect`. The classes of each preset extend it in
 * `presets/`; how a transport failure becomes one of them is `catalogue/`'s business.
 */
import type { StatusDetail } from "../wire/details.js";
import { EMPTY_LIST, EMPTY_METADATA } from "../wire/empty.js";
import { restoreStackCapture, suspendStackCapture } from "../wire/stack.js";
import {
  BRAND,
  defaultMessageOf,
  defineErrorClass,
  FIELDS,
  hasBrand,
  type OwnFields,
  ownFieldsOf,
} from "./brands.js";
import {
  COMMON_FIELDS,
  inspectError,
  reviveError,
  type SerializedError,
  serializeError,
} from "./serialize.js";

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
  /** Every decoded detail of the status; copied into a frozen array. */
  details?: readonly StatusDetail[] | undefined;
  /** `RequestInfo.request_id`. */
  requestId?: string | undefined;
  /** The server's own message, as the road delivered it. */
  rawMessage?: string | undefined;
  /** The HTTP status of the response that carried the failure. */
  httpStatus?: number | undefined;
  /** What the SDK was doing (`GetSandbox`, `exec`). */
  operation?: string | undefined;
  /** The sandbox concerned. */
  sandboxId?: string | undefined;
}

/**
 * The options of error class `T`: the common ones, `cause`, and `T`'s own fields — derived from the
 * class, so a field is declared once, on the class.
 */
export type ErrorOptionsOf<T extends SandboxSdkError> = SandboxSdkErrorOptions & {
  [K in Exclude<keyof T, keyof SandboxSdkError>]?: T[K] | undefined;
};

/** The options of `X.from`: the class's options, and the message (the source error's by default). */
export type FromOptionsOf<T extends SandboxSdkError> = ErrorOptionsOf<T> & {
  /** The new error's message; default: the source error's message (or the class's default sentence). */
  message?: string | undefined;
};

/**
 * The path by which a mapping hands a new error the `metadata` and `details` the decoder made fresh
 * and frozen for it alone, so the constructor takes them without a copy. A symbol that is not
 * registered and not exported from the package: callers outside it cannot set it.
 *
 * @internal
 */
export const ADOPT: unique symbol = Symbol("adopt decoded fields");

/** The options a constructor reads: the given ones, the class's own fields, and {@link ADOPT}. */
type Given = SandboxSdkErrorOptions & Record<string, unknown> & { [ADOPT]?: true };

/** Copies caller-supplied metadata into a frozen null-prototype object of strings. */
function ownMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  if (metadata === undefined || metadata === null || typeof metadata !== "object") return EMPTY_METADATA;
  const copy: Record<string, string> = Object.create(null);
  let empty = true;
  try {
    for (const key of Object.keys(metadata)) {
      const value: unknown = metadata[key];
      if (typeof value === "string") copy[key] = value;
      else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
        copy[key] = String(value);
      } else continue;
      empty = false;
    }
  } catch {
    // A map that cannot be read (a proxy whose traps throw) keeps what was read before it threw.
  }
  return empty ? EMPTY_METADATA : Object.freeze(copy);
}

/** Reads one property of a value that may be hostile (a proxy, a throwing getter): absent if it throws. */
function readSafely(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * The root of every error this package makes. Catch it to catch them all.
 *
 * `instanceof` works across copies of this package (ESM and CJS builds, two installed versions): it
 * compares brands (class names, qualified by preset), not prototype identity.
 * `SandboxSdkError.isInstance(x)` and {@link isSandboxSdkError} give the same answers as type guards.
 */
export class SandboxSdkError extends Error {
  /**
   * The brand the class answers to for `instanceof` across copies of this package: its name,
   * qualified by its preset for every preset but the default one (`modal.NotFoundError`). Set once,
   * where the class is defined, by `defineErrorClass`.
   */
  static readonly brand: string = /* @__PURE__ */ defineRootClass(this);

  /**
   * `ErrorInfo.reason` of the status, whatever its domain (check {@link domain} before trusting it),
   * e.g. `Reason.SANDBOX_NOT_FOUND`; for a REST API, the catalogue's `reasonFields` of its body. For
   * unknown in-band stream codes, that code.
   */
  declare readonly reason: string | undefined;
  /** `ErrorInfo.domain` of the status, as sent (`"cwsandbox.com"` for the sandbox service). */
  declare readonly domain: string | undefined;
  /** `ErrorInfo.metadata`: a frozen null-prototype copy; `{}` when the status had none. */
  declare readonly metadata: Readonly<Record<string, string>>;
  /**
   * How long the server asked the client to wait before retrying (`RetryInfo.retry_delay`, or a
   * `grpc-retry-pushback-ms`, `retry-after-ms` or `Retry-After` header without one), in
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
   * The server's own message exactly as the road delivered it (grpc-js's `details`, a
   * `ConnectError`'s `rawMessage`, a JSON body's `message`), before any template; `undefined` when it
   * was empty or absent, and for errors raised on the client (aborts and network failures included).
   */
  declare readonly rawMessage: string | undefined;
  /**
   * The HTTP status of the response that carried the failure, where the road had one (`fetch`,
   * axios, openapi-fetch, gRPC-web and Connect over HTTP); `undefined` otherwise.
   */
  declare readonly httpStatus: number | undefined;
  /** What the SDK was doing (`GetSandbox`, `exec`): from the mapping context or the constructor. */
  declare readonly operation: string | undefined;
  /** The sandbox concerned: from the mapping context or the constructor. */
  declare readonly sandboxId: string | undefined;

  /**
   * @param message - A sentence a person can act on; default: the class's own sentence (its name in
   *   words, "Sandbox not found", unless it declares one).
   * @param options - Any common field, the class's own fields, and `cause`.
   */
  constructor(message?: string, options?: SandboxSdkErrorOptions) {
    super(message ?? defaultMessageOf(new.target.prototype), options);
    const given = (options ?? {}) as Given;
    const adopt = given[ADOPT] === true;
    this.reason = given.reason;
    this.domain = given.domain;
    this.metadata = adopt ? (given.metadata ?? EMPTY_METADATA) : ownMetadata(given.metadata);
    this.retryDelay = given.retryDelay;
    this.grpcCode = given.grpcCode;
    if (given.details === undefined) this.details = EMPTY_LIST;
    else this.details = adopt ? given.details : Object.freeze([...given.details]);
    this.requestId = given.requestId;
    this.rawMessage = given.rawMessage;
    this.httpStatus = given.httpStatus;
    this.operation = given.operation;
    this.sandboxId = given.sandboxId;
    // The class's own fields (filepath, fieldViolations, ...), declared in each subclass with
    // `declare` so that class-field semantics do not reset them after this constructor has run. A
    // list (the field violations) is kept as a frozen copy, like `details`.
    const fields = (this as unknown as Record<symbol, OwnFields | undefined>)[FIELDS];
    if (fields !== undefined) {
      const self = this as unknown as Record<string, unknown>;
      for (let i = 0; i < fields.length; i++) {
        const [field, fallback, , fromMetadata] = fields[i] as OwnFields[number];
        const value = given[field];
        if (value === undefined) self[field] = (fromMetadata ? this.metadata[field] : undefined) ?? fallback;
        else self[field] = !adopt && Array.isArray(value) ? Object.freeze([...value]) : value;
      }
    }
  }

  /**
   * Whether retrying the same call may succeed: a property of the class, declared where the class
   * is defined (the default preset: `SandboxUnavailableError`, `SandboxRequestTimeoutError`,
   * `SandboxResourceExhaustedError` other than `RequestSizeError`; Modal's: `ServiceError`,
   * `InternalError`, `InternalFailure`). False here. A subclass declares itself retryable by
   * overriding this getter; `isRetryable` reads it.
   */
  get retryable(): boolean {
    return false;
  }

  /**
   * A plain object for logs and for crossing worker or process boundaries: `name`, `message`,
   * `retryable`, `preset` (for a preset other than the default one), every public field that is not
   * undefined (metadata and details included; bytes as base64 strings), `stack`, and `cause` — an
   * error of this package serialised the same way, anything else as `{ name, message, code? }`.
   * `JSON.stringify(error)` calls it.
   */
  toJSON(): SerializedError {
    return serializeError(this);
  }

  /**
   * Rebuilds an error from {@link toJSON}'s output (or its JSON text): an instance of the class its
   * `name` (and `preset`) names, with the same fields and stack. Only loaded classes can be revived:
   * the default preset's come with this entry, Modal's with `sandbox-sdk-errors/modal` (and, in a
   * bundle, the classes the bundle contains); a name it does not know gives a `SandboxSdkError`.
   * Every field is checked: one of the wrong type (a `grpcCode` that is not an integer from 0 to 16,
   * a `retryDelay` that is not finite, a detail that does not fit its type, a `sandboxId` that is not a
   * string...) is left out. Throws a `TypeError` when `json` is not an object (or JSON text of one).
   */
  static fromJSON(json: SerializedError | string): SandboxSdkError {
    return reviveError(
      typeof json === "string" ? JSON.parse(json) : json,
      SandboxSdkError,
    ) as SandboxSdkError;
  }

  /**
   * A new error of this class carrying what `error` carried: for SDK code that re-classes or
   * re-words a mapped failure without losing what the server sent (a read-file timeout re-raised as
   * a command timeout, a `ConflictError` whose message says the image is missing re-raised as a
   * `NotFoundError`).
   *
   * When `error` is an error of this package (any copy, any preset), every common field is carried
   * over (`reason`, `domain`, `metadata`, `retryDelay`, `grpcCode`, `details`, `requestId`,
   * `rawMessage`, `httpStatus`, `operation`, `sandboxId`), the class's own fields that `error` also
   * has, its `message` and its `cause`. Any other value becomes the `cause`, and its `message` (or the
   * string itself) the message. `options` win over what is carried, the message included. The stack
   * starts at the caller of `from`. Never throws for any `error`.
   *
   * @example
   * ```ts
   * if (error instanceof SandboxTimeoutError) throw SandboxCommandTimeoutError.from(error, { operation: "readFile" });
   * ```
   */
  static from<T extends SandboxSdkError>(
    this: new (
      message?: string,
      options?: ErrorOptionsOf<T>,
    ) => T,
    error: unknown,
    options?: FromOptionsOf<T>,
  ): T {
    const limit = suspendStackCapture();
    let made: T;
    try {
      made = fromError(this, error, options);
    } finally {
      restoreStackCapture(limit);
    }
    if (limit !== undefined) Error.captureStackTrace(made, SandboxSdkError.from);
    return made;
  }

  /**
   * True for instances of this class and its subclasses, including those made by another copy of
   * this package. The same answer as `instanceof`, as a type guard:
   * `if (SandboxFileError.isInstance(err)) err.filepath`.
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

/**
 * The root's registration, and the `util.inspect` hook on its prototype (under a registered symbol:
 * no Node import). Installed here rather than as a method with a computed key, which would keep the
 * class in every bundle whether used or not.
 */
function defineRootClass(cls: typeof SandboxSdkError): string {
  const brand = defineErrorClass(cls, "SandboxSdkError", { message: "Sandbox SDK error" });
  Object.defineProperty(cls.prototype, Symbol.for("nodejs.util.inspect.custom"), {
    configurable: true,
    writable: true,
    value(
      this: SandboxSdkError,
      depth: number,
      options: object,
      inspect?: (v: unknown, o?: object) => string,
    ) {
      return inspectError(this, depth, options, inspect);
    },
  });
  return brand;
}

/** `X.from`'s work, with stack capture already handled. */
function fromError<T extends SandboxSdkError>(
  ErrorType: new (message?: string, options?: ErrorOptionsOf<T>) => T,
  error: unknown,
  options: FromOptionsOf<T> | undefined,
): T {
  const carried: Record<string, unknown> = {};
  let message: string | undefined;
  if (isSandboxSdkError(error)) {
    for (const field of COMMON_FIELDS) carried[field] = readSafely(error, field);
    for (const [field] of ownFieldsOf(ErrorType.prototype)) {
      const value = readSafely(error, field);
      if (value !== undefined) carried[field] = value;
    }
    if (Object.hasOwn(error, "cause")) carried.cause = readSafely(error, "cause");
    const own = readSafely(error, "message");
    message = typeof own === "string" ? own : undefined;
  } else {
    carried.cause = error;
    const own = typeof error === "object" && error !== null ? readSafely(error, "message") : error;
    message = typeof own === "string" ? own : undefined;
  }
  let given: Record<string, unknown> = {};
  try {
    if (typeof options === "object" && options !== null) given = { ...options };
  } catch {
    // A hostile options object: what `error` carried still stands.
  }
  if ("message" in given) {
    message = typeof given.message === "string" ? given.message : message;
    delete given.message;
  }
  return new ErrorType(message, { ...carried, ...given } as ErrorOptionsOf<T>);
}

/** True for any error of this package, including one made by another copy of it, of any preset. */
export function isSandboxSdkError(value: unknown): value is SandboxSdkError {
  return hasBrand(value, "SandboxSdkError");
}
