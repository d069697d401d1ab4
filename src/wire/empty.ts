/**
 * The shared empty values: every error and status without metadata or a list holds these very
 * objects (frozen, so sharing is safe), rather than a fresh empty one each.
 */

/** The empty list, frozen. */
export const EMPTY_LIST: readonly never[] = /* @__PURE__ */ Object.freeze([]);

/** The empty metadata map: frozen, with no prototype, like every metadata map. */
export const EMPTY_METADATA: Readonly<Record<string, string>> = /* @__PURE__ */ Object.freeze(
  Object.create(null),
);
