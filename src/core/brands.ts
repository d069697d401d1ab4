/**
 * Brands: `instanceof` that works across copies of this package, and what else a class declares
 * once — its literal name, its preset, its own fields and its default message.
 *
 * Each class's prototype carries the list of brands it answers to: its own, its ancestors', and any
 * extra parent (the two validation classes are also `ValidationError`). The key is a registered
 * symbol, so copies of this package loaded side by side (the ESM and CJS builds, or two versions)
 * read each other's brands. A brand is the class name, qualified by its preset for every preset but
 * the default one (`modal.NotFoundError`): two presets' same-named classes stay two classes, and an
 * older copy, which knew only the default preset's unqualified names, still agrees on every class it
 * shares.
 *
 * Every class registers itself from the initializer of its static `brand` field,
 * `static override readonly brand = defineErrorClass(this, "Name")`, a call marked free of side
 * effects: a bundle that never mentions a class leaves it out, registration and all, and one that
 * keeps a class keeps its registration (a pure call in a static block would be dropped either way).
 */

/** The brand list, as a prototype property. */
export const BRANDS = Symbol.for("sandbox-sdk-errors.brands");
/** The brand a class itself tests for, as a static own property. */
export const BRAND = Symbol.for("sandbox-sdk-errors.brand");
/** The class's own fields beyond the common ones, with their defaults, as a prototype property. */
export const FIELDS = Symbol.for("sandbox-sdk-errors.fields");
/** The preset a class belongs to (`undefined`: the default preset), as a prototype property. */
export const PRESET = Symbol.for("sandbox-sdk-errors.preset");
/** The sentence an error of the class says when it is given no message, as a prototype property. */
const DEFAULT_MESSAGE = Symbol.for("sandbox-sdk-errors.defaultMessage");

/**
 * A class's own fields, in declaration order: each with its default, and how `fromJSON` reads it
 * back (when it is not a plain string).
 */
export type OwnFields = readonly (readonly [
  field: string,
  fallback: unknown,
  revive: ((json: unknown) => unknown) | undefined,
  fromMetadata: boolean,
])[];

/** Any error class, whatever its constructor's signature (what `defineErrorClass` registers). */
// biome-ignore lint/suspicious/noExplicitAny: a class table holds constructors of any signature.
export type AnyErrorClass = abstract new (...args: any[]) => Error;

/** What {@link defineErrorClass} is told about a class beyond its name. */
export interface ErrorClassOptions {
  /**
   * The preset the class belongs to (`"modal"`), which qualifies its brand and its JSON; inherited
   * from the parent class when left out. The default preset has none.
   */
  readonly preset?: string | undefined;
  /**
   * The class's own fields beyond the common ones, each with its default (`{ filepath: undefined }`):
   * the constructor copies them from its options, `toJSON` writes them and `fromJSON` reads them back.
   * A subclass inherits its parent's.
   */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /**
   * How `fromJSON` reads back an own field that is not a string (a list, an object): a function of
   * the JSON value that returns the field's value, or `undefined` to leave a value that does not fit
   * out. A field without one is kept only when it is a string.
   */
  readonly revive?: Readonly<Record<string, (json: unknown) => unknown>> | undefined;
  /**
   * Own fields that fall back to the ErrorInfo metadata entry of the same name when not given (the
   * sandbox service reports a file's path in `metadata.filepath`). The testing kit sends them there.
   */
  readonly fromMetadata?: readonly string[] | undefined;
  /** A class the new one also answers `instanceof` for, besides its parent. */
  readonly alsoInstanceOf?: AnyErrorClass | undefined;
  /**
   * The sentence an error of the class says when constructed without a message. Default: the class
   * name in words (`SandboxNotFoundError` → "Sandbox not found").
   */
  readonly message?: string | undefined;
}

/** Every registered class by brand: `fromJSON` revives by it. Only classes a program loads are here. */
const CLASSES = new Map<string, AnyErrorClass>();

type Prototype = Record<string | symbol, unknown>;

/** Reads a symbol-keyed property of a prototype (inherited ones included). */
function carried<T>(prototype: object, key: symbol): T | undefined {
  return (prototype as Prototype)[key] as T | undefined;
}

/** The brand of a class named `name` in `preset`. */
export function brandOf(name: string, preset: string | undefined): string {
  return preset === undefined ? name : `${preset}.${name}`;
}

/**
 * Gives an error class what the package's own classes have: a literal `name` (on the prototype,
 * like `Error.prototype.name`, so it is there before any constructor body runs and survives
 * minifiers), `instanceof` that works across copies of this package (brands), a preset, its own
 * fields (copied from the constructor's options, written by `toJSON`, read back by `fromJSON`), a
 * default message, and a place in the registry `SandboxSdkError.fromJSON` revives from.
 *
 * Call it once per class, as the initializer of its static `brand` field (it returns the brand), so
 * that a bundler drops a class nobody uses — registration and all — and keeps the registration of
 * every class it keeps:
 *
 * ```ts
 * export class QuotaError extends SandboxSdkError {
 *   static override readonly brand: string = defineErrorClass(this, "QuotaError", {
 *     preset: "acme",
 *     fields: { quota: undefined },
 *   });
 *   declare readonly quota: string | undefined;
 * }
 * ```
 *
 * A class of an SDK's own catalogue works without it (ordinary prototype `instanceof`, the name
 * `defineCatalogue` gives it); call it for a name that survives a minifier, `instanceof` across copies
 * of the SDK, `fromJSON` revival or a field list.
 *
 * @param cls - The class, from its own static block (`this`).
 * @param name - Its name, as a literal.
 * @param options - Its preset, own fields, extra parent and default message.
 * @returns The class's brand: its name, qualified by its preset.
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineErrorClass(cls: AnyErrorClass, name: string, options?: ErrorClassOptions): string {
  const prototype = cls.prototype as Prototype;
  const parent = Object.getPrototypeOf(prototype) as Prototype;
  const preset = options?.preset ?? carried<string>(parent, PRESET);
  const brand = brandOf(name, preset);
  const parentBrands = carried<readonly string[]>(parent, BRANDS) ?? [];
  const also = options?.alsoInstanceOf;
  const extraBrands = also === undefined ? [] : (carried<readonly string[]>(also.prototype, BRANDS) ?? []);
  const parentFields = carried<OwnFields>(parent, FIELDS) ?? [];
  const fields = options?.fields;
  Object.defineProperty(prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(prototype, BRANDS, {
    value: Object.freeze([...new Set([brand, ...parentBrands, ...extraBrands])]),
  });
  if (fields !== undefined) {
    const revive = options?.revive ?? {};
    const fromMetadata = options?.fromMetadata ?? [];
    const own = Object.keys(fields).map((field) =>
      Object.freeze([field, fields[field], revive[field], fromMetadata.includes(field)] as const),
    );
    Object.defineProperty(prototype, FIELDS, { value: Object.freeze([...parentFields, ...own]) });
  }
  if (preset !== undefined) Object.defineProperty(prototype, PRESET, { value: preset });
  if (options?.message !== undefined) {
    Object.defineProperty(prototype, DEFAULT_MESSAGE, { value: options.message });
  }
  Object.defineProperty(cls, BRAND, { value: brand });
  CLASSES.set(brand, cls);
  return brand;
}

/** The class registered under `brand` (`NotFoundError`, `modal.NotFoundError`), if one is loaded. */
export function classOfBrand(brand: string): AnyErrorClass | undefined {
  return CLASSES.get(brand);
}

/** The own fields (and defaults) of an error's class, from its prototype; `[]` for a foreign value. */
export function ownFieldsOf(value: object): OwnFields {
  return carried<OwnFields>(value, FIELDS) ?? [];
}

/** The preset of an error's class; `undefined` for the default preset and for foreign values. */
export function presetOf(value: object): string | undefined {
  try {
    const preset = carried<unknown>(value, PRESET);
    return typeof preset === "string" ? preset : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sentence an error of the class whose prototype is `prototype` says without a message: the
 * one the class declared, else the class name in words — "Sandbox not found" for
 * `SandboxNotFoundError`, "Internal error" for `InternalError`, "Internal failure" for
 * `InternalFailure` — never an ancestor's sentence (`ModalError`'s "Modal error" is not
 * `NotFoundError`'s). A class with no name of its own (a user's subclass no catalogue named) says
 * what its nearest named ancestor says.
 */
export function defaultMessageOf(prototype: object): string {
  for (let current: object | null = prototype; current !== null; current = Object.getPrototypeOf(current)) {
    const declared = Object.hasOwn(current, DEFAULT_MESSAGE)
      ? (current as Prototype)[DEFAULT_MESSAGE]
      : undefined;
    if (typeof declared === "string") return declared;
    if (Object.hasOwn(current, "name")) return nameInWords(String((current as { name?: unknown }).name));
  }
  return "Error";
}

/** `SandboxNotFoundError` → "Sandbox not found"; `InternalError` → "Internal error". */
function nameInWords(name: string): string {
  const bare = name.endsWith("Error") && name.length > 5 ? name.slice(0, -5) : name;
  const words = bare.split(/(?=[A-Z])/).map((word, i) => (i === 0 ? word : word.toLowerCase()));
  if (name !== bare && words.length === 1) words.push("error");
  return words.join(" ");
}

/**
 * Whether `value` carries `brand`. Never throws: a proxy, a hostile getter, or a brand list that is
 * itself a proxy whose traps throw all read as "no".
 */
export function hasBrand(value: unknown, brand: string): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  try {
    const brands = (value as Record<symbol, unknown>)[BRANDS];
    return Array.isArray(brands) && brands.includes(brand);
  } catch {
    return false;
  }
}

/** The brand of the class of `value` (its first brand), or `undefined` for a foreign value. */
export function brandOfValue(value: unknown): string | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    const brands = (value as Record<symbol, unknown>)[BRANDS];
    return Array.isArray(brands) && typeof brands[0] === "string" ? brands[0] : undefined;
  } catch {
    return undefined;
  }
}
