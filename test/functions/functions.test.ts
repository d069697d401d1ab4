import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  assertSerializable,
  assertSyncFunction,
  MAX_SERIALIZABLE_DEPTH,
} from "../../src/functions/functions.js";
import { AsyncFunctionError, FunctionError, FunctionSerializationError } from "../../src/index.js";

/** The error assertSerializable throws for `value`, or undefined when it passes. */
function refusal(value: unknown, path?: string): FunctionSerializationError | undefined {
  try {
    assertSerializable(value, path);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionSerializationError);
    return error as FunctionSerializationError;
  }
}

/** Nests `inner` `depth` levels deep in single-element arrays. */
function nestedArrays(depth: number, inner: unknown = 1): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("assertSerializable accepts what JSON carries faithfully", () => {
  it.each<[string, unknown]>([
    ["null", null],
    ["booleans", [true, false]],
    ["strings, empty and non-ASCII", ["", "résumé ✓ 🎉", "\u0000"]],
    ["finite numbers", [0, 1.5, -42, Number.MAX_VALUE, Number.MIN_VALUE]],
    ["-0, which arrives as 0", [-0]],
    ["an empty array and an empty object", [[], {}]],
    ["nested plain data", [{ a: [1, { b: "c", d: [null, true] }], "key with space": { "": 0 } }]],
    ["a null-prototype object", [Object.assign(Object.create(null), { a: 1 })]],
    ["a plain object from another realm", [runInNewContext("({ a: [1, { b: 2 }] })")]],
    ["an array from another realm", runInNewContext("[1, [2, 3]]")],
    [
      "a shared sub-object that is not a cycle",
      (() => {
        const shared = { v: 1 };
        return [shared, { again: shared }, [shared]];
      })(),
    ],
    ["a frozen object", [Object.freeze({ a: Object.freeze([1]) })]],
    [
      "a non-enumerable symbol property, which JSON ignores too",
      [Object.defineProperty({ a: 1 }, Symbol("hidden"), { value: 1, enumerable: false })],
    ],
    [
      "a non-enumerable property on an array, which JSON ignores as it does on an object",
      [Object.defineProperty([1, 2], "note", { value: "x", enumerable: false })],
    ],
    [
      "a non-enumerable symbol property on an array",
      [Object.defineProperty([1], Symbol("hidden"), { value: 1, enumerable: false })],
    ],
  ])("%s", (_label, value) => {
    expect(() => assertSerializable(value)).not.toThrow();
  });

  it(`accepts nesting exactly ${MAX_SERIALIZABLE_DEPTH} levels deep`, () => {
    expect(() => assertSerializable(nestedArrays(MAX_SERIALIZABLE_DEPTH))).not.toThrow();
  });

  it("accepts an array of a million elements", () => {
    expect(() => assertSerializable([Array.from({ length: 1_000_000 }, (_, i) => i % 7)])).not.toThrow();
  });

  it("reads each element of a large array once", () => {
    const reads = new Map<PropertyKey, number>();
    const counted = new Proxy(
      Array.from({ length: 100_000 }, (_, i) => i),
      {
        get(target, key, receiver) {
          reads.set(key, (reads.get(key) ?? 0) + 1);
          return Reflect.get(target, key, receiver);
        },
      },
    );
    expect(() => assertSerializable([counted])).not.toThrow();
    for (let i = 0; i < 100_000; i++) {
      if (reads.get(String(i)) !== 1) throw new Error(`element ${i} was read ${reads.get(String(i))} times`);
    }
  });

  it("walks a shared sub-object once, so a diamond-shaped value is checked in linear time", () => {
    // 20 levels, each holding the level below twice: 2^20 paths to the leaf, 21 distinct objects.
    let reads = 0;
    let value: unknown = {
      get leaf() {
        reads++;
        return true;
      },
    };
    for (let i = 0; i < 20; i++) value = [value, { again: value }];
    expect(() => assertSerializable(value)).not.toThrow();
    expect(reads).toBe(1);
  });
});

describe("assertSerializable names the first value JSON cannot carry", () => {
  const callback = () => {};
  it.each<[string, unknown, string, string]>([
    [
      "a function",
      [1, { callback }],
      "args[1].callback",
      "args[1].callback is a function, which JSON cannot carry",
    ],
    ["a symbol", [Symbol("s")], "args[0]", "args[0] is a symbol, which JSON cannot carry"],
    [
      "a bigint",
      [{ big: 10n }],
      "args[0].big",
      "args[0].big is a bigint, which JSON cannot carry; pass it as a string instead",
    ],
    ["NaN", [{ n: Number.NaN }], "args[0].n", "args[0].n is NaN, which JSON cannot carry"],
    [
      "Infinity",
      [[1, Number.POSITIVE_INFINITY]],
      "args[0][1]",
      "args[0][1] is Infinity, which JSON cannot carry",
    ],
    ["-Infinity", [Number.NEGATIVE_INFINITY], "args[0]", "args[0] is -Infinity, which JSON cannot carry"],
    [
      "undefined in an array",
      [[1, undefined]],
      "args[0][1]",
      "args[0][1] is undefined, which JSON cannot carry; use null instead, or leave the property out",
    ],
    [
      "undefined as an object property",
      [{ timeout: undefined }],
      "args[0].timeout",
      "args[0].timeout is undefined, which JSON cannot carry; use null instead, or leave the property out",
    ],
    [
      "an empty array slot",
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [[1, , 3]],
      "args[0][1]",
      "args[0][1] is an empty array slot, which JSON cannot carry; fill it, with null if nothing else",
    ],
    [
      "a Map",
      [{ m: new Map([["a", 1]]) }],
      "args[0].m",
      "args[0].m is an instance of Map, which JSON cannot carry; pass Object.fromEntries(map) instead",
    ],
    [
      "a Set",
      [new Set([1])],
      "args[0]",
      "args[0] is an instance of Set, which JSON cannot carry; pass [...set] instead",
    ],
    [
      "a Date",
      [{ when: new Date(0) }],
      "args[0].when",
      "args[0].when is an instance of Date, which JSON cannot carry; pass date.toISOString() instead",
    ],
    [
      "a class instance",
      [new Point(1, 2)],
      "args[0]",
      "args[0] is an instance of Point, which JSON cannot carry",
    ],
    ["a RegExp", [{ re: /x/ }], "args[0].re", "args[0].re is an instance of RegExp, which JSON cannot carry"],
    ["a Buffer", [Buffer.from("x")], "args[0]", "args[0] is an instance of Buffer, which JSON cannot carry"],
    [
      "a typed array",
      [new Uint8Array(1)],
      "args[0]",
      "args[0] is an instance of Uint8Array, which JSON cannot carry",
    ],
    [
      "a boxed string",
      [new String("x")],
      "args[0]",
      "args[0] is an instance of String, which JSON cannot carry",
    ],
    ["an Error", [new Error("x")], "args[0]", "args[0] is an instance of Error, which JSON cannot carry"],
    [
      "an array subclass",
      [new (class Row extends Array {})()],
      "args[0]",
      "args[0] is an instance of Row, which JSON cannot carry",
    ],
    [
      "an object with a prototype that is neither Object.prototype nor null",
      [Object.create({ inherited: 1 })],
      "args[0]",
      "args[0] is an instance of Object, which JSON cannot carry",
    ],
    [
      "an object whose prototype has no constructor",
      [Object.create(Object.create(null))],
      "args[0]",
      "args[0] is an object with a custom prototype, which JSON cannot carry",
    ],
    [
      "an enumerable symbol-keyed property",
      [{ a: 1, [Symbol("id")]: 2 }],
      "args[0][Symbol(id)]",
      "args[0][Symbol(id)] is a symbol-keyed property, which JSON cannot carry",
    ],
    [
      "an enumerable symbol-keyed property on an array",
      [{ list: Object.assign([1, 2], { [Symbol("tag")]: "t" }) }],
      "args[0].list[Symbol(tag)]",
      "args[0].list[Symbol(tag)] is a symbol-keyed property, which JSON cannot carry",
    ],
    [
      "a symbol key without a description",
      [Object.assign([], { [Symbol()]: 1 })],
      "args[0][Symbol()]",
      "args[0][Symbol()] is a symbol-keyed property, which JSON cannot carry",
    ],
    [
      "a well-known symbol key",
      [{ [Symbol.iterator]: 1 }],
      "args[0][Symbol(Symbol.iterator)]",
      "args[0][Symbol(Symbol.iterator)] is a symbol-keyed property, which JSON cannot carry",
    ],
    [
      "an extra property on an array",
      [Object.assign([1, 2], { extra: "dropped" })],
      "args[0].extra",
      "args[0].extra is a property of an array that is not an element, which JSON cannot carry; put it in an object instead",
    ],
    [
      "the index and input of a RegExp match, which is a plain array",
      ["key=value".match(/=/)],
      "args[0].index",
      "args[0].index is a property of an array that is not an element, which JSON cannot carry; put it in an object instead",
    ],
    [
      "an extra property on an array nested in an object",
      [{ rows: [[1], Object.assign([2], { total: 3 })] }],
      "args[0].rows[1].total",
      "args[0].rows[1].total is a property of an array that is not an element, which JSON cannot carry; put it in an object instead",
    ],
    [
      "an extra property on an empty array",
      [Object.assign([], { "key with space": 1 })],
      'args[0]["key with space"]',
      'args[0]["key with space"] is a property of an array that is not an element, which JSON cannot carry; put it in an object instead',
    ],
    [
      "a method that would become toJSON",
      [{ toJSON: () => "x" }],
      "args[0].toJSON",
      "args[0].toJSON is a function, which JSON cannot carry",
    ],
  ])("%s", (_label, value, path, message) => {
    const error = refusal(value);
    expect(error?.path).toBe(path);
    expect(error?.message).toBe(message);
  });

  it.each([
    ["a number past the last index (4294967295 is never an index)", "4294967295"],
    ["a non-canonical number", "01"],
    ["a negative number", "-1"],
    ["a fraction", "1.5"],
    ["negative zero", "-0"],
  ])("names a property that looks like a number but is not an element: %s", (_label, key) => {
    const list = Object.assign([1, 2], { [key]: "x" });
    expect(refusal(list)?.path).toBe(`args[${JSON.stringify(key)}]`);
  });

  it("refuses an array with both holes and extra properties, at the hole or at the first extra", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const oneExtra: unknown[] = Object.assign([1, , 3], { a: 1 });
    expect(["args[1]", "args.a"]).toContain(refusal(oneExtra)?.path);
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const twoExtras: unknown[] = Object.assign([1, , 3], { a: 1, b: 2 });
    expect(["args[1]", "args.a"]).toContain(refusal(twoExtras)?.path);
  });

  it("refuses an extra property on a million-element array, and names it", () => {
    const million: unknown[] = Array.from({ length: 1_000_000 }, (_, i) => i);
    (million as unknown as Record<string, unknown>).checksum = 42;
    expect(refusal(million)?.path).toBe("args.checksum");
  });

  it("runs an array element's getter once", () => {
    let reads = 0;
    const list = Object.defineProperty([0, 1], 0, {
      get() {
        reads++;
        return 1;
      },
      enumerable: true,
    });
    expect(refusal([list])).toBeUndefined();
    expect(reads).toBe(1);
  });

  it("names the root itself with the given path", () => {
    expect(refusal(undefined)?.path).toBe("args");
    expect(refusal(() => {}, "result")?.message).toBe("result is a function, which JSON cannot carry");
    expect(refusal(Number.NaN, "kwargs.x")?.path).toBe("kwargs.x");
  });

  it.each([
    ["an identifier key with a dot", { camelCase_$1: () => {} }, "args.camelCase_$1"],
    ["a key with a space in brackets", { "key with space": () => {} }, 'args["key with space"]'],
    ["a key that starts with a digit in brackets", { "1st": () => {} }, 'args["1st"]'],
    ["an empty key in brackets", { "": () => {} }, 'args[""]'],
    ["a key with a quote, escaped", { 'say "hi"': () => {} }, 'args["say \\"hi\\""]'],
    ["a non-ASCII key in brackets", { clé: () => {} }, 'args["clé"]'],
    ["a __proto__ own key", JSON.parse('{"__proto__": {"f": 1}, "g": null}'), "args"],
  ])("writes %s", (_label, value, path) => {
    if (path === "args") {
      // JSON.parse makes __proto__ an own data property: plain data, accepted.
      expect(refusal(value)).toBeUndefined();
      return;
    }
    expect(refusal(value)?.path).toBe(path);
  });

  it("finds values nested deep in objects and arrays", () => {
    const value = [{ a: [{ b: { c: [0, 1, { "d e": [null, { f: Symbol("deep") }] }] } }] }];
    expect(refusal(value)?.path).toBe('args[0].a[0].b.c[2]["d e"][1].f');
  });

  it("reports the first problem in JSON.stringify's order", () => {
    const value = [{ first: 1, second: () => {}, third: Symbol("t") }, undefined];
    expect(refusal(value)?.path).toBe("args[0].second");
  });

  it("names a cycle and what it leads back to", () => {
    const node: Record<string, unknown> = { name: "root", children: [] };
    (node.children as unknown[]).push({ parent: node });
    const error = refusal([node]);
    expect(error?.path).toBe("args[0].children[0].parent");
    expect(error?.message).toBe(
      "args[0].children[0].parent is a circular reference to args[0], which JSON cannot carry",
    );
  });

  it("finds an array that contains itself", () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(refusal(list)?.message).toBe("args[1] is a circular reference to args, which JSON cannot carry");
  });

  it("finds a cycle through an object that was already seen elsewhere", () => {
    const shared: Record<string, unknown> = {};
    const value = [shared, { wrap: shared }];
    shared.self = shared;
    expect(refusal(value)?.path).toBe("args[0].self");
  });

  it(`refuses nesting deeper than ${MAX_SERIALIZABLE_DEPTH} levels, with the path`, () => {
    const error = refusal(nestedArrays(MAX_SERIALIZABLE_DEPTH + 1));
    expect(error?.path).toBe(`args${"[0]".repeat(MAX_SERIALIZABLE_DEPTH)}`);
    expect(error?.message).toMatch(/is nested more than 512 levels deep, which JSON cannot carry$/);
  });

  it("refuses a shared sub-object that is too deep where it appears a second time", () => {
    // 511 levels: fine from level 2 (its first place), one too many from level 3 (its second).
    const deep = nestedArrays(MAX_SERIALIZABLE_DEPTH - 1);
    const error = refusal([deep, [deep]]);
    expect(error?.path).toBe(`args[1][0]${"[0]".repeat(MAX_SERIALIZABLE_DEPTH - 2)}`);
  });

  it.each([
    ["arrays", () => nestedArrays(100_000)],
    [
      "objects",
      () => {
        let value: unknown = { leaf: () => {} };
        for (let i = 0; i < 100_000; i++) value = { next: value };
        return value;
      },
    ],
  ])("survives 100 000 levels of nested %s without overflowing the stack", (_label, build) => {
    const error = refusal(build());
    expect(error?.message).toMatch(/nested more than 512 levels deep/);
  });

  it("is a FunctionError, raised on the client, not retryable", () => {
    const error = refusal([() => {}]);
    expect(error).toBeInstanceOf(FunctionError);
    expect(error?.name).toBe("FunctionSerializationError");
    expect(error?.grpcCode).toBeUndefined();
    expect(error?.retryable).toBe(false);
  });
});

describe("assertSyncFunction", () => {
  it.each<[string, (...args: never[]) => unknown]>([
    ["a function declaration", function plain() {}],
    ["an arrow function", () => 1],
    ["a generator function", function* generate() {}],
    ["a method", { method() {} }.method],
    ["a bound function", function plain() {}.bind(null)],
    ["a function that returns a promise (indistinguishable)", () => Promise.resolve(1)],
  ])("accepts %s", (_label, fn) => {
    expect(() => assertSyncFunction(fn)).not.toThrow();
  });

  it.each<[string, (...args: never[]) => unknown, string]>([
    [
      "an async function",
      async function fetchData() {},
      "Function 'fetchData' is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "an async arrow function",
      async () => {},
      "Function (anonymous) is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "an async generator function",
      async function* stream() {},
      "Function 'stream' is an async generator function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "an async method",
      { async load() {} }.load,
      "Function 'load' is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "a bound async function",
      async function fetchData() {}.bind(null),
      "Function 'bound fetchData' is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "a proxy around an async function",
      new Proxy(async function wrapped() {}, {}),
      "Function 'wrapped' is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
    [
      "an async function from another realm",
      runInNewContext("(async function remote() {})"),
      "Function 'remote' is an async function, which cannot run in the sandbox: pass a synchronous function",
    ],
  ])("refuses %s", (_label, fn, message) => {
    let error: unknown;
    try {
      assertSyncFunction(fn);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AsyncFunctionError);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as Error).message).toBe(message);
  });

  it("refuses an async function whose Symbol.toStringTag was hidden, by its constructor", () => {
    const fn = async function sneaky() {};
    Object.defineProperty(fn, Symbol.toStringTag, { value: "Function" });
    expect(() => assertSyncFunction(fn)).toThrow(AsyncFunctionError);
  });

  it("refuses an async function behind a proxy that disguises its prototype, by its Symbol.toStringTag", () => {
    const fn = new Proxy(async function disguised() {}, { getPrototypeOf: () => Function.prototype });
    expect(() => assertSyncFunction(fn)).toThrow(AsyncFunctionError);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "print(1)"],
    ["an object", {}],
  ])("throws a TypeError for %s, which is not a function", (_label, value) => {
    expect(() => assertSyncFunction(value as never)).toThrow(TypeError);
    expect(() => assertSyncFunction(value as never)).not.toThrow(AsyncFunctionError);
  });
});
