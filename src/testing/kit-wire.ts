/**
 * The wire form of an error, for the testing kit: the error's catalogue read backwards. Every road
 * of the kit (grpc-js's `toServiceError`, JSON bodies, `Response`s) sends what this gives, so that
 * the catalogue's `fromGrpcStatus` on the far side gives the error back. It works for any catalogue
 * (both presets and an SDK's own): candidate statuses are tried in order, each checked with the
 * catalogue's own mapping, so a rule's `when` — opaque code — is honoured without being read.
 */

import {
  type CatalogueContext,
  type CatalogueSpec,
  catalogueOf,
  type ErrorClass,
  type FieldViolation,
  GrpcCode,
  type Mapping,
  type ParsedStatus,
  parseStatusDetails,
  type Row,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "sandbox-sdk-errors";
import { encodeStatus as encode, hasUnpairedSurrogate, type StatusInit, show } from "./encode.js";

/** What the kit puts on the wire for an error: the status, and the transport's own message. */
export interface WireStatus {
  readonly code: GrpcCode;
  /** The transport's message (grpc-js `details`, Connect's message, gRPC-web's `grpc-message`). */
  readonly transportMessage: string;
  /** The status, its details complete: what the blob or the JSON body carries. */
  readonly status: StatusInit & { readonly message: string; readonly details: readonly StatusDetail[] };
}

/** The kit's option that names the catalogue an error is sent for. */
export interface KitCatalogueOption {
  /**
   * The catalogue the far side maps with (`defineCatalogue`'s result). Default: the catalogue the
   * error belongs to (its preset's: the default one, Modal's once `sandbox-sdk-errors/modal` is
   * loaded, or an SDK's own whose classes `defineErrorClass` gave a preset). Pass it for the classes
   * of an SDK's own catalogue declared without `defineErrorClass`: the kit cannot tell their
   * catalogue, and would read the default preset's backwards.
   */
  // `never`: a catalogue whose rules read a context of its own type is accepted too; the kit only
  // hands back contexts built from the catalogue's own spec.
  readonly catalogue?: Pick<Mapping<SandboxSdkError, never>, "fromGrpcStatus" | "spec"> | undefined;
}

/** grpc-js's own sentence for a message over its limit, at its default 4 MiB receive limit. */
const GRPC_JS_TOO_LARGE = "Received message larger than max (4194305 vs. 4194304)";
const GRPC_JS_SENTENCE = /Received message larger than max \(\d+ vs\. \d+\)/;
/** What grpc-js says of a message over a limit, which a size-limit rule reads. */
const TOO_LARGE = /larger than/g;

/** The largest `retryDelay` a Duration can carry, in milliseconds. */
const MAX_DURATION_MS = 315_576_000_000_000;

const CODE_NAMES = Object.keys(GrpcCode) as (keyof typeof GrpcCode)[];

type Catalogue = Pick<Mapping, "fromGrpcStatus" | "spec">;

/** The classes a row names. */
function classesOf(row: Row | undefined): ErrorClass[] {
  if (row === undefined) return [];
  const entries = Array.isArray(row) ? row : [row];
  return entries.map((entry) => (typeof entry === "function" ? entry : (entry as { then: ErrorClass }).then));
}

/** Where a class is produced in a spec: the scope (or the top level), and how. */
interface Producer {
  readonly cls: ErrorClass;
  /** The scope to map with; `undefined`: the spec's default. */
  readonly scope: string | undefined;
  /** The reasons whose rows name it. */
  readonly reasons: readonly string[];
  /** The codes whose rows name it. */
  readonly codes: readonly GrpcCode[];
  /** Whether it is a root (what anything no row names becomes). */
  readonly isRoot: boolean;
}

/** Every level of a spec, as `[scope, rows]`: the default scope first, then the others, then the top. */
function levelsOf(
  spec: CatalogueSpec,
): [string | undefined, CatalogueSpec | NonNullable<CatalogueSpec["scopes"]>[string]][] {
  const scopes = spec.scopes ?? {};
  const names = Object.keys(scopes).sort((a, b) =>
    a === spec.defaultScope ? -1 : b === spec.defaultScope ? 1 : 0,
  );
  const levels: [string | undefined, CatalogueSpec | NonNullable<CatalogueSpec["scopes"]>[string]][] =
    names.map((name) => [name, scopes[name] as NonNullable<CatalogueSpec["scopes"]>[string]]);
  levels.push([undefined, spec]);
  return levels;
}

function producerIn(spec: CatalogueSpec, cls: ErrorClass): Producer | undefined {
  for (const [scope, rows] of levelsOf(spec)) {
    const reasons = Object.keys(rows.reasons ?? {}).filter((reason) =>
      classesOf((rows.reasons as Record<string, Row>)[reason]).includes(cls),
    );
    const codes = CODE_NAMES.filter((name) =>
      classesOf((rows.codes as Record<string, Row> | undefined)?.[name]).includes(cls),
    ).map((name) => GrpcCode[name]);
    // A scope without a root of its own uses the top level's.
    const isRoot = (rows.root ?? spec.root) === cls;
    if (reasons.length > 0 || codes.length > 0 || isRoot) return { cls, scope, reasons, codes, isRoot };
  }
  return undefined;
}

/** Whether `child` is `parent` or a subclass of it. */
function extendsClass(child: ErrorClass, parent: ErrorClass): boolean {
  return child === parent || Object.prototype.isPrototypeOf.call(parent.prototype, child.prototype);
}

/** Every class a spec names, in the order its rows name them. */
function classesIn(spec: CatalogueSpec): ErrorClass[] {
  const classes: ErrorClass[] = [];
  for (const [, rows] of levelsOf(spec)) {
    for (const row of [...Object.values(rows.reasons ?? {}), ...Object.values(rows.codes ?? {})]) {
      for (const cls of classesOf(row as Row)) if (!classes.includes(cls)) classes.push(cls);
    }
    if (rows.root !== undefined && !classes.includes(rows.root)) classes.push(rows.root);
  }
  if (!classes.includes(spec.root)) classes.push(spec.root);
  return classes;
}

/**
 * The class an error travels as: its own when a row (or a root) names it; else the first subclass a
 * code row names (the timeout family travels as its retryable member, the nearest thing a server's
 * DEADLINE_EXCEEDED gives); else its nearest ancestor that one names.
 */
function travelsAs(spec: CatalogueSpec, error: SandboxSdkError): Producer {
  let prototype: object | null = Object.getPrototypeOf(error);
  const own = prototype?.constructor as ErrorClass | undefined;
  if (own !== undefined) {
    const producer = producerIn(spec, own);
    if (producer !== undefined) return producer;
    for (const cls of classesIn(spec)) {
      const sub = extendsClass(cls, own) ? producerIn(spec, cls) : undefined;
      if (sub !== undefined && sub.codes.length > 0) return sub;
    }
  }
  while (prototype !== null) {
    const cls = (prototype as { constructor?: unknown }).constructor;
    if (typeof cls === "function") {
      const producer = producerIn(spec, cls as ErrorClass);
      if (producer !== undefined) return producer;
    }
    prototype = Object.getPrototypeOf(prototype);
  }
  return { cls: spec.root, scope: undefined, reasons: [], codes: [], isRoot: true };
}

/** The error's code when it is one a failed call can carry (OK would read as success). */
function ownCode(error: SandboxSdkError): GrpcCode | undefined {
  const code = error.grpcCode;
  return Number.isInteger(code) && (code as number) >= 1 && (code as number) <= 16
    ? (code as GrpcCode)
    : undefined;
}

/** Replaces unpaired surrogates with U+FFFD, as a UTF-8 encoder would. */
function wellFormed(text: string): string {
  return hasUnpairedSurrogate(text) ? new TextDecoder().decode(new TextEncoder().encode(text)) : text;
}

/** A class's own fields as its prototype lists them (see `defineErrorClass`). */
type OwnFieldList = readonly (readonly [string, unknown, unknown, boolean])[];
const FIELDS = Symbol.for("sandbox-sdk-errors.fields");

/**
 * The metadata an added ErrorInfo carries: the error's, and each own field the class reads back from
 * metadata (`SandboxFileError.filepath`) when the metadata lacks it.
 */
function metadataOf(error: SandboxSdkError): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  Object.assign(metadata, error.metadata);
  const fields = (error as unknown as Record<symbol, OwnFieldList | undefined>)[FIELDS] ?? [];
  for (const [field, , , fromMetadata] of fields) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (fromMetadata && typeof value === "string" && metadata[field] === undefined) metadata[field] = value;
  }
  return metadata;
}

/** The fields the details already carry, as the client will decode them. */
function represented(details: readonly StatusDetail[]): ParsedStatus | undefined {
  return details.length === 0 ? undefined : parseStatusDetails(encode({ code: 0, details }));
}

function checkRetryDelay(delay: unknown, caller: string): void {
  if (delay === undefined) return;
  if (typeof delay !== "number" || !Number.isFinite(delay) || Math.abs(delay) > MAX_DURATION_MS) {
    throw new RangeError(
      `${caller}: error.retryDelay must be a finite number of milliseconds within the Duration range, got ${show(delay)}`,
    );
  }
}

/** The context that produced the error, as far as the error tells: its own fields, its scope. */
function contextOf(error: SandboxSdkError, scope: string | undefined, spec: CatalogueSpec): CatalogueContext {
  // The error's own domain is trusted: the far side maps with the context that produced the error,
  // which trusted it if its reason picked the class.
  const trustedDomains = [...(spec.trustedDomains ?? [])];
  if (error.domain !== undefined) trustedDomains.push(error.domain);
  const context: Record<string, unknown> = {
    scope,
    operation: error.operation,
    sandboxId: error.sandboxId,
    trustedDomains,
  };
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (!(key in context) && typeof value === "string") context[key] = value;
  }
  return context as CatalogueContext;
}

/** The transport messages to try: the server's own, then made to say (or not) "too large". */
function messagesFor(error: SandboxSdkError): string[] {
  // As the error has it: only the blob's copy of the message must be well-formed UTF-8.
  const message = error.rawMessage ?? error.message;
  const sentence = GRPC_JS_SENTENCE.exec(message)?.[0] ?? GRPC_JS_TOO_LARGE;
  return [...new Set([message, message.replace(TOO_LARGE, "bigger than"), sentence])];
}

/** The error's own brand, to compare classes across copies of the package. */
function brandOf(value: object | ErrorClass): unknown {
  const prototype = typeof value === "function" ? value.prototype : value;
  return (
    (prototype as Record<symbol, readonly unknown[] | undefined>)[
      Symbol.for("sandbox-sdk-errors.brands")
    ]?.[0] ?? (prototype as { constructor?: unknown }).constructor
  );
}

/**
 * The status that makes the catalogue's `fromGrpcStatus` give `error` back: see `toServiceError`.
 * Shared by every road of the kit (grpc-js, JSON bodies, `Response`s).
 */
export function wireStatusOf(
  error: SandboxSdkError,
  caller = "toServiceError",
  given?: KitCatalogueOption["catalogue"],
): WireStatus {
  checkRetryDelay(error.retryDelay, caller);
  const catalogue = (given as Catalogue | undefined) ?? catalogueOf(error);
  if (catalogue === undefined) {
    throw new TypeError(
      `${caller}: no catalogue is loaded for ${error.name}: pass { catalogue } (the one its errors are mapped with)`,
    );
  }
  const spec = catalogue.spec as CatalogueSpec;
  const producer = travelsAs(spec, error);
  const details: StatusDetail[] = [...error.details];
  const shown = represented(details);

  if (shown?.retryDelay === undefined && error.retryDelay !== undefined) {
    details.push({ type: "RetryInfo", retryDelay: error.retryDelay });
  }
  if (shown?.requestId === undefined && error.requestId !== undefined) {
    details.push({ type: "RequestInfo", requestId: error.requestId, servingData: "" });
  }
  // The reason: the one the details carry, else the error's own; else, without one, none first and
  // — when no code alone leads back to the class — the first reason that gives it.
  const ownReason = shown?.reason === undefined ? error.reason || undefined : undefined;
  const reasons: (string | undefined)[] =
    shown?.reason !== undefined || ownReason !== undefined
      ? [ownReason]
      : [undefined, ...producer.reasons.slice(0, 1)];
  // Field violations, for a class whose rule needs them: the error's own, else its message as one.
  const badRequest: StatusDetail[] = [];
  if ((shown?.fieldViolations ?? []).length === 0 && "fieldViolations" in error) {
    const own = ((error as { fieldViolations?: readonly FieldViolation[] }).fieldViolations ?? []).filter(
      (v) => v.field !== "" || v.description !== "",
    );
    const violations =
      own.length > 0 ? own : [{ field: "", description: error.message || "invalid request" }];
    badRequest.push({
      type: "BadRequest",
      fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: "" })),
    });
  }

  // The code: the error's own when it still leads to the class; else the code the server sends with
  // the reason, or a code whose row names the class (for a root, UNKNOWN first: what anything else
  // gives); else any code at all. Each candidate is checked with the catalogue's own mapping.
  const own = ownCode(error);
  const want = brandOf(producer.cls);
  const message = wellFormed(error.message);
  const scopes = [...new Set([producer.scope, undefined, ...Object.keys(spec.scopes ?? {})])];
  const named = producer.isRoot
    ? [GrpcCode.UNKNOWN, ...producer.codes]
    : [...producer.codes, GrpcCode.UNKNOWN];
  for (const reason of reasons) {
    const withReason = [...details];
    if (reason !== undefined) {
      const domain = error.domain ?? spec.trustedDomains?.[0] ?? "";
      withReason.push({ type: "ErrorInfo", reason, domain, metadata: metadataOf(error) });
    }
    const reasonCode = reason === undefined ? undefined : spec.reasonCodes?.[reason];
    const candidates = [
      own,
      reasonCode === undefined ? undefined : GrpcCode[reasonCode],
      ...named,
      ...CODE_NAMES.map((name) => GrpcCode[name]).filter((code) => code !== GrpcCode.OK),
    ].filter((code, i, all): code is GrpcCode => code !== undefined && all.indexOf(code) === i);
    const detailChoices =
      badRequest.length === 0 ? [withReason] : [withReason, [...withReason, ...badRequest]];
    for (const scope of scopes) {
      const context = contextOf(error, scope, spec);
      for (const candidateDetails of detailChoices) {
        for (const code of candidates) {
          for (const transportMessage of messagesFor(error)) {
            const status = { code, message, details: candidateDetails };
            const blob = encode(status);
            const mapped = catalogue.fromGrpcStatus(
              { code, details: transportMessage, metadata: { [STATUS_DETAILS_KEY]: [blob] } },
              context,
            );
            if (brandOf(mapped) === want) return { code, transportMessage, status };
          }
        }
      }
    }
  }
  // Nothing leads back to the class (a hand-made error whose fields contradict it): send it as it is.
  const code = own ?? GrpcCode.UNKNOWN;
  return { code, transportMessage: messagesFor(error)[0] as string, status: { code, message, details } };
}
