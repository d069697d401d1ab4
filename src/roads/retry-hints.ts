/**
 * Server hints beside RetryInfo (SPEC §13): when a status carries no valid RetryInfo, the delay a
 * server asked for may still travel in a header or trailer — gRPC's `grpc-retry-pushback-ms`, the
 * `retry-after-ms` some gateways send, or HTTP's `Retry-After` — on every road.
 */

import { readHeader } from "./headers.js";

/** The hint headers, in the order they are believed. */
const HINTS = ["grpc-retry-pushback-ms", "retry-after-ms", "retry-after"] as const;

/** The longest header value read: a date or a number is far shorter. */
const MAX_HINT_LENGTH = 64;

/** The first value of header `name` in `source` (see `readHeader`), trimmed. Never throws. */
function headerValue(source: unknown, name: string): string | undefined {
  return readHeader(source, name, MAX_HINT_LENGTH)?.trim();
}

/**
 * The largest hint that counts, in milliseconds: what a `google.protobuf.Duration` can hold
 * (315,576,000,000 s, exactly that included), as for RetryInfo. A larger one is no hint.
 */
const MAX_HINT_MS = 315_576_000_000_000;

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

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
/** The month names, each three letters and a `|`: a name's index is its offset divided by four. */
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d\\d):(\\d\\d):(\\d\\d)";

/**
 * RFC 9110's three forms of an HTTP-date (§5.6.7), exactly (HTTP-date is case-sensitive):
 * - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`;
 * - RFC 850 (obsolete): `Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year;
 * - asctime (obsolete): `Sun Nov  6 08:49:37 1994`, the day padded with a space.
 */
// Each built inside a pure function: a bundler takes a template literal for a side effect, and
// would keep the three (and their parts) in a bundle that reads no hint.
const IMF_FIXDATE = /* @__PURE__ */ (() => new RegExp(`^${DAY}, (\\d\\d) ${MONTH} (\\d{4}) ${TIME} GMT$`))();
const RFC_850 = /* @__PURE__ */ (() =>
  new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`))();
const ASCTIME = /* @__PURE__ */ (() => new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`))();

/** A date's parts as written, in the order day, month, year, hour, minute, second. */
function dateParts(text: string): string[] | undefined {
  const parts = IMF_FIXDATE.exec(text) ?? RFC_850.exec(text);
  if (parts !== null) return parts.slice(1);
  const asctime = ASCTIME.exec(text);
  if (asctime === null) return undefined;
  const [, month, day, hour, minute, second, year] = asctime as unknown as string[];
  return [day, month, year, hour, minute, second] as string[];
}

/**
 * An HTTP-date in any of RFC 9110's three forms, as ms since the epoch; `undefined` for anything
 * else, and for a date whose parts are out of range (a day the month lacks, hour 24, minute 60;
 * second 60 is a leap second). RFC 850's two-digit year is read as RFC 9110 §5.6.7 says: a year
 * that would be more than 50 years after `now`'s is the most recent past year with those digits.
 */
export function parseHttpDate(text: string, now: number): number | undefined {
  const parts = dateParts(text);
  if (parts === undefined) return undefined;
  const [dayText, monthName, yearText, hourText, minuteText, secondText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const day = Number(dayText);
  const [hour, minute, second] = [Number(hourText), Number(minuteText), Number(secondText)];
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let year = Number(yearText);
  if (yearText.length === 2) {
    const thisYear = new Date(now).getUTCFullYear();
    year += thisYear - (thisYear % 100);
    if (year > thisYear + 50) year -= 100;
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads a year below 100 as 19xx.
  date.setUTCFullYear(year, MONTH.indexOf(monthName) >> 2, day);
  // A day the month lacks rolls over into the next month: refuse it.
  if (date.getUTCDate() !== day) return undefined;
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000;
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
