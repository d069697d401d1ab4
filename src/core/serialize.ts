/**
 * Errors as data: `toJSON` for logs and for crossing worker or process boundaries, `fromJSON` to
 * rebuild them (checking every field, since the JSON may have been anywhere), and what `util.inspect`
 * shows. Portable: bytes travel as base64 without `Buffer`.
 */

import { isUint8Array } from "../wire/bytes.js";
import { readDetailShape } from "../wire/detail-shapes.js";
import { isKnownDetailType, type StatusDetail } from "../wire/details.js";
import { brandOf, classOfBrand, hasBrand, ownFieldsOf, presetOf } from "./brands.js";

/** A `StatusDetail` in JSON: an unknown detail's bytes as a base64 string. */
export type SerializedStatusDetail =
  | Exclude<StatusDetail, { type: "Unknown" }>
  | { readonly type: "Unknown"; readonly typeUrl: string; readonly value: string; readonly json?: unknown };

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
  /** The preset of the class, for every preset but the default one (`"modal"`). */
  preset?: string;
  retryable?: boolean;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  retryDelay?: number;
  grpcCode?: number;
  details?: SerializedStatusDetail[];
  requestId?: string;
  rawMessage?: string;
  httpStatus?: number;
  operation?: string;
  sandboxId?: string;
  stack?: string;
  cause?: SerializedError | SerializedCause;
  /** The class's own fields (`sandboxId`, `filepath`, `fieldViolations`, ...). */
  [field: string]: unknown;
}

/** What serialisation needs of an error: its public fields (an interface, to keep this module free of the classes). */
interface SerializableError extends Error {
  readonly retryable: boolean;
  readonly cause?: unknown;
}

/**
 * The fields every error has, in the order the constructor sets them and JSON and inspection show
 * them; `X.from` carries them over.
 */
export const COMMON_FIELDS = [
  "reason",
  "domain",
  "metadata",
  "retryDelay",
  "grpcCode",
  "details",
  "requestId",
  "rawMessage",
  "httpStatus",
  "operation",
  "sandboxId",
] as const;

/** How deep causes that are errors of this package are followed. */
const MAX_CAUSE_DEPTH = 8;
/** How deep plain data inside a field is converted (details nest three levels; user data may loop). */
const MAX_VALUE_DEPTH = 32;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Whether `value` is an error of this package (any copy). */
const isBranded = (value: unknown): value is SerializableError => hasBrand(value, "SandboxSdkError");

/** The common fields, then the class's own, with their values. */
export function publicFields(error: object): [string, unknown][] {
  const self = error as Record<string, unknown>;
  const fields: [string, unknown][] = COMMON_FIELDS.map((field) => [field, self[field]]);
  for (const [field] of ownFieldsOf(error)) fields.push([field, self[field]]);
  return fields;
}

/**
 * Bytes as standard base64, with the runtime's own `btoa` (every supported runtime has it): the
 * codec's lenient base64 stays out of a bundle that only serialises errors.
 */
function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(text);
}

/** Standard base64 back to bytes (`toJSON`'s own output); `undefined` for text that is not base64. */
function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Converts bytes to base64 and null-prototype maps to plain objects, deeply (to a bounded depth). A
 * value that cannot be read (a proxy whose traps throw, a getter that throws) is left out.
 */
function toJsonValue(value: unknown, depth = 0): unknown {
  if (isUint8Array(value)) return toBase64(value);
  if (!isObject(value) || depth > MAX_VALUE_DEPTH) return isObject(value) ? undefined : value;
  let keys: string[];
  try {
    if (Array.isArray(value)) return value.map((entry) => toJsonValue(entry, depth + 1));
    keys = Object.keys(value);
  } catch {
    return undefined;
  }
  const plain: Record<string, unknown> = {};
  for (const key of keys) {
    let entry: unknown;
    try {
      entry = value[key];
    } catch {
      continue;
    }
    // defineProperty: a key such as "__proto__" stays data.
    Object.defineProperty(plain, key, {
      value: toJsonValue(entry, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return plain;
}

function serializeCause(cause: unknown, depth: number): SerializedError | SerializedCause {
  // An error of this package (from any copy) is serialised in full, to a bounded depth.
  if (isBranded(cause) && depth < MAX_CAUSE_DEPTH) return serializeError(cause, depth + 1);
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

/** `toJSON`'s work: see `SandboxSdkError.prototype.toJSON`. */
export function serializeError(error: SerializableError, depth = 0): SerializedError {
  const json: SerializedError = { name: error.name, message: error.message };
  const preset = presetOf(error);
  if (preset !== undefined) json.preset = preset;
  json.retryable = error.retryable;
  for (const [field, value] of publicFields(error)) {
    if (value !== undefined) json[field] = toJsonValue(value);
  }
  if (error.stack !== undefined) json.stack = error.stack;
  if ("cause" in error) json.cause = serializeCause(error.cause, depth);
  return json;
}

// ---------------------------------------------------------------------------------------------
// fromJSON: every field checked, since the JSON may have been anywhere
// ---------------------------------------------------------------------------------------------

const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A detail as `toJSON` wrote it, read back through its type's schema (maps frozen, null-prototype). */
function reviveDetail(detail: unknown): StatusDetail | undefined {
  if (!isObject(detail) || typeof detail.type !== "string") return undefined;
  if (detail.type === "Unknown") {
    const value = typeof detail.value === "string" ? fromBase64(detail.value) : undefined;
    if (value === undefined || typeof detail.typeUrl !== "string") return undefined;
    return "json" in detail
      ? { type: "Unknown", typeUrl: detail.typeUrl, value, json: detail.json }
      : { type: "Unknown", typeUrl: detail.typeUrl, value };
  }
  if (!isKnownDetailType(detail.type)) return undefined;
  return readDetailShape(detail.type, detail);
}

/**
 * How each field is read back: a value of the wrong type is left out. Own fields not listed here (a
 * newer version's) are kept only when they are strings.
 */
const FIELD_READERS: Readonly<Record<string, (value: unknown) => unknown>> = {
  reason: asString,
  domain: asString,
  requestId: asString,
  rawMessage: asString,
  operation: asString,
  sandboxId: asString,
  httpStatus: (value) =>
    Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599 ? value : undefined,
  metadata: (value) => (isObject(value) && !Array.isArray(value) ? value : undefined),
  retryDelay: (value) => (typeof value === "number" && Number.isFinite(value) ? value : undefined),
  grpcCode: (value) =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 16 ? value : undefined,
  details: (value) =>
    Array.isArray(value)
      ? value.map(reviveDetail).filter((detail): detail is StatusDetail => detail !== undefined)
      : undefined,
};

function reviveField(field: string, value: unknown, revive?: (json: unknown) => unknown): unknown {
  const reader = revive ?? FIELD_READERS[field];
  if (reader === undefined) return asString(value);
  try {
    return reader(value);
  } catch {
    return undefined;
  }
}

type ErrorConstructor = new (message: string, options?: object) => SerializableError;

/**
 * A field of what `fromJSON` was given, or `undefined` when reading it throws: JSON never throws,
 * but what reaches `fromJSON` need not be JSON (a proxy, an object with getters).
 */
function field(json: Record<string, unknown>, key: string): unknown {
  try {
    return json[key];
  } catch {
    return undefined;
  }
}

function reviveCause(cause: unknown, fallback: ErrorConstructor, depth: number): unknown {
  if (!isObject(cause)) return cause;
  // An error of this package always has details and metadata in its JSON; a foreign cause never.
  if (
    Array.isArray(field(cause, "details")) &&
    isObject(field(cause, "metadata")) &&
    depth < MAX_CAUSE_DEPTH
  ) {
    return reviveError(cause, fallback, depth + 1);
  }
  const message = field(cause, "message");
  const name = field(cause, "name");
  const code = field(cause, "code");
  const error = new Error(typeof message === "string" ? message : "");
  if (typeof name === "string") error.name = name;
  if (typeof code === "string" || typeof code === "number") Object.assign(error, { code });
  return error;
}

/** `fromJSON`'s work: see `SandboxSdkError.fromJSON`. `fallback` is the root class. */
export function reviveError(json: unknown, fallback: ErrorConstructor, depth = 0): SerializableError {
  if (!isObject(json) || Array.isArray(json)) {
    throw new TypeError("SandboxSdkError.fromJSON expects an object or the JSON text of one");
  }
  const given = field(json, "preset");
  const preset = typeof given === "string" ? given : undefined;
  const name = field(json, "name");
  const named = typeof name === "string" ? classOfBrand(brandOf(name, preset)) : undefined;
  const ErrorType = (named as ErrorConstructor | undefined) ?? fallback;
  const options: Record<string, unknown> = {};
  for (const key of COMMON_FIELDS) {
    const value = reviveField(key, field(json, key));
    if (value !== undefined) options[key] = value;
  }
  for (const [key, , revive] of ownFieldsOf(ErrorType.prototype)) {
    const value = reviveField(key, field(json, key), revive);
    if (value !== undefined) options[key] = value;
  }
  // JSON has no `undefined`: a cause that is undefined was never there.
  const cause = field(json, "cause");
  if (cause !== undefined) options.cause = reviveCause(cause, fallback, depth);
  const message = field(json, "message");
  const error = new ErrorType(typeof message === "string" ? message : "", options);
  const stack = field(json, "stack");
  if (typeof stack === "string") {
    Object.defineProperty(error, "stack", { value: stack, writable: true, configurable: true });
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// util.inspect
// ---------------------------------------------------------------------------------------------

/** The errors being inspected right now, outermost first: a cause that is one of them is a cycle. */
const inspecting: object[] = [];

function isEmpty(field: string, value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return field === "metadata" && isObject(value) && Object.keys(value).length === 0;
}

/** Node's `inspect` options, as far as this module reads them. */
export interface InspectOptions {
  depth?: number | null;
}

/**
 * What `util.inspect` shows for an error: its stack, then the fields that are set. Honours `depth`
 * as Node does (an error past it shows as `[Name: message]`) and cycles (`[Circular *] Name`).
 */
export function inspectError(
  error: SerializableError,
  depth: number,
  options: InspectOptions,
  inspect?: (value: unknown, options?: object) => string,
): string {
  const head = error.stack ?? `${error.name}: ${error.message}`;
  if (depth < 0) return `[${error.name}: ${error.message}]`;
  if (inspecting.includes(error)) return `[Circular *] ${error.name}: ${error.message}`;
  const shown: Record<string, unknown> = {};
  for (const [field, value] of publicFields(error)) {
    if (value !== undefined && !isEmpty(field, value)) shown[field] = value;
  }
  if ("cause" in error) shown.cause = error.cause;
  if (Object.keys(shown).length === 0) return head;
  if (inspect === undefined) return `${head} ${safeJson(shown)}`;
  inspecting.push(error);
  try {
    // `depth` is what is left of the caller's depth at this error (Infinity for `depth: null`).
    return `${head} ${inspect(shown, { ...options, depth: options.depth === null ? null : depth - 1 })}`;
  } catch {
    // Something the fields hold cannot be inspected (a cause that is a proxy whose traps throw):
    // `console.log(error)` still shows the error, its fields as far as they can be read.
    return `${head} ${safeJson(shown)}`;
  } finally {
    inspecting.pop();
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(toJsonValue(value));
  } catch {
    return "{}";
  }
}
