/**
 * The CLI's JSON writer: the text `JSON.stringify` gives, wherever `JSON.stringify` can write the
 * value at all, and valid JSON of the same value at any depth.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonText, MAX_INDENTED_DEPTH } from "../../src/cli/json-text.js";

const base64Bytes = (_key: string, value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value;

/** Nesting `depth` levels deep: arrays, or objects under key `a`, around `1`. */
function nested(depth: number, kind: "array" | "object"): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value };
  return value;
}

/** How many levels deep `1` sits, walking down without recursion. */
function depthOf(value: unknown): number {
  let levels = 0;
  let current = value;
  while (typeof current === "object" && current !== null) {
    current = Array.isArray(current) ? current[0] : (current as { a: unknown }).a;
    levels++;
  }
  expect(current).toBe(1);
  return levels;
}

describe("jsonText", () => {
  it("writes what JSON.stringify writes, indented and compact, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: MAX_INDENTED_DEPTH - 1 }), (value) => {
        expect(jsonText(value, "  ")).toBe(JSON.stringify(value, null, 2));
        expect(jsonText(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  it("writes bytes as base64, leaves out undefined and function members, writes them as null in arrays, and calls toJSON", () => {
    const value = {
      bytes: Uint8Array.of(0, 1, 250),
      missing: undefined,
      method() {},
      list: [undefined, () => 0, Number.NaN, Number.POSITIVE_INFINITY, -0],
      empty: { gone: undefined },
      revived: { toJSON: () => ({ as: "json" }) },
      nothing: [],
    };
    expect(jsonText(value, "  ")).toBe(JSON.stringify(value, base64Bytes, 2));
    expect(jsonText(value)).toBe(JSON.stringify(value, base64Bytes));
  });

  it("writes 100 000 levels of arrays and of objects, which JSON.stringify cannot", () => {
    for (const kind of ["array", "object"] as const) {
      const deep = nested(100_000, kind);
      expect(() => JSON.stringify(deep)).toThrow(RangeError);
      for (const indent of ["", "  "]) expect(depthOf(JSON.parse(jsonText(deep, indent)))).toBe(100_000);
    }
  });

  it(`indents the first ${MAX_INDENTED_DEPTH} levels and writes deeper ones compact`, () => {
    const text = jsonText(nested(MAX_INDENTED_DEPTH + 2, "array"), "  ");
    const lines = text.split("\n");
    // One line per indented level on the way in and out, and one for the compact rest.
    expect(lines).toHaveLength(2 * MAX_INDENTED_DEPTH + 1);
    expect(lines[MAX_INDENTED_DEPTH]).toBe(`${"  ".repeat(MAX_INDENTED_DEPTH)}[[1]]`);
    expect(depthOf(JSON.parse(text))).toBe(MAX_INDENTED_DEPTH + 2);
  });
});
