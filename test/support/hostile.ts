/** Hostile values for the never-throws tests. */

/** Throws: a getter or trap that refuses. */
export function boom(): never {
  throw new Error("hostile");
}

/** A proxy every trap of which throws: reading, probing or walking it fails at every step. */
export function throwingProxy<T extends object>(target: T = {} as T): T {
  return new Proxy(target, {
    get: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    getPrototypeOf: boom,
    set: boom,
    defineProperty: boom,
    deleteProperty: boom,
    apply: boom,
    construct: boom,
    isExtensible: boom,
    preventExtensions: boom,
    setPrototypeOf: boom,
  });
}
