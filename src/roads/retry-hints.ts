/**
 * Server hints beside RetryInfo (SPEC §13): when a status carries no valid RetryInfo, the delay a
 * server asked for may still travel in a header or trailer — gRPC's `grpc-retry-pushback-ms`, the
 * `retry-after-ms` some gateways send, or HTTP's `Retry-After` — on every road.
 */

/** The hint headers, in the order they are believed. */
const HINTS = ["grpc-retry-pushback-ms", "retry-after-ms", "retry-after"] as const;

/** The longest header value read: a date or a number is far shorter. */
const MAX_HINT_LENGTH = 64;

/**
 * The first value of header `name` in `source`: a grpc-js or nice-grpc `Metadata` (`get` returns a
 * list, or one value), a fetch `Headers` (`get` returns a string or null), or a plain record (any
 * case of the name). Never throws.
 */
function headerValue(source: unknown, name: string): string | undefined {
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
    return typeof value === "string" && value.length <= MAX_HINT_LENGTH ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** A non-negative integer of decimal digits, or `undefined`. */
function digits(text: string): number | undefined {
  if (text === "" || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(text);
}

/** `Retry-After`: delay-seconds, or an HTTP-date (the time to it from now; 0 when past). */
function retryAfter(text: string, now: number): number | undefined {
  const seconds = digits(text);
  if (seconds !== undefined) return seconds * 1000;
  // An HTTP-date is an IMF-fixdate (or one of two obsolete forms): it starts with a day name.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The retry delay, in milliseconds, that headers or trailers in `sources` ask for: the first hint
 * header present and valid, in the order `grpc-retry-pushback-ms`, `retry-after-ms`, `Retry-After`.
 * `undefined` when none is. Never throws.
 */
export function retryHintOf(sources: readonly unknown[], now: () => number = Date.now): number | undefined {
  for (const name of HINTS) {
    for (const source of sources) {
      const text = headerValue(source, name);
      if (text === undefined) continue;
      const delay = name === "retry-after" ? retryAfter(text, now()) : digits(text);
      if (delay !== undefined) return delay;
    }
  }
  return undefined;
}
