import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { parseHttpDate, retryHintOf } from "../../src/roads/retry-hints.js";

/** The moment every test reads the clock at: Friday, 1 March 2030, noon UTC. */
const NOW = Date.UTC(2030, 2, 1, 12, 0, 0);
const now = () => NOW;
const hint = (headers: Record<string, string>) => retryHintOf([new Headers(headers)], now);

describe("Retry-After: exactly RFC 9110's three HTTP-date forms", () => {
  const at = Date.UTC(2049, 11, 31, 23, 59, 59);

  it.each([
    ["IMF-fixdate", "Fri, 31 Dec 2049 23:59:59 GMT"],
    ["RFC 850", "Friday, 31-Dec-49 23:59:59 GMT"],
    ["asctime", "Fri Dec 31 23:59:59 2049"],
  ])("reads the %s form", (_form, text) => {
    expect(parseHttpDate(text, NOW)).toBe(at);
    expect(hint({ "retry-after": text })).toBe(at - NOW);
  });

  it("reads an asctime day padded with a space, and RFC 9110's own examples", () => {
    const example = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(example);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).toBe(example);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994", NOW)).toBe(example);
    // A date in the past is no wait at all.
    expect(hint({ "retry-after": "Sun Nov  6 08:49:37 1994" })).toBe(0);
  });

  it("reads RFC 850's two-digit year as RFC 9110 §5.6.7 says: more than 50 years ahead is the past century", () => {
    const year = (yy: string, clock: number) =>
      new Date(parseHttpDate(`Monday, 01-Jan-${yy} 00:00:00 GMT`, clock) as number).getUTCFullYear();
    expect(year("80", NOW)).toBe(2080);
    expect(year("81", NOW)).toBe(1981);
    expect(year("30", NOW)).toBe(2030);
    expect(year("00", NOW)).toBe(2000);
    expect(year("99", NOW)).toBe(1999);
    // Read from the clock, not from a fixed pivot.
    expect(year("81", Date.UTC(2031, 0, 1))).toBe(2081);
  });

  it.each([
    ["a date with no time", "Mon, 1 1"],
    ["a lone day name", "Mon, "],
    ["a one-digit day in IMF-fixdate", "Fri, 1 Dec 2049 23:59:59 GMT"],
    ["a zone other than GMT", "Fri, 31 Dec 2049 23:59:59 UTC"],
    ["lower case", "fri, 31 dec 2049 23:59:59 gmt"],
    ["a day name of the wrong form", "Friday, 31 Dec 2049 23:59:59 GMT"],
    ["an unknown day name", "Fry, 31 Dec 2049 23:59:59 GMT"],
    ["an unknown month", "Fri, 31 Dek 2049 23:59:59 GMT"],
    ["a day the month lacks", "Mon, 30 Feb 2032 00:00:00 GMT"],
    ["the 29th of February of a common year", "Thu, 29 Feb 2035 00:00:00 GMT"],
    ["hour 24", "Fri, 31 Dec 2049 24:00:00 GMT"],
    ["minute 60", "Fri, 31 Dec 2049 23:60:00 GMT"],
    ["second 61", "Fri, 31 Dec 2049 23:59:61 GMT"],
    ["ISO 8601", "2049-12-31T23:59:59Z"],
    ["trailing text", "Fri, 31 Dec 2049 23:59:59 GMT and then some"],
    ["RFC 850 with a four-digit year", "Friday, 31-Dec-2049 23:59:59 GMT"],
    ["asctime with a zone", "Fri Dec 31 23:59:59 2049 GMT"],
    ["asctime with a two-space day of two digits", "Fri Dec  31 23:59:59 2049"],
  ])("refuses %s", (_what, text) => {
    expect(parseHttpDate(text, NOW)).toBeUndefined();
    expect(hint({ "retry-after": text })).toBeUndefined();
  });

  it("reads the 29th of February of a leap year and a leap second", () => {
    expect(parseHttpDate("Tue, 29 Feb 2028 00:00:00 GMT", NOW)).toBe(Date.UTC(2028, 1, 29));
    expect(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT", NOW)).toBe(Date.UTC(2017, 0, 1));
  });
});

describe("a hint larger than a google.protobuf.Duration holds is invalid", () => {
  const MAX_SECONDS = 315_576_000_000;

  it("takes exactly the largest Duration, and refuses one second (or millisecond) more", () => {
    expect(hint({ "retry-after": String(MAX_SECONDS) })).toBe(MAX_SECONDS * 1000);
    expect(hint({ "retry-after": String(MAX_SECONDS + 1) })).toBeUndefined();
    for (const name of ["grpc-retry-pushback-ms", "retry-after-ms"]) {
      expect(hint({ [name]: String(MAX_SECONDS * 1000) })).toBe(MAX_SECONDS * 1000);
      expect(hint({ [name]: String(MAX_SECONDS * 1000 + 1) })).toBeUndefined();
      expect(hint({ [name]: "9".repeat(30) })).toBeUndefined();
    }
  });

  it("goes on to the next hint when one is out of range, negative or not a number", () => {
    expect(hint({ "grpc-retry-pushback-ms": "9".repeat(20), "retry-after-ms": "1200" })).toBe(1200);
    expect(hint({ "retry-after-ms": "-5", "retry-after": "3" })).toBe(3000);
    expect(hint({ "retry-after-ms": "1.5", "retry-after": "later" })).toBeUndefined();
  });

  it("reads digits with leading zeros as the number they spell", () => {
    expect(hint({ "retry-after": "0000000000000000000005" })).toBe(5000);
  });

  it("reads the same on every kind of source: Headers, grpc-js Metadata, a record", () => {
    const metadata = new Metadata();
    metadata.set("retry-after", "Friday, 31-Dec-49 23:59:59 GMT");
    const expected = Date.UTC(2049, 11, 31, 23, 59, 59) - NOW;
    expect(retryHintOf([metadata], now)).toBe(expected);
    expect(retryHintOf([{ "Retry-After": "Fri Dec 31 23:59:59 2049" }], now)).toBe(expected);
    expect(retryHintOf([{ "retry-after": [String(MAX_SECONDS + 1)] }], now)).toBeUndefined();
  });
});
