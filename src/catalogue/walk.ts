/**
 * The walk (SPEC §17): one failure, as the seam read it, through a compiled catalogue — trusted
 * reasons, then HTTP statuses (exact before `4xx`/`5xx`), then codes, then the root; at each step the
 * context's scope's rows before the top level's — into an error with every common field set. Total:
 * a `when` or `message` that throws counts as false / the default message, and a hostile context is
 * mapped without.
 */
import { ownFieldsOf } from "../core/brands.js";
import { ADOPT, SandboxSdkError, type SandboxSdkErrorOptions } from "../core/error.js";
import { type Failure, messageOf, readFailure, retryDelayOf } from "../roads/failure.js";
import { headersView } from "../roads/headers.js";
import { GRPC_CODE_NAMES, GrpcCode } from "../wire/codes.js";
import { Vocabulary } from "../wire/details.js";
import { EMPTY_LIST, EMPTY_METADATA } from "../wire/empty.js";
import { restoreStackCapture, suspendStackCapture } from "../wire/stack.js";
import type { DecodeOptions, FieldViolation } from "../wire/status-details.js";
import type { CompiledCatalogue, CompiledMessage, CompiledRows, Entry } from "./compile.js";
import type { CatalogueContext, CatalogueFailure, CodeName, ErrorClass, MessageFacts } from "./spec.js";

/** What the walk chose: the class, and the message spec that goes with it. */
interface Choice {
  readonly then: ErrorClass;
  readonly message: CompiledMessage | undefined;
}

/** One failure being mapped: what the walk, the rules and the messages read. */
class Mapping {
  private view: CatalogueFailure | undefined;
  readonly message: string;

  constructor(
    readonly failure: Failure,
    readonly context: CatalogueContext,
    readonly reason: string | undefined,
    readonly domain: string | undefined,
    /** Whether the reason came from a REST body's `reasonFields` (trusted by the catalogue alone). */
    readonly reasonFromBody: boolean,
  ) {
    this.message = messageOf(failure);
  }

  /** The failure as rules and message functions see it, made on first use. */
  failureView(): CatalogueFailure {
    if (this.view !== undefined) return this.view;
    const { failure } = this;
    const code = failure.code;
    this.view = Object.freeze({
      code,
      codeName: code === undefined ? undefined : (GRPC_CODE_NAMES[code] as CodeName),
      message: this.message,
      rawMessage: rawMessageOf(failure),
      reason: this.reason,
      domain: this.domain,
      metadata: failure.status?.metadata ?? EMPTY_METADATA,
      details: failure.status?.details ?? EMPTY_LIST,
      fieldViolations: failure.status?.fieldViolations ?? EMPTY_LIST,
      httpStatus: failure.httpStatus,
      headers: headersView(failure.headers),
    });
    return this.view;
  }

  facts(): MessageFacts {
    const { context } = this;
    return { ...this.failureView(), operation: context.operation, sandboxId: context.sandboxId, context };
  }

  /** The first entry of `entries` that holds. */
  choose(entries: readonly Entry[] | undefined): Entry | undefined {
    if (entries === undefined) return undefined;
    for (const entry of entries) {
      if (entry.when === undefined) return entry;
      let holds = false;
      try {
        holds = entry.when(this.failureView(), this.context) === true;
      } catch {
        // A rule that throws does not hold: mapping stays total.
      }
      if (holds) return entry;
    }
    return undefined;
  }
}

/** The server's own message, when it sent a non-empty one (never for client-side failures). */
function rawMessageOf(failure: Failure): string | undefined {
  if (failure.kind !== undefined) return undefined;
  const raw = failure.rawMessage;
  return raw === undefined || raw === "" ? undefined : raw;
}

function isTrusted(domain: string | undefined, given: unknown, fallback: readonly string[]): boolean {
  if (domain === undefined) return false;
  if (Array.isArray(given)) return given.includes(domain);
  // A string is one domain: never `"cwsandbox.com".includes("")`, which would trust the empty one.
  if (typeof given === "string") return given === domain;
  return fallback.includes(domain);
}

/** The first of `fields` that is a non-empty string in a REST body. */
function bodyReason(body: Readonly<Record<string, unknown>> | undefined, fields: readonly string[]) {
  if (body === undefined) return undefined;
  for (const field of fields) {
    const value = Object.hasOwn(body, field) ? body[field] : undefined;
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** The first entry that holds in the scope's rows `pick` names, then in the top level's. */
function first(
  mapping: Mapping,
  scope: CompiledRows | undefined,
  top: CompiledRows,
  pick: (rows: CompiledRows) => readonly Entry[] | undefined,
): Entry | undefined {
  return (scope === undefined ? undefined : mapping.choose(pick(scope))) ?? mapping.choose(pick(top));
}

/** The walk: the class (and its message) the catalogue gives this failure. */
function walk(catalogue: CompiledCatalogue, mapping: Mapping, scope: CompiledRows | undefined): Choice {
  const { failure } = mapping;
  const top = catalogue.top;
  const root = scope?.root ?? catalogue.root;
  if (failure.kind === "abort") return { then: root, message: undefined };
  if (failure.kind === "timeout" && catalogue.timeout !== undefined) {
    return { then: catalogue.timeout, message: undefined };
  }
  if (failure.kind === "network" && catalogue.network !== undefined) {
    return { then: catalogue.network, message: undefined };
  }
  const reason =
    mapping.reasonFromBody ||
    isTrusted(mapping.domain, readContext(mapping.context, "trustedDomains"), catalogue.trustedDomains)
      ? mapping.reason
      : undefined;
  let entry: Entry | undefined;
  if (reason !== undefined) entry = first(mapping, scope, top, (rows) => rows.reasons.get(reason));
  const status = failure.httpStatus;
  if (entry === undefined && status !== undefined) {
    entry =
      first(mapping, scope, top, (rows) => rows.httpExact.get(status)) ??
      first(mapping, scope, top, (rows) => rows.httpClass[Math.floor(status / 100)]);
  }
  const code = failure.code;
  if (entry === undefined && code !== undefined)
    entry = first(mapping, scope, top, (rows) => rows.codes[code]);
  return entry ?? { then: root, message: undefined };
}

function readContext(context: CatalogueContext, key: string): unknown {
  return (context as Record<string, unknown>)[key];
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

function violationsText(violations: readonly FieldViolation[]): string | undefined {
  let text: string | undefined;
  for (const v of violations) {
    const one = v.field && v.description ? `${v.field}: ${v.description}` : v.field || v.description;
    text = text === undefined ? one : `${text}; ${one}`;
  }
  return text;
}

/** The value of placeholder `name` for this failure; `undefined` when it has none. */
function placeholder(name: string, mapping: Mapping): string | undefined {
  const { failure, context } = mapping;
  switch (name) {
    case "operation":
      return stringOf(context.operation) ?? "operation";
    case "details":
      return mapping.message;
    case "rawMessage":
      return rawMessageOf(failure);
    case "reason":
      return mapping.reason;
    case "codeName":
      return failure.code === undefined ? undefined : GRPC_CODE_NAMES[failure.code];
    case "httpStatus":
      return failure.httpStatus === undefined ? undefined : String(failure.httpStatus);
    case "violations":
      return violationsText(failure.status?.fieldViolations ?? EMPTY_LIST);
    default: {
      const value = readContext(context, name);
      return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    }
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Fills one split template, or `undefined` when a placeholder has no value. */
function fill(parts: readonly string[], mapping: Mapping): string | undefined {
  let text = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const value = placeholder(parts[i] as string, mapping);
    if (value === undefined) return undefined;
    text += value + (parts[i + 1] as string);
  }
  return text;
}

function render(message: CompiledMessage | undefined, mapping: Mapping): string {
  if (message === undefined) return mapping.message;
  if (message.kind === "function") {
    try {
      const text: unknown = message.render(mapping.facts());
      if (typeof text === "string") return text;
    } catch {
      // A message function that throws gives the default message: mapping stays total.
    }
    return mapping.message;
  }
  for (const parts of message.templates) {
    const text = fill(parts, mapping);
    if (text !== undefined) return text;
  }
  return mapping.message;
}

function abortMessage(mapping: Mapping): string {
  const operation = stringOf(mapping.context.operation) ?? "operation";
  return mapping.failure.code === GrpcCode.DEADLINE_EXCEEDED
    ? `${operation} timed out`
    : `${operation} was aborted`;
}

// ---------------------------------------------------------------------------------------------
// The error
// ---------------------------------------------------------------------------------------------

/** The decoder's options for a catalogue: its reasons and domains interned (made on first use). */
const DECODE = new WeakMap<CompiledCatalogue, DecodeOptions>();
/** The catalogue mapped last and its options: the usual case, one preset in a program, skips the map. */
let lastCatalogue: CompiledCatalogue | undefined;
let lastOptions: DecodeOptions | undefined;

export function decodeOptionsOf(catalogue: CompiledCatalogue): DecodeOptions {
  if (catalogue === lastCatalogue) return lastOptions as DecodeOptions;
  let options = DECODE.get(catalogue);
  if (options === undefined) {
    options = { withMessage: false, vocabulary: new Vocabulary(catalogue.words) };
    DECODE.set(catalogue, options);
  }
  lastCatalogue = catalogue;
  lastOptions = options;
  return options;
}

const NO_CONTEXT: CatalogueContext = {};

/** Maps a failure the seam has read; throws only for a hostile context (see {@link mapSuspended}). */
function mapRead(
  catalogue: CompiledCatalogue,
  failure: Failure,
  cause: unknown,
  context: CatalogueContext,
): SandboxSdkError {
  const status = failure.status;
  let reason = status?.reason;
  const domain = status?.domain;
  let reasonFromBody = false;
  if (reason === undefined && catalogue.reasonFields.length > 0) {
    reason = bodyReason(failure.body, catalogue.reasonFields);
    reasonFromBody = reason !== undefined;
  }
  const mapping = new Mapping(failure, context, reason, domain, reasonFromBody);
  const scopeName = context.scope ?? catalogue.defaultScope;
  const scope = typeof scopeName === "string" ? catalogue.scopes.get(scopeName) : undefined;
  const choice = walk(catalogue, mapping, scope);
  const ErrorType = choice.then;
  const clientSide =
    failure.kind === "abort" || (failure.kind === "timeout" && catalogue.timeout !== undefined);
  const message =
    failure.kind === "abort"
      ? abortMessage(mapping)
      : render(choice.message ?? scope?.message ?? catalogue.top.message, mapping);
  const options: SandboxSdkErrorOptions & Record<string | symbol, unknown> = {
    cause,
    reason,
    domain,
    metadata: status?.metadata,
    retryDelay: retryDelayOf(failure),
    grpcCode: clientSide || failure.kind === "timeout" ? undefined : failure.code,
    details: status?.details,
    requestId: status?.requestId,
    rawMessage: rawMessageOf(failure),
    httpStatus: failure.httpStatus,
    operation: stringOf(context.operation),
    sandboxId: stringOf(context.sandboxId),
    [ADOPT]: true,
  };
  for (const [field] of ownFieldsOf(ErrorType.prototype)) {
    options[field] =
      field === "fieldViolations" ? (status?.fieldViolations ?? EMPTY_LIST) : readContext(context, field);
  }
  return new ErrorType(message, options);
}

/**
 * Reads (unless already read) and maps, with stack capture suspended by the caller; puts it back.
 * Never throws: a hostile context (a throwing getter) is mapped without its context, and anything
 * else that goes wrong gives the catalogue's root with a message saying so.
 */
export function mapSuspended(
  catalogue: CompiledCatalogue,
  read: Failure | undefined,
  error: unknown,
  context: CatalogueContext | undefined,
  limit: number | undefined,
): SandboxSdkError {
  try {
    const failure = read ?? readFailure(error, decodeOptionsOf(catalogue));
    try {
      return mapRead(catalogue, failure, error, context ?? NO_CONTEXT);
    } catch {
      return mapRead(catalogue, failure, error, NO_CONTEXT);
    }
  } catch {
    try {
      return new catalogue.root("operation failed: the error could not be mapped", { cause: error });
    } catch {
      return new SandboxSdkError("operation failed: the error could not be mapped", { cause: error });
    }
  } finally {
    restoreStackCapture(limit);
  }
}

/** Maps without a stack: for judging an error (retry), never for throwing it. */
export function mapQuietly(catalogue: CompiledCatalogue, error: unknown, context?: CatalogueContext) {
  return mapSuspended(catalogue, undefined, error, context, suspendStackCapture());
}
