/**
 * Checks on a function to run in the sandbox, and on its arguments, made before anything leaves the
 * client: the arguments travel as JSON, and the sandbox calls the function without awaiting it.
 */
import { AsyncFunctionError, FunctionSerializationError } from "./errors.js";

/**
 * The deepest nesting of arrays and objects that {@link assertSerializable} accepts. V8's
 * `JSON.stringify` overflows its stack at a few thousand levels and Python's `json.loads` (the
 * sandbox side) at about a thousand, so a deeper value would fail later, far from its cause.
 */
export const MAX_SERIALIZABLE_DEPTH = 512;

/** One array or object on the path being walked. */
interface Frame {
  readonly container: object;
  /** Where it sits in its parent; `undefined` for the root. */
  readonly key: string | number | undefined;
  /** The own enumerable string keys of an object (what `JSON.stringify` reads); `undefined` for an array. */
  readonly keys: readonly string[] | undefined;
  /**
   * For an array, `Object.values` of it: its elements in order, then the values of its other
   * enumerable string-keyed properties. Elements are read from here (each getter runs once).
   */
  readonly values: readonly unknown[] | undefined;
  readonly size: number;
  next: number;
  /** The longest chain of containers below this one, found so far. */
  height: number;
}

/**
 * Throws unless JSON carries `value` faithfully: `JSON.parse(JSON.stringify(value))` gives the same
 * data back, with nothing dropped, changed or refused on the way.
 *
 * Accepted: `null`, booleans, strings, finite numbers (`-0` too, which arrives as `0` and is equal
 * to it), arrays whose prototype is `Array.prototype`, and plain objects — prototype
 * `Object.prototype` (of any realm) or `null` — of accepted values. A value that appears twice
 * without containing itself is fine.
 *
 * Refused, at the first one found (depth first, in `JSON.stringify`'s order):
 * - a function, a symbol or a bigint (`JSON.stringify` drops the first two and throws on a bigint);
 * - `undefined`, anywhere: in an array it would become `null`, as an object property it would vanish;
 *   an empty array slot likewise;
 * - `NaN`, `Infinity` and `-Infinity`, which become `null`;
 * - any other object: `Map` and `Set` (which become `{}`), `Date` (which becomes a string), class
 *   instances (which lose their class), `Buffer` and typed arrays, boxed primitives, array subclasses;
 * - an enumerable symbol-keyed property, on an object or an array, which JSON drops;
 * - an enumerable property of an array that is not one of its elements (`list.extra = 1`, the
 *   `index` and `input` of a `RegExp` match), which JSON drops too;
 * - a cycle;
 * - nesting deeper than {@link MAX_SERIALIZABLE_DEPTH} levels.
 *
 * The walk is iterative and linear in the size of the value (a shared sub-object is walked once), so
 * no input overflows the stack. Getters run, as they would in `JSON.stringify` (an array's all at
 * once, when the walk reaches the array), and what they throw is not caught.
 *
 * @param value - The value to check, typically a function's argument list.
 * @param path - The name of `value` in the error's `path` and message; default `"args"`.
 * @throws {FunctionSerializationError} Whose `path` names the offending value, such as
 *   `args[1].callback` or `args[0]["key with space"]`, and whose message says what it is:
 *   `args[1].callback is a function, which JSON cannot carry`.
 */
export function assertSerializable(value: unknown, path = "args"): void {
  if (!isContainer(value)) {
    const problem = problemOf(value);
    if (problem !== undefined) throw serializationError(path, problem);
    return;
  }
  const stack: Frame[] = [];
  // Containers on the current path, with their place in `stack`: meeting one again is a cycle.
  const onPath = new Map<object, number>();
  // Containers already walked, with their height: a shared sub-object is not walked twice.
  const walked = new Map<object, number>();
  const enter = (container: object, key: string | number | undefined) => {
    onPath.set(container, stack.length);
    const frame = openFrame(container, key);
    stack.push(frame);
    const symbol = enumerableSymbolKey(container);
    if (symbol !== undefined) throw serializationError(pathTo(path, stack, symbol), SYMBOL_KEY);
    // More values than elements: the array has other enumerable properties, which JSON drops. (Holes
    // make the list shorter: with at least as many holes as such properties, the first hole fails it.)
    if (frame.values !== undefined && frame.values.length > frame.size) {
      const extra = firstNonElementKey(container as readonly unknown[]);
      throw serializationError(pathTo(path, stack, extra), extra === undefined ? NON_ELEMENTS : NON_ELEMENT);
    }
  };
  enter(value, undefined);

  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next === top.size) {
      stack.pop();
      onPath.delete(top.container);
      const height = top.height + 1;
      walked.set(top.container, height);
      const parent = stack[stack.length - 1];
      if (parent !== undefined && parent.height < height) parent.height = height;
      continue;
    }
    const index = top.next++;
    let key: string | number;
    let child: unknown;
    if (top.values !== undefined) {
      key = index;
      // Up to the first hole, the elements are the first entries of `values`.
      if (!(index in top.container)) throw serializationError(pathTo(path, stack, key), EMPTY_SLOT);
      child = top.values[index];
    } else {
      key = (top.keys as readonly string[])[index] as string;
      child = (top.container as Readonly<Record<string, unknown>>)[key];
    }
    if (!isContainer(child)) {
      const problem = problemOf(child);
      if (problem !== undefined) throw serializationError(pathTo(path, stack, key), problem);
      continue;
    }
    const ancestor = onPath.get(child);
    if (ancestor !== undefined) {
      const target = pathTo(path, stack.slice(0, ancestor + 1), undefined);
      throw serializationError(pathTo(path, stack, key), { what: `a circular reference to ${target}` });
    }
    const height = walked.get(child);
    if (height !== undefined && stack.length + height <= MAX_SERIALIZABLE_DEPTH) {
      if (top.height < height) top.height = height;
      continue;
    }
    if (stack.length === MAX_SERIALIZABLE_DEPTH) {
      throw serializationError(pathTo(path, stack, key), TOO_DEEP);
    }
    enter(child, key);
  }
}

/**
 * Throws unless `fn` is a synchronous function: the sandbox calls it and sends back what it
 * returns, without awaiting, so an async function would only ever return a pending promise.
 *
 * An async function or async generator function is recognised by its prototype (its
 * `Symbol.toStringTag`, or its constructor's name), so bound functions, proxies and functions from
 * another realm are caught too. A function compiled down to an older ECMAScript target (which turns
 * `async` into a plain function returning a promise), or a plain function that returns a promise,
 * cannot be told apart from a synchronous one and passes.
 *
 * @param fn - The function to run in the sandbox.
 * @throws {AsyncFunctionError} When `fn` is an async function or an async generator function.
 * @throws {TypeError} When `fn` is not a function at all: a programming error, not a property of the
 *   function to report to a user.
 */
export function assertSyncFunction(fn: (...args: never[]) => unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(`assertSyncFunction: expected a function, got ${fn === null ? "null" : typeof fn}`);
  }
  const kind = asyncKind(fn);
  if (kind === undefined) return;
  const name = typeof fn.name === "string" && fn.name !== "" ? `'${fn.name}'` : "(anonymous)";
  throw new AsyncFunctionError(
    `Function ${name} is ${kind}, which cannot run in the sandbox: pass a synchronous function`,
  );
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** What is wrong with a value, as the words after "<path> is", and how to fix it, if that is clear. */
interface Problem {
  readonly what: string;
  readonly fix?: string;
}

const EMPTY_SLOT: Problem = { what: "an empty array slot", fix: "fill it, with null if nothing else" };
const SYMBOL_KEY: Problem = { what: "a symbol-keyed property" };
const NON_ELEMENT: Problem = {
  what: "a property of an array that is not an element",
  fix: "put it in an object instead",
};
/** When the property that was counted is gone by the time it is looked for (a getter removed it). */
const NON_ELEMENTS: Problem = {
  what: "an array with properties that are not elements",
  fix: "put them in an object instead",
};
// 512 is MAX_SERIALIZABLE_DEPTH, spelt out: a template here would keep this table in every bundle.
const TOO_DEEP: Problem = { what: "nested more than 512 levels deep" };
const UNDEFINED: Problem = { what: "undefined", fix: "use null instead, or leave the property out" };
const FUNCTION: Problem = { what: "a function" };
const SYMBOL: Problem = { what: "a symbol" };
const BIGINT: Problem = { what: "a bigint", fix: "pass it as a string instead" };

/** How to turn well-known non-plain objects into something JSON carries. */
const FIXES: Readonly<Record<string, string>> = {
  Date: "pass date.toISOString() instead",
  Map: "pass Object.fromEntries(map) instead",
  Set: "pass [...set] instead",
};

function serializationError(path: string, problem: Problem): FunctionSerializationError {
  const fix = problem.fix === undefined ? "" : `; ${problem.fix}`;
  return new FunctionSerializationError(`${path} is ${problem.what}, which JSON cannot carry${fix}`, {
    path,
  });
}

/** True for a plain array or a plain object: the values whose contents are walked. */
function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    // `Array.prototype` is itself an array, in every realm; a subclass's prototype is not.
    return prototype === Array.prototype || Array.isArray(prototype);
  }
  return prototype === null || prototype === Object.prototype || isObjectPrototype(prototype);
}

/** True for the `Object.prototype` of another realm (a `vm` context, an iframe). */
function isObjectPrototype(prototype: unknown): boolean {
  return (
    typeof prototype === "object" &&
    prototype !== null &&
    Object.getPrototypeOf(prototype) === null &&
    Object.hasOwn(prototype, "isPrototypeOf")
  );
}

/** Why a value that is not a container cannot be carried, or `undefined` when it can. */
function problemOf(value: unknown): Problem | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      if (Number.isFinite(value)) return undefined;
      return { what: String(value) };
    case "undefined":
      return UNDEFINED;
    case "function":
      return FUNCTION;
    case "symbol":
      return SYMBOL;
    case "bigint":
      return BIGINT;
    default: {
      if (value === null) return undefined;
      const name = constructorName(value as object);
      if (name === undefined) return { what: "an object with a custom prototype" };
      const fix = FIXES[name];
      return fix === undefined ? { what: `an instance of ${name}` } : { what: `an instance of ${name}`, fix };
    }
  }
}

function constructorName(value: object): string | undefined {
  try {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (typeof prototype !== "object" || prototype === null) return undefined;
    const maker: unknown = (prototype as { constructor?: unknown }).constructor;
    if (typeof maker !== "function") return undefined;
    const name: unknown = maker.name;
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    return undefined; // a hostile proxy or getter: the message does without the name
  }
}

/**
 * `"an async function"` or `"an async generator function"` for those, else `undefined`. Both the
 * prototype's `Symbol.toStringTag` and its constructor's name are read, so one spoofed or missing
 * marker is not enough to hide an async function.
 */
function asyncKind(fn: (...args: never[]) => unknown): string | undefined {
  const tag = Object.prototype.toString.call(fn);
  let maker: string | undefined;
  try {
    const prototype: unknown = Object.getPrototypeOf(fn);
    const name: unknown = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name === "string") maker = name;
  } catch {
    // a hostile proxy: the tag alone decides
  }
  if (tag === "[object AsyncGeneratorFunction]" || maker === "AsyncGeneratorFunction") {
    return "an async generator function";
  }
  if (tag === "[object AsyncFunction]" || maker === "AsyncFunction") return "an async function";
  return undefined;
}

function openFrame(container: object, key: string | number | undefined): Frame {
  if (Array.isArray(container)) {
    // Object.values, not Object.keys: both list the other properties after the elements, but
    // Object.keys makes a string of every index, several times slower on a large array.
    const values = Object.values(container);
    return { container, key, keys: undefined, values, size: container.length, next: 0, height: 0 };
  }
  const keys = Object.keys(container);
  return { container, key, keys, values: undefined, size: keys.length, next: 0, height: 0 };
}

/**
 * The first own enumerable string key of an array that is not an element index, or `undefined` if
 * there is none. Only on failure: it lists every index.
 */
function firstNonElementKey(array: readonly unknown[]): string | undefined {
  const { length } = array;
  for (const key of Object.keys(array)) {
    const index = Number(key);
    if (!(Number.isInteger(index) && index >= 0 && index < length && String(index) === key)) return key;
  }
  return undefined;
}

/** The first own enumerable symbol key of an object or an array, which `JSON.stringify` would drop. */
function enumerableSymbolKey(container: object): symbol | undefined {
  for (const symbol of Object.getOwnPropertySymbols(container)) {
    if (Object.prototype.propertyIsEnumerable.call(container, symbol)) return symbol;
  }
  return undefined;
}

/** Characters of a key that can follow a dot: `args[0].callback`. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function segment(key: string | number | symbol): string {
  if (typeof key === "number") return `[${key}]`;
  if (typeof key === "symbol") return `[${key.toString()}]`;
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * The path of a value: the root's name, the keys of the frames below the root, then `last`. Built
 * only on failure, so the walk itself never pays for strings.
 */
function pathTo(root: string, stack: readonly Frame[], last: string | number | symbol | undefined): string {
  let path = root;
  for (let i = 1; i < stack.length; i++) path += segment((stack[i] as Frame).key as string | number);
  return last === undefined ? path : path + segment(last);
}
