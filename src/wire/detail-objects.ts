/**
 * Details that arrive as objects rather than bytes — proto3 JSON (`{ "@type": ..., "retryDelay":
 * "1.5s" }`), nice-grpc's decoded messages (`$type`, Durations as `{ seconds, nanos }`), and this
 * package's own `toJSON` output — read into the same `StatusDetail` shapes as the binary decoder
 * gives, by walking the type's schema. One reader for every object form; a value that does not fit
 * the schema throws, and the caller keeps the detail as `Unknown`.
 */
import { base64Decode, base64Encode, isUint8Array } from "./bytes.js";
import {
  DETAIL_SCHEMAS,
  type DetailOf,
  type FieldSchema,
  type KnownDetailType,
  type MessageSchema,
  type StatusDetail,
} from "./details.js";
import { durationToMilliseconds, parseJsonDuration } from "./duration.js";

/**
 * Which object form a detail arrives in, for the two kinds of field whose spelling differs:
 * - `"proto3"`: the proto3 JSON mapping — a Duration only as `"1.500s"`, an int64 as a number or a
 *   decimal string;
 * - `"message"`: a decoded message object (nice-grpc-error-details) — a Duration as
 *   `{ seconds, nanos }`, an int64 also as a `Long`;
 * - `"shape"`: this package's own shapes (`toJSON` output) — a Duration as milliseconds.
 */
export type ObjectForm = "proto3" | "message" | "shape";

/** The detail does not fit its type's schema. */
class ShapeError extends Error {}

function fail(field: string): never {
  throw new ShapeError(field);
}

type Source = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Source {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `quotaDimensions` → `quota_dimensions`: proto3 JSON readers accept the `.proto` name too. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const SNAKE = new Map<string, string>();

/** The field's value under its lowerCamel or its `.proto` name; `null` reads as absent (proto3 JSON). */
function fieldValue(source: Source, name: string): unknown {
  let value = Object.hasOwn(source, name) ? source[name] : undefined;
  if (value === undefined || value === null) {
    let snake = SNAKE.get(name);
    if (snake === undefined) {
      snake = snakeCase(name);
      SNAKE.set(name, snake);
    }
    if (snake !== name && Object.hasOwn(source, snake)) value = source[snake];
  }
  return value === null ? undefined : value;
}

function readString(value: unknown, field: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") fail(field);
  return value;
}

/** An int64 as proto3 JSON (a number or a decimal string), or, in a message, a `Long`'s `{ low, high }`. */
function readInt64(value: unknown, field: string, form: ObjectForm): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) fail(field);
    return value;
  }
  if (typeof value === "string") {
    if (!/^-?\d{1,20}$/.test(value)) fail(field);
    return Number(value);
  }
  if (
    form === "message" &&
    isRecord(value) &&
    typeof value.low === "number" &&
    typeof value.high === "number"
  ) {
    const unsigned = value.unsigned === true;
    return (unsigned ? value.high >>> 0 : value.high | 0) * 4294967296 + (value.low >>> 0);
  }
  return fail(field);
}

function readMap(value: unknown, field: string): Readonly<Record<string, string>> {
  const map: Record<string, string> = Object.create(null);
  if (value === undefined) return Object.freeze(map);
  if (!isRecord(value)) fail(field);
  for (const key of Object.keys(value)) {
    const entry = value[key];
    if (typeof entry !== "string") fail(`${field}.${key}`);
    map[key] = entry;
  }
  return Object.freeze(map);
}

function readList(value: unknown, field: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(field);
  return value;
}

/**
 * A Duration in milliseconds, in the form's spelling (see {@link ObjectForm}). `undefined` for a
 * Duration that is not valid (as the binary decoder leaves `retryDelay` out); a value spelt another
 * way does not fit.
 */
function readDuration(value: unknown, field: string, form: ObjectForm): number | undefined {
  if (form === "proto3") {
    if (typeof value !== "string") fail(field);
    return parseJsonDuration(value);
  }
  if (form === "shape") {
    if (typeof value !== "number") fail(field);
    return Number.isFinite(value) ? value : undefined;
  }
  if (!isRecord(value)) fail(field);
  const seconds =
    value.seconds === undefined || value.seconds === null ? 0 : readInt64(value.seconds, field, form);
  const nanos = value.nanos === undefined || value.nanos === null ? 0 : value.nanos;
  if (typeof nanos !== "number" || !Number.isInteger(nanos)) fail(field);
  return durationToMilliseconds(seconds, nanos);
}

function readMessage(
  schema: MessageSchema,
  value: unknown,
  path: string,
  form: ObjectForm,
): Record<string, unknown> {
  if (!isRecord(value)) fail(path);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema)) {
    const field = schema[name] as FieldSchema;
    const given = fieldValue(value, name);
    const at = `${path}.${name}`;
    switch (field.kind) {
      case "string":
        out[name] = readString(given, at);
        break;
      case "strings":
        out[name] = readList(given, at).map((entry, i) => readString(entry ?? "", `${at}[${i}]`));
        break;
      case "map":
        out[name] = readMap(given, at);
        break;
      case "int64":
        if ("optional" in field) {
          if (given !== undefined) out[name] = readInt64(given, at, form);
        } else out[name] = given === undefined ? 0 : readInt64(given, at, form);
        break;
      case "duration": {
        const ms = given === undefined ? undefined : readDuration(given, at, form);
        if (ms !== undefined) out[name] = ms;
        break;
      }
      case "message":
        if (given !== undefined) out[name] = readMessage(field.of, given, at, form);
        break;
      case "messages":
        out[name] = readList(given, at).map((entry, i) => readMessage(field.of, entry, `${at}[${i}]`, form));
        break;
    }
  }
  return out;
}

/**
 * Reads a detail of a known type from an object in any of the forms above. Throws when the object
 * does not fit the type's schema.
 */
export function readKnownDetail<K extends KnownDetailType>(
  type: K,
  source: unknown,
  form: ObjectForm,
): DetailOf<K> {
  return { type, ...readMessage(DETAIL_SCHEMAS[type], source, type, form) } as DetailOf<K>;
}

// ---------------------------------------------------------------------------------------------
// Snapshots: what an Unknown detail keeps of an object
// ---------------------------------------------------------------------------------------------

/** The deepest nesting a {@link snapshotJson} copies (protobuf's own recursion limit is 100). */
export const MAX_JSON_DEPTH = 64;
/** The most values (objects, arrays, scalars) one {@link snapshotJson} copies. */
export const MAX_JSON_VALUES = 10_000;

/** What {@link snapshotJson} gives: the copy, and why it is not the value verbatim (if it is not). */
export interface JsonSnapshot {
  /** Plain data only: null-or-object-prototype objects, arrays, strings, finite numbers, booleans, null. */
  readonly value: unknown;
  /** The first thing that was cut or changed (a cycle, the depth or size limit...); `undefined` when none. */
  readonly cut: string | undefined;
}

/** The walk's state: the values still allowed, the objects on the current path, the first cut. */
interface Walk {
  budget: number;
  readonly path: Set<object>;
  cut: string | undefined;
}

function note(walk: Walk, why: string): void {
  walk.cut ??= why;
}

/** Notes a value JSON cannot write, such as `"a bigint"`. */
function unwritable(walk: Walk, what: string): void {
  note(walk, `it holds ${what}, which JSON has no form for`);
}

const TOO_MANY = /* @__PURE__ */ (() => `it holds more than ${MAX_JSON_VALUES} values`)();
const THREW = "reading it threw";

/**
 * One value of the snapshot; `undefined` means "leave it out" (a function, a symbol, a property
 * whose read threw), as `JSON.stringify` leaves such values out.
 */
function copyValue(value: unknown, depth: number, walk: Walk): unknown {
  walk.budget--;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      unwritable(walk, String(value));
      return null;
    case "bigint":
      // proto3 JSON writes an int64 as a decimal string.
      unwritable(walk, "a bigint");
      return value.toString();
    case "undefined":
      // Left out of an object silently, as `JSON.stringify` does (the array's copy notes it).
      return undefined;
    case "function":
    case "symbol":
      unwritable(walk, `a ${typeof value}`);
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (walk.path.has(object)) {
    note(walk, "it refers to itself (a cycle)");
    return "[Circular]";
  }
  if (depth >= MAX_JSON_DEPTH) {
    note(walk, `it nests deeper than ${MAX_JSON_DEPTH} levels`);
    return Array.isArray(object) ? "[Array]" : "[Object]";
  }
  if (isUint8Array(object)) {
    // proto3 JSON writes bytes as base64.
    unwritable(walk, "bytes");
    return base64Encode(object);
  }
  walk.path.add(object);
  try {
    return Array.isArray(object) ? copyArray(object, depth, walk) : copyObject(object, depth, walk);
  } catch {
    // A revoked proxy, say: `Array.isArray` itself throws on one.
    note(walk, THREW);
    return undefined;
  } finally {
    walk.path.delete(object);
  }
}

function copyArray(array: readonly unknown[], depth: number, walk: Walk): unknown[] {
  const out: unknown[] = [];
  const length = array.length;
  for (let i = 0; i < length; i++) {
    if (walk.budget <= 0) {
      note(walk, TOO_MANY);
      break;
    }
    let entry: unknown;
    try {
      entry = array[i];
    } catch {
      note(walk, THREW);
      entry = undefined;
    }
    const copy = copyValue(entry, depth + 1, walk);
    if (copy === undefined) {
      // In an array, what JSON cannot write reads as null (as `JSON.stringify` writes it).
      unwritable(walk, "an array entry that is none");
      out.push(null);
    } else out.push(copy);
  }
  return out;
}

function copyObject(object: object, depth: number, walk: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(object);
  } catch {
    note(walk, THREW);
    return out;
  }
  for (const key of keys) {
    if (walk.budget <= 0) {
      note(walk, TOO_MANY);
      break;
    }
    let entry: unknown;
    try {
      entry = (object as Record<string, unknown>)[key];
    } catch {
      note(walk, THREW);
      continue;
    }
    const copy = copyValue(entry, depth + 1, walk);
    if (copy === undefined) continue;
    // A key such as `__proto__` is data (JSON.parse makes it an own property): never a prototype.
    if (key === "__proto__") {
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    } else out[key] = copy;
  }
  return out;
}

/**
 * A plain-data copy of `value`, taken now, so that what an `Unknown` detail keeps as `json` is data
 * the caller can no longer change and `JSON.stringify` can always write (the caller's own object may
 * hold getters that throw, cycles, or nest deeper than the stack allows).
 *
 * Bounded: at most {@link MAX_JSON_DEPTH} levels (a deeper object or array becomes `"[Object]"` /
 * `"[Array]"`) and {@link MAX_JSON_VALUES} values (the rest are left out); a reference back to an
 * object being copied becomes `"[Circular]"`. Only own enumerable properties are read, each at most
 * once; one whose read throws is left out. What JSON has no form for is written as `JSON.stringify`
 * writes it (`undefined`, functions and symbols left out, or `null` in an array; `NaN` and
 * `Infinity` as `null`), but bigints and bytes as proto3 JSON writes them (a decimal string,
 * base64). Never throws; `cut` says what, if anything, was not kept verbatim.
 */
export function snapshotJson(value: unknown): JsonSnapshot {
  const walk: Walk = { budget: MAX_JSON_VALUES, path: new Set(), cut: undefined };
  let copy: unknown;
  try {
    copy = copyValue(value, 0, walk);
  } catch {
    // Nothing above throws; a host object so odd that something still does is no data.
    note(walk, THREW);
    copy = undefined;
  }
  return { value: copy ?? null, cut: walk.cut };
}

/**
 * Reads a detail of any type: a known one through its schema, else (or when it does not fit) an
 * `Unknown` detail keeping what was sent — its bytes when it came with some (base64 in JSON), and
 * a plain-data snapshot of the object as `json` ({@link snapshotJson}).
 */
export function readDetailObject(
  type: KnownDetailType | undefined,
  typeUrl: string,
  source: unknown,
  form: ObjectForm,
  bytes?: Uint8Array,
): StatusDetail {
  if (type !== undefined) {
    try {
      return readKnownDetail(type, source, form);
    } catch {
      // Does not fit its type: kept as sent.
    }
  }
  return { type: "Unknown", typeUrl, value: bytes ?? new Uint8Array(0), json: snapshotJson(source).value };
}

/** Base64 bytes of an `Unknown` detail in JSON, or `undefined` when they are not base64. */
export function unknownDetailBytes(value: unknown): Uint8Array | undefined {
  return typeof value === "string" ? base64Decode(value) : undefined;
}
