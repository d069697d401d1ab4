/**
 * Brands: `instanceof` that works across copies of this package, and the registry of classes by name.
 *
 * Each class's prototype carries the list of brands (class names) it answers to: its own, its
 * ancestors', and any extra parent (the two validation classes are also `ValidationError`). The key
 * is a registered symbol, so copies of this package loaded side by side (the ESM and CJS builds, or
 * two versions) read each other's brands; brands are names, so two versions agree on every class they
 * share, and a class one version lacks simply matches nothing there.
 */

/** The brand list, as a prototype property. */
export const BRANDS = Symbol.for("sandbox-sdk-errors.brands");
/** The brand a class itself tests for, as a static own property. */
export const BRAND = Symbol.for("sandbox-sdk-errors.brand");
/** The class's own fields beyond the common ones, with their defaults, as a prototype property. */
export const FIELDS = Symbol.for("sandbox-sdk-errors.fields");

/** A class's own fields and their defaults, in declaration order. */
export type OwnFields = readonly (readonly [field: string, fallback: unknown])[];

// biome-ignore lint/suspicious/noExplicitAny: a class table holds constructors of any signature.
type AnyClass = abstract new (...args: any[]) => object;

/** Every registered class by name: `fromJSON` revives by it, and the mapping catalogue names classes. */
const CLASSES = new Map<string, AnyClass>();

/**
 * Registers a class: its literal `name` (on the prototype, like `Error.prototype.name`, so it is
 * there before any constructor body runs and survives minifiers), its brands and its own fields.
 * Called once per class, from its static block.
 */
export function defineErrorClass(
  cls: AnyClass,
  name: string,
  fields: Readonly<Record<string, unknown>> = {},
  alsoInstanceOf?: AnyClass,
): void {
  const prototype = cls.prototype as Record<symbol | string, unknown>;
  const parent = Object.getPrototypeOf(prototype) as Record<symbol, unknown>;
  const parentBrands = (parent[BRANDS] as readonly string[] | undefined) ?? [];
  const extraBrands =
    alsoInstanceOf === undefined ? [] : (alsoInstanceOf.prototype as Record<symbol, string[]>)[BRANDS];
  const parentFields = (parent[FIELDS] as OwnFields | undefined) ?? [];
  Object.defineProperty(prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(prototype, BRANDS, {
    value: Object.freeze([...new Set([name, ...parentBrands, ...(extraBrands ?? [])])]),
  });
  Object.defineProperty(prototype, FIELDS, {
    value: Object.freeze([...parentFields, ...Object.entries(fields)]),
  });
  Object.defineProperty(cls, BRAND, { value: name });
  CLASSES.set(name, cls);
}

/** The class registered under `name`, if any. */
export function classNamed(name: string): AnyClass | undefined {
  return CLASSES.get(name);
}

/** The own fields (and defaults) of an error's class, from its prototype; `[]` for a foreign value. */
export function ownFieldsOf(value: object): OwnFields {
  return ((value as Record<symbol, unknown>)[FIELDS] as OwnFields | undefined) ?? [];
}

/**
 * Whether `value` carries `brand`. Never throws: a proxy, a hostile getter, or a brand list that is
 * itself a proxy whose traps throw all read as "no".
 */
export function hasBrand(value: unknown, brand: string): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  try {
    const carried = (value as Record<symbol, unknown>)[BRANDS];
    return Array.isArray(carried) && carried.includes(brand);
  } catch {
    return false;
  }
}
