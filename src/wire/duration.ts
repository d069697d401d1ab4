/**
 * `google.protobuf.Duration`, the type of `RetryInfo.retry_delay`, in the three forms this package
 * meets it: wire parts (`seconds`, `nanos`), milliseconds (what errors carry), and the proto3 JSON
 * string (`"1.500s"`). One set of validity rules for the decoder, the JSON reader and the kit.
 */

/** The largest `seconds` of a valid Duration (10,000 years). */
export const MAX_DURATION_SECONDS = 315_576_000_000;
const MAX_DURATION_NANOS = 999_999_999;
const NANOS_PER_SECOND = 1_000_000_000;
/** The largest |milliseconds| that still fits a Duration. */
export const MAX_DURATION_MS = 315_576_000_999.999999; // MAX_DURATION_SECONDS · 1000 + 999.999999 ms

/** A Duration as sent: whole seconds and nanoseconds, signs agreeing. */
export interface DurationParts {
  readonly seconds: number;
  readonly nanos: number;
}

/** A Duration in milliseconds, or `undefined` when it is out of range or its signs disagree. */
export function durationToMilliseconds(seconds: number, nanos: number): number | undefined {
  if (Math.abs(seconds) > MAX_DURATION_SECONDS || Math.abs(nanos) > MAX_DURATION_NANOS) return undefined;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return undefined;
  // `+ 0` turns the -0 of `"-0s"` (or of `{ seconds: -0 }`) into 0: a delay of none, whatever its sign.
  return seconds * 1000 + nanos / 1e6 + 0;
}

/**
 * Splits milliseconds into a Duration whose `seconds` and `nanos` share the sign of `ms`, chosen so
 * that {@link durationToMilliseconds} gives `ms` back exactly: rounding to whole nanoseconds can miss
 * the double by one unit either way, so the neighbours are tried too. `undefined` for a value that
 * is not finite or is beyond the Duration range.
 */
export function millisecondsToDuration(ms: number): DurationParts | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DURATION_MS) return undefined;
  const sign = ms < 0 ? -1 : 1;
  const magnitude = Math.abs(ms);
  let seconds = Math.trunc(magnitude / 1000);
  // The division may round up to the next whole second for a value just below it.
  if (seconds * 1000 > magnitude) seconds -= 1;
  let nanos = Math.round((magnitude - seconds * 1000) * 1e6);
  if (nanos >= NANOS_PER_SECOND) {
    seconds += 1;
    nanos -= NANOS_PER_SECOND;
  }
  let best: DurationParts = { seconds: sign * seconds, nanos: sign * nanos };
  if (durationToMilliseconds(best.seconds, best.nanos) !== ms) {
    for (const candidate of [nanos - 1, nanos + 1]) {
      if (candidate < 0 || candidate >= NANOS_PER_SECOND) continue;
      if (durationToMilliseconds(sign * seconds, sign * candidate) === ms) {
        best = { seconds: sign * seconds, nanos: sign * candidate };
        break;
      }
    }
  }
  if (Math.abs(best.seconds) > MAX_DURATION_SECONDS) {
    // Near the limit a double is coarser than a millisecond: the largest Duration may decode to a
    // value that rounds up to a whole second past it. Rounding carried into that second: undo it.
    const largest = { seconds: sign * MAX_DURATION_SECONDS, nanos: sign * MAX_DURATION_NANOS };
    if (durationToMilliseconds(largest.seconds, largest.nanos) !== ms) return undefined;
    best = largest;
  }
  // No -0: it is written as nothing either way, and keeps the parts tidy for callers.
  return { seconds: best.seconds || 0, nanos: best.nanos || 0 };
}

/**
 * Reads the proto3 JSON form of a Duration: `"<seconds>[.<fraction>]s"`, a leading `-` allowed, at
 * most nine fraction digits. Gives milliseconds, or `undefined` for anything else or a value out of
 * range. (Parsed by hand: a regular expression over a hostile string is not needed to find one `s`.)
 */
export function parseJsonDuration(text: string): number | undefined {
  if (text.length < 2 || text.length > 32 || text.charCodeAt(text.length - 1) !== 0x73 /* s */) {
    return undefined;
  }
  let i = 0;
  const negative = text.charCodeAt(0) === 0x2d; /* - */
  if (negative) i++;
  let seconds = 0;
  let digits = 0;
  for (; i < text.length - 1 && text.charCodeAt(i) !== 0x2e; /* . */ i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    seconds = seconds * 10 + digit;
    digits++;
  }
  if (digits === 0) return undefined;
  let nanos = 0;
  if (i < text.length - 1) {
    i++; // the dot
    let scale = 100_000_000;
    let fraction = 0;
    for (; i < text.length - 1; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9 || scale < 1) return undefined;
      nanos += digit * scale;
      scale /= 10;
      fraction++;
    }
    if (fraction === 0) return undefined;
  }
  return negative ? durationToMilliseconds(-seconds, -nanos) : durationToMilliseconds(seconds, nanos);
}

/**
 * Writes milliseconds as the proto3 JSON form of a Duration, as the reference runtimes write it:
 * 0, 3, 6 or 9 fraction digits (`"1.500s"`, `"0.000001s"`, `"3s"`). `undefined` when no Duration
 * holds the value.
 */
export function formatJsonDuration(ms: number): string | undefined {
  const parts = millisecondsToDuration(ms);
  if (parts === undefined) return undefined;
  const negative = parts.seconds < 0 || parts.nanos < 0;
  const seconds = Math.abs(parts.seconds);
  const nanos = Math.abs(parts.nanos);
  let text = `${negative ? "-" : ""}${seconds}`;
  if (nanos !== 0) {
    const fraction = String(nanos).padStart(9, "0");
    text += `.${nanos % 1_000_000 === 0 ? fraction.slice(0, 3) : nanos % 1000 === 0 ? fraction.slice(0, 6) : fraction}`;
  }
  return `${text}s`;
}
