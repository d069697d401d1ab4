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

/**
 * The largest hint that counts, in milliseconds: what a `google.protobuf.Duration` can hold
 * (315,576,000,000 s, exactly that included), as for RetryInfo. A larger one is no hint.
 */
const MAX_HINT_MS = 315_576_000_000 * 1000;

/** A non-negative integer of decimal digits (leading zeros allowed), or `undefined`. */
function digits(text: string): number | undefined {
  if (text === "" || text.length > 32) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  // Exact below 2 ** 53, far above the largest valid hint: the range check below is exact.
  return Number(text);
}

/** A delay in milliseconds, or `undefined` when it is beyond what a Duration holds. */
function inRange(ms: number | undefined): number | undefined {
  return ms !== undefined && ms <= MAX_HINT_MS ? ms : undefined;
}

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * RFC 9110's three forms of an HTTP-date (§5.6.7), exactly (HTTP-date is case-sensitive):
 * - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`;
 * - RFC 850 (obsolete): `Sunday, 06-Nov-94 08:49:37 GMT`;
 * - asctime (obsolete): `Sun Nov  6 08:49:37 1994` (the day padded with a space).
 */
const IMF_FIXDATE = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC_850 = /^([A-Z][a-z]{5,8}), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** Days in each month of `year` (Gregorian). */
function daysInMonth(year: number, month: number): number {
  if (month !== 1) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month] as number;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * The UTC time a date names, in ms since the epoch, when every part is in range (a day the month
 * has, hour 0–23, minute 0–59, second 0–60: a leap second); `undefined` otherwise.
 */
function utc(
  year: number,
  monthName: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const month = MONTHS.indexOf(monthName);
  if (month < 0 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const time = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC reads a year below 100 as 19xx: set that year as written.
  return year >= 100 ? time : new Date(time).setUTCFullYear(year);
}

/**
 * An HTTP-date in any of RFC 9110's three forms, as ms since the epoch; `undefined` for anything
 * else. RFC 850's two-digit year is read as RFC 9110 §5.6.7 says: a year that would be more than 50
 * years in the future (from `now`) is the most recent past year with the same last two digits.
 */
export function parseHttpDate(text: string, now: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    const [, day, date, month, year, hour, minute, second] = match as unknown as string[];
    if (!DAY_NAMES.includes(day as string)) return undefined;
    return utc(Number(year), month as string, Number(date), Number(hour), Number(minute), Number(second));
  }
  match = RFC_850.exec(text);
  if (match !== null) {
    const [, day, date, month, yy, hour, minute, second] = match as unknown as string[];
    if (!LONG_DAY_NAMES.includes(day as string)) return undefined;
    const thisYear = new Date(now).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(yy);
    if (year > thisYear + 50) year -= 100;
    return utc(year, month as string, Number(date), Number(hour), Number(minute), Number(second));
  }
  match = ASCTIME.exec(text);
  if (match !== null) {
    const [, day, month, date, hour, minute, second, year] = match as unknown as string[];
    if (!DAY_NAMES.includes(day as string)) return undefined;
    // The day is two digits or a space and one (`date3` of RFC 9110): Number(" 6") is 6.
    return utc(Number(year), month as string, Number(date), Number(hour), Number(minute), Number(second));
  }
  return undefined;
}

/**
 * `Retry-After`: delay-seconds, or an HTTP-date in one of RFC 9110's three forms (the time to it
 * from now; 0 when past). Anything else, or a delay beyond a Duration's range, is no hint.
 */
function retryAfter(text: string, now: number): number | undefined {
  const seconds = digits(text);
  if (seconds !== undefined) return inRange(seconds * 1000);
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : inRange(Math.max(0, at - now));
}

/**
 * The retry delay, in milliseconds, that headers or trailers in `sources` ask for: the first hint
 * header present and valid, in the order `grpc-retry-pushback-ms` (a non-negative integer of ms),
 * `retry-after-ms` (the same), `Retry-After` (delay-seconds or an HTTP-date). A hint that is
 * negative, not a number, or larger than a `google.protobuf.Duration` holds (315,576,000,000 s) is
 * not valid. `undefined` when none is. Never throws.
 */
export function retryHintOf(sources: readonly unknown[], now: () => number = Date.now): number | undefined {
  for (const name of HINTS) {
    for (const source of sources) {
      const text = headerValue(source, name);
      if (text === undefined) continue;
      const delay = name === "retry-after" ? retryAfter(text, now()) : inRange(digits(text));
      if (delay !== undefined) return delay;
    }
  }
  return undefined;
}
