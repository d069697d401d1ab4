/**
 * The shape of a catalogue: what an SDK author writes instead of a hand-written `mapGrpcError`, and
 * what the package's own presets are written in. Types only; `define.ts` checks and compiles a spec,
 * `walk.ts` maps a failure with it.
 */
import type { SandboxSdkError, SandboxSdkErrorOptions } from "../core/error.js";
import type { GrpcCode } from "../wire/codes.js";
import type { StatusDetail } from "../wire/details.js";
import type { FieldViolation } from "../wire/status-details.js";

/** A canonical gRPC code name: `"NOT_FOUND"`, `"UNAVAILABLE"`, ... */
export type CodeName = keyof typeof GrpcCode;

/**
 * A class a catalogue can produce: one that extends `SandboxSdkError` (of any copy of this package)
 * and takes `(message?, options?)`.
 */
export type ErrorClass<T extends SandboxSdkError = SandboxSdkError> = new (
  message?: string,
  options?: SandboxSdkErrorOptions,
) => T;

/** Read access to the headers and trailers a failure arrived with: `get` is case-insensitive. */
export interface HeadersLike {
  /** The first value of header (or trailer) `name`, or `null`. */
  get(name: string): string | null;
}

/** What rules (`when`) and messages read about one failure. */
export interface CatalogueFailure {
  /** The gRPC status code; `undefined` when the road carried none. */
  readonly code: number | undefined;
  /** Its canonical name (`"NOT_FOUND"`); `undefined` without a code. */
  readonly codeName: CodeName | undefined;
  /**
   * The failure in words: the server's message when it sent one, else the code's canonical name,
   * else (no code at all) the thrown value's message. What `{details}` says in a template.
   */
  readonly message: string;
  /** The server's own message exactly as the road delivered it; `undefined` when empty or absent. */
  readonly rawMessage: string | undefined;
  /** `ErrorInfo.reason` (or, for a REST body, the first of the catalogue's `reasonFields`). */
  readonly reason: string | undefined;
  /** `ErrorInfo.domain`; `undefined` for a reason read from a REST body. */
  readonly domain: string | undefined;
  /** `ErrorInfo.metadata` (`{}` without one). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every detail of the status, decoded. */
  readonly details: readonly StatusDetail[];
  /** The field violations of every BadRequest. */
  readonly fieldViolations: readonly FieldViolation[];
  /** The HTTP status of the response that carried the failure; `undefined` without one. */
  readonly httpStatus: number | undefined;
  /** The headers and trailers it arrived with (empty when the road carried none). */
  readonly headers: HeadersLike;
}

/** The mapping context every catalogue understands; a catalogue's own may add fields. */
export interface CatalogueContext {
  /** Which of the catalogue's scopes applies (its `defaultScope` when left out). */
  scope?: string | undefined;
  /** What the SDK was doing (`GetSandbox`, `exec`): the error's `operation`, `{operation}` in messages. */
  operation?: string | undefined;
  /** The sandbox concerned: the error's `sandboxId`, `{sandboxId}` in messages. */
  sandboxId?: string | undefined;
  /**
   * ErrorInfo domains whose reasons are trusted; default: the catalogue's `trustedDomains`. A single
   * string is read as a list of one.
   */
  trustedDomains?: readonly string[] | undefined;
}

/** What a `message` function reads: the failure, and what the SDK said about the call. */
export interface MessageFacts<Context extends CatalogueContext = CatalogueContext> extends CatalogueFailure {
  /** The context's `operation`. */
  readonly operation: string | undefined;
  /** The context's `sandboxId`. */
  readonly sandboxId: string | undefined;
  /** The whole mapping context. */
  readonly context: Readonly<Context>;
}

/**
 * A message: a function of the facts, or a template in which `{operation}` (default "operation"),
 * `{details}` (the failure in words), `{rawMessage}`, `{reason}`, `{codeName}`, `{httpStatus}`,
 * `{violations}` (`field: description; ...`), `{sandboxId}` and any string field of the context
 * (`{filepath}`) are filled in; or alternatives, of which the first whose placeholders all have a
 * value is used. When no template can be filled (a placeholder without a value in each), the
 * message is the failure in words, `{details}`, never a sentence with a hole in it.
 */
export type MessageSpec<Context extends CatalogueContext = CatalogueContext> =
  | string
  | readonly string[]
  | ((facts: MessageFacts<Context>) => string);

/** A rule: the class to produce when `when` holds (always, without `when`), with its own message. */
export interface Rule<Context extends CatalogueContext = CatalogueContext> {
  /** Whether the rule applies. A `when` that throws counts as false. */
  readonly when?: ((failure: CatalogueFailure, context: Readonly<Context>) => boolean) | undefined;
  /** The class it produces. */
  readonly then: ErrorClass;
  /** The message of errors this rule produces; default: the scope's, then the catalogue's. */
  readonly message?: MessageSpec<Context> | undefined;
}

/**
 * A row: a class; a rule; or rules tried in order, optionally ending with a class (the fallback;
 * without one, and when no rule holds, the next step decides).
 */
export type Row<Context extends CatalogueContext = CatalogueContext> =
  | ErrorClass
  | Rule<Context>
  | readonly (Rule<Context> | ErrorClass)[];

/** An HTTP status (`404`) or a class of them (`"4xx"`, `"5xx"`). */
export type HttpStatusKey = number | `${1 | 2 | 3 | 4 | 5}xx`;

/** The rows of the top level or of one scope. */
export interface CatalogueRows<Context extends CatalogueContext = CatalogueContext> {
  /** The class for anything no row names (a scope without one uses the top level's). */
  readonly root?: ErrorClass | undefined;
  /** Trusted `ErrorInfo.reason` (or REST `reasonFields` value) → row; wins over the code. */
  readonly reasons?: Readonly<Record<string, Row<Context>>> | undefined;
  /** HTTP status → row, for failures that carried one: tried after reasons, before codes. */
  readonly httpStatuses?: Readonly<Partial<Record<HttpStatusKey, Row<Context>>>> | undefined;
  /** gRPC code name → row. */
  readonly codes?: Readonly<Partial<Record<CodeName, Row<Context>>>> | undefined;
  /** The message of errors these rows produce when their rule has none. */
  readonly message?: MessageSpec<Context> | undefined;
}

/** A catalogue: the mapping rules of an SDK's errors, as data. See `defineCatalogue`. */
export interface CatalogueSpec<
  Root extends SandboxSdkError = SandboxSdkError,
  Context extends CatalogueContext = CatalogueContext,
> extends CatalogueRows<Context> {
  /** The catalogue's name (`"cwsandbox"`, `"modal"`): for messages, docs and the testing kit. */
  readonly name?: string | undefined;
  /** The class for anything no rule names. */
  readonly root: ErrorClass<Root>;
  /** The ErrorInfo domains whose reasons are believed (default: none). */
  readonly trustedDomains?: readonly string[] | undefined;
  /** Rows layered over the top level, chosen by the mapping context's `scope`. */
  readonly scopes?: Readonly<Record<string, CatalogueRows<Context>>> | undefined;
  /** The scope used when the context names none. */
  readonly defaultScope?: string | undefined;
  /** The class of a failure to reach the server at all (instead of the class UNAVAILABLE gives). */
  readonly network?: ErrorClass | undefined;
  /** The class of the SDK's own request timeout (axios' `timeout of N ms exceeded`). */
  readonly timeout?: ErrorClass | undefined;
  /** String fields of a REST error body read as `reason` (E2B's `error_code`); the first present wins. */
  readonly reasonFields?: readonly string[] | undefined;
  /**
   * The status code the server sends each reason with, for the testing kit (which sends it with an
   * error that has no code of its own) and the docs.
   */
  readonly reasonCodes?: Readonly<Record<string, CodeName>> | undefined;
}
