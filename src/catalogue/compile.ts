/**
 * A catalogue spec checked and compiled: every entry validated once, at definition (a bad one is a
 * `TypeError` that names it), and indexed for the walk — reasons in a map, codes in an array by
 * number, HTTP statuses exact and by class, message templates split once.
 */
import { hasBrand } from "../core/brands.js";
import type { SandboxSdkError } from "../core/error.js";
import { GrpcCode, toGrpcCode } from "../wire/codes.js";
import type {
  CatalogueContext,
  CatalogueFailure,
  CatalogueRows,
  CatalogueSpec,
  CodeName,
  ErrorClass,
  MessageFacts,
  Row,
} from "./spec.js";

/** A message, ready to render: template alternatives split at their placeholders, or a function. */
export type CompiledMessage =
  | { readonly kind: "templates"; readonly templates: readonly (readonly string[])[] }
  | { readonly kind: "function"; readonly render: (facts: MessageFacts) => string };

/** One entry of a row: a class (no `when`) or a rule. */
export interface Entry {
  readonly when: ((failure: CatalogueFailure, context: CatalogueContext) => boolean) | undefined;
  readonly then: ErrorClass;
  readonly message: CompiledMessage | undefined;
}

/** The rows of one level (the top, or a scope), indexed. */
export interface CompiledRows {
  readonly root: ErrorClass | undefined;
  readonly reasons: ReadonlyMap<string, readonly Entry[]>;
  /** By code number. */
  readonly codes: readonly (readonly Entry[] | undefined)[];
  readonly httpExact: ReadonlyMap<number, readonly Entry[]>;
  /** By the status's first digit (`"4xx"` at 4). */
  readonly httpClass: readonly (readonly Entry[] | undefined)[];
  readonly message: CompiledMessage | undefined;
}

/** A whole catalogue, compiled. */
export interface CompiledCatalogue {
  readonly name: string | undefined;
  readonly root: ErrorClass;
  readonly top: CompiledRows;
  readonly scopes: ReadonlyMap<string, CompiledRows>;
  readonly defaultScope: string | undefined;
  readonly trustedDomains: readonly string[];
  readonly network: ErrorClass | undefined;
  readonly timeout: ErrorClass | undefined;
  readonly reasonFields: readonly string[];
  readonly reasonCodes: ReadonlyMap<string, GrpcCode>;
  /** Every reason any level names, and the trusted domains: the words the decoder interns. */
  readonly words: readonly string[];
  /** The spec, as given (frozen): the testing kit and the docs read it. */
  readonly spec: CatalogueSpec;
}

const SPEC_KEYS = new Set([
  "name",
  "root",
  "trustedDomains",
  "reasons",
  "httpStatuses",
  "codes",
  "message",
  "scopes",
  "defaultScope",
  "network",
  "timeout",
  "reasonFields",
  "reasonCodes",
]);
const ROWS_KEYS = new Set(["root", "reasons", "httpStatuses", "codes", "message"]);

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function")
    return value.name === "" ? "an anonymous function" : `function ${value.name}`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value === "object" ? "an object" : String(value);
}

function fail(where: string, problem: string): never {
  throw new TypeError(`defineCatalogue: ${where} ${problem}`);
}

/** Whether `value` is a class that extends `SandboxSdkError` (of any copy of this package). */
function isErrorClass(value: unknown): value is ErrorClass {
  if (typeof value !== "function") return false;
  const prototype = (value as { prototype?: unknown }).prototype;
  return typeof prototype === "object" && prototype !== null && hasBrand(prototype, "SandboxSdkError");
}

function checkClass(where: string, value: unknown): ErrorClass {
  if (!isErrorClass(value))
    fail(where, `must be a class that extends SandboxSdkError, got ${describe(value)}`);
  return value;
}

function checkObject(where: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(where, `must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Splits a template at its placeholders: literal text at even indexes, placeholder names at odd. */
export function splitTemplate(template: string): readonly string[] {
  return template.split(/\{(\w+)\}/);
}

function compileMessage(where: string, value: unknown): CompiledMessage | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "function")
    return { kind: "function", render: value as (facts: MessageFacts) => string };
  const templates = typeof value === "string" ? [value] : value;
  if (!Array.isArray(templates) || templates.length === 0 || !templates.every((t) => typeof t === "string")) {
    fail(where, `must be a template string, a non-empty list of them, or a function, got ${describe(value)}`);
  }
  return { kind: "templates", templates: templates.map(splitTemplate) };
}

function compileRow(where: string, row: unknown): readonly Entry[] {
  const entries = Array.isArray(row) ? row : [row];
  if (entries.length === 0) fail(where, "must not be an empty list");
  return entries.map((entry, i): Entry => {
    const at = Array.isArray(row) ? `${where}[${i}]` : where;
    if (typeof entry === "function") {
      if (Array.isArray(row) && i !== entries.length - 1) {
        fail(
          at,
          "is a class before the end of the list: a class always matches, so only the last entry may be one",
        );
      }
      return { when: undefined, then: checkClass(at, entry), message: undefined };
    }
    const rule = checkObject(at, entry);
    for (const key of Object.keys(rule)) {
      if (key !== "when" && key !== "then" && key !== "message")
        fail(`${at}.${key}`, "is not a rule field (when, then, message)");
    }
    if (!("then" in rule)) fail(at, "has no `then`: a rule must name the class it produces");
    if (rule.when !== undefined && typeof rule.when !== "function") {
      fail(`${at}.when`, `must be a function (failure, context) => boolean, got ${describe(rule.when)}`);
    }
    return {
      when: rule.when as Entry["when"],
      then: checkClass(`${at}.then`, rule.then),
      message: compileMessage(`${at}.message`, rule.message),
    };
  });
}

function codeOfName(where: string, name: string): GrpcCode {
  const code = Object.hasOwn(GrpcCode, name) ? GrpcCode[name as CodeName] : undefined;
  if (code === undefined) {
    const near = toGrpcCode(name);
    const hint = near === undefined ? "" : ` (did you mean ${Object.keys(GrpcCode)[near]}?)`;
    fail(where, `is not a gRPC code name such as NOT_FOUND${hint}`);
  }
  return code;
}

function compileRows(
  where: string,
  value: unknown,
  words: Set<string>,
  // The top level is a spec, whose own fields (name, scopes, ...) were checked already.
  keys: ReadonlySet<string> = ROWS_KEYS,
): CompiledRows {
  const rows = checkObject(where, value) as CatalogueRows;
  for (const key of Object.keys(rows)) {
    if (!keys.has(key)) fail(`${where}.${key}`, `is not a field of a scope (${[...ROWS_KEYS].join(", ")})`);
  }
  const reasons = new Map<string, readonly Entry[]>();
  if (rows.reasons !== undefined) {
    const given = checkObject(`${where}.reasons`, rows.reasons);
    for (const reason of Object.keys(given)) {
      if (reason === "")
        fail(`${where}.reasons`, "has an empty reason: an empty ErrorInfo.reason means none was sent");
      reasons.set(reason, compileRow(`${where}.reasons.${reason}`, given[reason] as Row));
      words.add(reason);
    }
  }
  const codes: (readonly Entry[] | undefined)[] = [];
  if (rows.codes !== undefined) {
    const given = checkObject(`${where}.codes`, rows.codes);
    for (const name of Object.keys(given)) {
      codes[codeOfName(`${where}.codes.${name}`, name)] = compileRow(
        `${where}.codes.${name}`,
        given[name] as Row,
      );
    }
  }
  const httpExact = new Map<number, readonly Entry[]>();
  const httpClass: (readonly Entry[] | undefined)[] = [];
  if (rows.httpStatuses !== undefined) {
    const given = checkObject(`${where}.httpStatuses`, rows.httpStatuses);
    for (const key of Object.keys(given)) {
      const at = `${where}.httpStatuses.${key}`;
      const entries = compileRow(at, given[key] as Row);
      if (/^[1-5]xx$/i.test(key)) httpClass[Number(key[0])] = entries;
      else if (/^[1-5]\d\d$/.test(key)) httpExact.set(Number(key), entries);
      else fail(at, 'is not an HTTP status (100-599) or a class of them ("4xx", "5xx")');
    }
  }
  return {
    root: rows.root === undefined ? undefined : checkClass(`${where}.root`, rows.root),
    reasons,
    codes,
    httpExact,
    httpClass,
    message: compileMessage(`${where}.message`, rows.message),
  };
}

function stringList(where: string, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
    fail(where, `must be a list of strings, got ${describe(value)}`);
  }
  return Object.freeze([...value]);
}

/**
 * Checks a spec and compiles it. Throws a `TypeError` naming the first bad entry: a class that does
 * not extend `SandboxSdkError`, an unknown code name, a rule without `then`, an HTTP status key that
 * is neither a status nor a class of them, a field the spec does not have.
 */
export function compileCatalogue<Context extends CatalogueContext>(
  spec: CatalogueSpec<SandboxSdkError, Context>,
): CompiledCatalogue {
  const given = checkObject("the spec", spec) as unknown as CatalogueSpec;
  for (const key of Object.keys(given)) {
    if (!SPEC_KEYS.has(key)) fail(key, `is not a field of a catalogue spec (${[...SPEC_KEYS].join(", ")})`);
  }
  if (!("root" in given)) fail("the spec", "has no `root`: the class for anything no rule names");
  if (given.name !== undefined && typeof given.name !== "string")
    fail("name", `must be a string, got ${describe(given.name)}`);
  const words = new Set<string>();
  const top = compileRows("the spec", given, words, SPEC_KEYS);
  const scopes = new Map<string, CompiledRows>();
  if (given.scopes !== undefined) {
    const named = checkObject("scopes", given.scopes);
    for (const scope of Object.keys(named))
      scopes.set(scope, compileRows(`scopes.${scope}`, named[scope], words));
  }
  if (given.defaultScope !== undefined && !scopes.has(given.defaultScope)) {
    fail("defaultScope", `names no scope of the spec, got ${describe(given.defaultScope)}`);
  }
  const trustedDomains = stringList("trustedDomains", given.trustedDomains);
  for (const domain of trustedDomains) words.add(domain);
  const reasonCodes = new Map<string, GrpcCode>();
  if (given.reasonCodes !== undefined) {
    const codes = checkObject("reasonCodes", given.reasonCodes);
    for (const reason of Object.keys(codes)) {
      const name = codes[reason];
      if (typeof name !== "string")
        fail(`reasonCodes.${reason}`, `must be a gRPC code name, got ${describe(name)}`);
      reasonCodes.set(reason, codeOfName(`reasonCodes.${reason}`, name));
    }
  }
  return {
    name: given.name,
    root: checkClass("root", given.root),
    top,
    scopes,
    defaultScope: given.defaultScope,
    trustedDomains,
    network: given.network === undefined ? undefined : checkClass("network", given.network),
    timeout: given.timeout === undefined ? undefined : checkClass("timeout", given.timeout),
    reasonFields: stringList("reasonFields", given.reasonFields),
    reasonCodes,
    words: [...words],
    spec: given,
  };
}
