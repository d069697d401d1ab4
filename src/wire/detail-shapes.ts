/**
 * A detail in this package's own shape (what `parseStatusDetails` returns and `toJSON` writes), read
 * back through its type's schema: for `fromJSON`, which must check every field of JSON that may have
 * been anywhere. Lean on purpose — one form, no Duration or int64 spellings — so that a bundle that
 * keeps `SandboxSdkError` (and with it `fromJSON`) does not keep the readers of the other roads.
 */
import {
  DETAIL_SCHEMAS,
  type DetailOf,
  type FieldSchema,
  type KnownDetailType,
  type MessageSchema,
} from "./details.js";

type Source = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Source {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A message of `schema` from `value`, or `undefined` when a field does not fit its kind. */
function readMessage(schema: MessageSchema, value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema)) {
    const field = schema[name] as FieldSchema;
    const given = Object.hasOwn(value, name) ? value[name] : undefined;
    let read: unknown;
    switch (field.kind) {
      case "string":
        read = given ?? "";
        if (typeof read !== "string") return undefined;
        break;
      case "strings":
        read = given ?? [];
        if (!Array.isArray(read) || !read.every((entry) => typeof entry === "string")) return undefined;
        read = [...read];
        break;
      case "map": {
        const map: Record<string, string> = Object.create(null);
        if (given !== undefined && !isRecord(given)) return undefined;
        for (const key of Object.keys(given ?? {})) {
          const entry = (given as Source)[key];
          if (typeof entry !== "string") return undefined;
          map[key] = entry;
        }
        read = Object.freeze(map);
        break;
      }
      case "int64":
        read = given ?? ("optional" in field ? undefined : 0);
        if (read !== undefined && !Number.isInteger(read)) return undefined;
        break;
      case "duration":
        // Milliseconds; a Duration that was not valid is left out, as the decoder leaves it.
        if (given !== undefined && typeof given !== "number") return undefined;
        read = Number.isFinite(given) ? given : undefined;
        break;
      case "message":
        read = given === undefined ? undefined : readMessage(field.of, given);
        if (given !== undefined && read === undefined) return undefined;
        break;
      case "messages": {
        const list = given ?? [];
        if (!Array.isArray(list)) return undefined;
        const messages = list.map((entry) => readMessage(field.of, entry));
        if (messages.includes(undefined)) return undefined;
        read = messages;
        break;
      }
    }
    if (read !== undefined) out[name] = read;
  }
  return out;
}

/** A detail of a known type in this package's shape, or `undefined` when it does not fit the type. */
export function readDetailShape<K extends KnownDetailType>(type: K, value: unknown): DetailOf<K> | undefined {
  const fields = readMessage(DETAIL_SCHEMAS[type], value);
  return fields === undefined ? undefined : ({ type, ...fields } as DetailOf<K>);
}
