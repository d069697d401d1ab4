/**
 * Headers and trailers as every road keeps them — a grpc-js or nice-grpc `Metadata` (`get` returns a
 * list, or one value), a fetch `Headers` (`get` returns a string or null), a plain record (axios'
 * `response.headers`, protobuf-ts's `meta`, a gRPC-web trailer block) — read one way.
 */

/**
 * The first value of header `name` (lower case) in `source`, or `undefined`. A record is searched in
 * any case of the name; a value longer than `maxLength` reads as absent. Never throws.
 */
export function readHeader(
  source: unknown,
  name: string,
  maxLength = Number.POSITIVE_INFINITY,
): string | undefined {
  try {
    if (typeof source !== "object" || source === null) return undefined;
    const get = (source as { get?: unknown }).get;
    let value: unknown;
    if (typeof get === "function") value = get.call(source, name);
    else {
      const record = source as Record<string, unknown>;
      value = Object.hasOwn(record, name) ? record[name] : undefined;
      if (value === undefined) {
        for (const key of Object.keys(record)) {
          if (key.length === name.length && key.toLowerCase() === name) {
            value = record[key];
            break;
          }
        }
      }
    }
    if (Array.isArray(value)) value = value[0];
    return typeof value === "string" && value.length <= maxLength ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A `Headers`-like view of a failure's headers and trailers: the first container that has a name wins. */
export function headersView(sources: readonly unknown[]): { get(name: string): string | null } {
  return Object.freeze({
    get(name: string): string | null {
      const key = String(name).toLowerCase();
      for (const source of sources) {
        const value = readHeader(source, key);
        if (value !== undefined) return value;
      }
      return null;
    },
  });
}
