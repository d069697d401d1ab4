/**
 * The testing kit, `sandbox-sdk-errors/testing`: the inverse of the decoder, for SDK authors who write
 * mock servers and for this package's own tests.
 *
 * - {@link encodeStatus} writes a `google.rpc.Status` from the very `StatusDetail` shapes that
 *   `parseStatusDetails` returns, so `parseStatusDetails(encodeStatus(s))` gives `s` back.
 * - {@link toServiceError} turns an error of this package (or a status) into what a grpc-js server
 *   handler passes to its callback, trailer included, so that the client's `fromGrpcStatus` maps it
 *   back to the same class and fields.
 *
 * Importing this entry loads neither `@grpc/grpc-js` nor a Node built-in: `encodeStatus` runs in
 * every runtime the package supports. Only `toServiceError`, which must hand grpc-js a `Metadata`,
 * loads grpc-js, on its first call (a peer dependency).
 *
 * @packageDocumentation
 */
import type { StatusObject } from "@grpc/grpc-js";
import {
  ERROR_DOMAIN,
  type FieldViolation,
  GrpcCode,
  isSandboxSdkError,
  type ParsedStatus,
  parseStatusDetails,
  type SandboxSdkError,
  STATUS_DETAILS_KEY,
  type StatusDetail,
} from "sandbox-sdk-errors";
import { BRANDS } from "./brands.js";
import {
  COMMON_CODE_ROWS,
  type Condition,
  chooseRow,
  classOfRow,
  type Facts,
  type MappingScope,
  SCOPE_RULES,
  TOO_LARGE_PHRASES,
} from "./catalogue.js";
import { MAX_DURATION_MS } from "./duration.js";
import { encodeStatus as encode, hasUnpairedSurrogate, type StatusInit, show } from "./encode.js";

export type { StatusInit } from "./encode.js";

// ---------------------------------------------------------------------------------------------
// encodeStatus
// ---------------------------------------------------------------------------------------------

/**
 * Encodes a `google.rpc.Status`, as a server puts it in the `grpc-status-details-bin` trailer.
 *
 * `details` take exactly the shapes `parseStatusDetails` returns, so
 * `parseStatusDetails(encodeStatus(s))` gives `s` back for any status that decoder could return
 * (except the all-default status, `{ code: 0 }` with no message or details, which is zero bytes: an
 * empty trailer is no status). Every `google.rpc` detail type is written with all its fields, in
 * field-number order, proto3 defaults omitted as protobuf runtimes omit them; `futureQuotaValue` only
 * when present; an `Unknown` detail goes back with its own type URL and bytes. A `RetryInfo`'s
 * `retryDelay` (milliseconds) becomes a Duration whose `seconds` and `nanos` share its sign. The
 * bytes are those the reference protobuf runtime writes for the same status.
 *
 * A field left out of a detail is its default (`""`, `0`, `[]`, `{}`), so hand-written details may
 * be short: `{ type: "ErrorInfo", reason: "X", domain: "d" }`.
 *
 * @throws TypeError - for a field of the wrong type, a field the detail type does not have, an
 *   unknown `type`, or a string with an unpaired surrogate (no UTF-8 form).
 * @throws RangeError - for a `code` outside 0–16, a non-finite `retryDelay` or one beyond the Duration
 *   range (±315,576,000,000 s), or an int64 field that is not an integer in range.
 *
 * @example
 * ```ts
 * const blob = encodeStatus({
 *   code: GrpcCode.UNAVAILABLE,
 *   message: "runner draining",
 *   details: [
 *     { type: "ErrorInfo", reason: Reason.RUNNER_UNAVAILABLE, domain: ERROR_DOMAIN, metadata: {} },
 *     { type: "RetryInfo", retryDelay: 1500 },
 *   ],
 * });
 * ```
 */
export function encodeStatus(status: StatusInit): Uint8Array {
  return encode(status);
}

// ---------------------------------------------------------------------------------------------
// The wire form of an error: the catalogue read backwards
// ---------------------------------------------------------------------------------------------

/** What the kit puts on the wire for an error: the status, and the transport's own message. */
export interface WireStatus {
  readonly code: GrpcCode;
  /** The transport's message (grpc-js `details`, Connect's message, gRPC-web's `grpc-message`). */
  readonly transportMessage: string;
  /** The status, its details complete: what the blob or the JSON body carries. */
  readonly status: StatusInit & { readonly message: string; readonly details: readonly StatusDetail[] };
}

/** grpc-js's own sentence for a message over its limit, at its default 4 MiB receive limit. */
const GRPC_JS_TOO_LARGE = "Received message larger than max (4194305 vs. 4194304)";
const GRPC_JS_SENTENCE = /Received message larger than max \(\d+ vs\. \d+\)/;

const SCOPE_NAMES: readonly MappingScope[] = ["sandbox", "discovery", "general"];

/** Where a class is produced: the scope whose rules name it, and whether any code row does. */
interface Producer {
  readonly scope: MappingScope;
  readonly className: string;
}

/**
 * The class an error travels as, and the scope that produces it: the error's own class when a row
 * names it, else its nearest ancestor that one does (its brands, in order). Classes no mapping
 * produces travel as that ancestor — except that the timeout family travels as its retryable
 * member, the nearest thing a server's DEADLINE_EXCEEDED gives.
 */
function producerOf(error: SandboxSdkError): Producer {
  const brands =
    ((error as unknown as Record<symbol, unknown>)[BRANDS] as readonly string[] | undefined) ?? [];
  for (const brand of brands) {
    const className = brand === "SandboxTimeoutError" ? "SandboxRequestTimeoutError" : brand;
    for (const scope of SCOPE_NAMES) if (producedIn(scope, className)) return { scope, className };
  }
  return { scope: "general", className: "SandboxSdkError" };
}

function producedIn(scope: MappingScope, className: string): boolean {
  const rules = SCOPE_RULES[scope];
  if (rules.base === className || rules.validation === className) return true;
  return [...rules.reasons, ...rules.codes, ...COMMON_CODE_ROWS].some(
    (row) => classOfRow(scope, row) === className,
  );
}

/** The error's code when it is one a failed call can carry (OK would read as success). */
function ownCode(error: SandboxSdkError): GrpcCode | undefined {
  const code = error.grpcCode;
  return Number.isInteger(code) && (code as number) >= 1 && (code as number) <= 16
    ? (code as GrpcCode)
    : undefined;
}

/** The reasons that pick `className` in `scope`, each with the code the service sends it with. */
function reasonsOf(scope: MappingScope, className: string): [string, GrpcCode][] {
  const pairs: [string, GrpcCode][] = [];
  for (const row of SCOPE_RULES[scope].reasons) {
    if (classOfRow(scope, row) === className)
      pairs.push(...(Object.entries(row.reasons) as [string, GrpcCode][]));
  }
  return pairs;
}

/** What each condition of a code row needs of an error to hold on the way back. */
const CONDITION_HOLDS: Readonly<Record<Condition, (error: SandboxSdkError) => boolean>> = {
  // The round trip maps with the context that produced the error, which named its snapshot.
  snapshotInContext: (error) =>
    (error as { fileSystemSnapshotId?: unknown }).fileSystemSnapshotId !== undefined,
  // The kit writes the transport message, and adds field violations where needed.
  messageSaysTooLarge: () => true,
  fieldViolations: () => true,
};

/** The code rows that give `className` in `scope` and can hold for `error`, in order. */
function codeRowsOf(scope: MappingScope, className: string, error: SandboxSdkError) {
  return [...SCOPE_RULES[scope].codes, ...COMMON_CODE_ROWS].filter(
    (row) =>
      classOfRow(scope, row) === className && (row.when === undefined || CONDITION_HOLDS[row.when](error)),
  );
}

/** The transport message for `code`: the error's message, made to say (or not) "too large". */
function transportMessageFor(error: SandboxSdkError, className: string, code: GrpcCode): string {
  const message = error.message;
  if (code !== GrpcCode.RESOURCE_EXHAUSTED) return message;
  // grpc-js's sentence as the transport sent it (a mapped error's message quotes it), else its
  // default one: a client that does not read the trailer still sees a size-limit failure.
  if (className === "RequestSizeError") return GRPC_JS_SENTENCE.exec(message)?.[0] ?? GRPC_JS_TOO_LARGE;
  // Anything else under RESOURCE_EXHAUSTED must not read as a size-limit failure.
  let text = message;
  for (const phrase of TOO_LARGE_PHRASES)
    text = text.replaceAll(phrase, phrase.replace("larger than", "bigger than"));
  return text;
}

/** Replaces unpaired surrogates with U+FFFD, as a UTF-8 encoder would. */
function wellFormed(text: string): string {
  return hasUnpairedSurrogate(text) ? new TextDecoder().decode(new TextEncoder().encode(text)) : text;
}

/** The fields the details already carry, as the client will decode them. */
function represented(details: readonly StatusDetail[]): ParsedStatus | undefined {
  return details.length === 0 ? undefined : parseStatusDetails(encode({ code: 0, details }));
}

function metadataWithFilepath(error: SandboxSdkError, className: string): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  Object.assign(metadata, error.metadata);
  const { filepath } = error as { filepath?: string };
  // The sandbox service reports the path in metadata.filepath, which the class falls back to.
  if (className === "SandboxFileError" && filepath !== undefined && metadata.filepath === undefined) {
    metadata.filepath = filepath;
  }
  return metadata;
}

function checkRetryDelay(delay: unknown, caller: string): void {
  if (delay === undefined) return;
  if (typeof delay !== "number" || !Number.isFinite(delay) || Math.abs(delay) > MAX_DURATION_MS) {
    throw new RangeError(
      `${caller}: error.retryDelay must be a finite number of milliseconds within the Duration range, got ${show(delay)}`,
    );
  }
}

/** Whether the catalogue's walk gives `className` for what the kit is about to send. */
function walkGives(
  producer: Producer,
  error: SandboxSdkError,
  code: GrpcCode,
  reason: string | undefined,
  violations: readonly FieldViolation[],
): boolean {
  const context = error as unknown as Record<string, string | undefined>;
  const facts: Facts = {
    operation: "operation",
    details: transportMessageFor(error, producer.className, code),
    rawDetails: "",
    reason: reason ?? "",
    fieldViolations: violations,
    sandboxId: context.sandboxId,
    fileSystemSnapshotId: context.fileSystemSnapshotId,
    runnerId: context.runnerId,
    profileName: context.profileName,
  };
  return classOfRow(producer.scope, chooseRow(producer.scope, code, reason, facts)) === producer.className;
}

/**
 * The status that makes `fromGrpcStatus` give `error` back, read from the catalogue: see
 * {@link toServiceError}. Shared by every road of the kit (grpc-js, JSON bodies, `Response`s).
 */
export function wireStatusOf(error: SandboxSdkError, caller = "toServiceError"): WireStatus {
  checkRetryDelay(error.retryDelay, caller);
  const producer = producerOf(error);
  const { scope, className } = producer;
  const details: StatusDetail[] = [...error.details];
  const shown = represented(details);
  const reasons = reasonsOf(scope, className);
  const codeRows = codeRowsOf(scope, className, error);
  const own = ownCode(error);

  // The reason: the one the details carry, else the error's own, else — for a class that only a
  // reason gives — its first reason.
  let reason = shown?.reason;
  if (reason === undefined) {
    reason = error.reason || (codeRows.length === 0 ? reasons[0]?.[0] : undefined);
    if (reason !== undefined) {
      details.push({
        type: "ErrorInfo",
        reason,
        domain: error.domain ?? ERROR_DOMAIN,
        metadata: metadataWithFilepath(error, className),
      });
    }
  }
  if (shown?.retryDelay === undefined && error.retryDelay !== undefined) {
    details.push({ type: "RetryInfo", retryDelay: error.retryDelay });
  }
  if (shown?.requestId === undefined && error.requestId !== undefined) {
    details.push({ type: "RequestInfo", requestId: error.requestId, servingData: "" });
  }
  let violations: readonly FieldViolation[] = shown?.fieldViolations ?? [];
  const needsViolations = codeRows.some((row) => row.when === "fieldViolations");
  if (needsViolations && violations.length === 0) {
    const own = ((error as { fieldViolations?: readonly FieldViolation[] }).fieldViolations ?? []).filter(
      (v) => v.field !== "" || v.description !== "",
    );
    // Without a violation INVALID_ARGUMENT gives the scope's base class: send the message as one.
    violations = own.length > 0 ? own : [{ field: "", description: error.message || "invalid request" }];
    details.push({
      type: "BadRequest",
      fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: "" })),
    });
  }

  // The code: the error's own when it still leads to the class; else the code the service sends
  // with the reason, or the code of the row that gives the class; else UNKNOWN.
  const gives = (code: GrpcCode) => walkGives(producer, error, code, reason, violations);
  const reasonCode = reasons.find(([r]) => r === reason)?.[1];
  // A scope's base class is what UNKNOWN gives; its DEADLINE_EXCEEDED and UNAVAILABLE rows would
  // change its message, so they come last.
  const named = codeRows.filter((row) => row.class !== "base").map((row) => row.code);
  const candidates = [own, reasonCode, ...named, GrpcCode.UNKNOWN, ...codeRows.map((row) => row.code)];
  const code = candidates.find((c): c is GrpcCode => c !== undefined && gives(c)) ?? own ?? GrpcCode.UNKNOWN;
  return {
    code,
    transportMessage: transportMessageFor(error, className, code),
    status: { code, message: wellFormed(error.message), details },
  };
}

// ---------------------------------------------------------------------------------------------
// toServiceError
// ---------------------------------------------------------------------------------------------

interface GrpcJs {
  Metadata: new () => StatusObject["metadata"];
}

let grpcJs: GrpcJs | undefined;

/**
 * `@grpc/grpc-js`, loaded on `toServiceError`'s first call so that importing the kit loads nothing
 * Node-only: through `process.getBuiltinModule` (Node ≥ 20.16) or the CommonJS build's `require`.
 */
function loadGrpcJs(): GrpcJs {
  if (grpcJs !== undefined) return grpcJs;
  const host = globalThis as {
    process?: {
      getBuiltinModule?: (name: string) => { createRequire(from: string): (id: string) => unknown };
    };
  };
  const moduleApi = host.process?.getBuiltinModule?.("node:module");
  const load =
    moduleApi === undefined
      ? typeof require === "function"
        ? require
        : undefined
      : moduleApi.createRequire(import.meta.url);
  if (load === undefined) {
    throw new Error(
      "toServiceError needs @grpc/grpc-js, which it loads with process.getBuiltinModule (Node >= 20.16) or require (the CommonJS build)",
    );
  }
  grpcJs = load("@grpc/grpc-js") as GrpcJs;
  return grpcJs;
}

function statusObject(code: number, details: string, blob: Uint8Array): StatusObject {
  const metadata = new (loadGrpcJs().Metadata)();
  const buffer = (globalThis as { Buffer?: { from(b: ArrayBuffer, o: number, l: number): Uint8Array } })
    .Buffer;
  if (blob.length > 0 && buffer !== undefined) {
    metadata.set(
      STATUS_DETAILS_KEY,
      buffer.from(blob.buffer as ArrayBuffer, blob.byteOffset, blob.length) as never,
    );
  }
  return { code, details, metadata };
}

/**
 * What a grpc-js server handler passes to its callback to fail a call with `source`:
 * `{ code, details, metadata }`, the `grpc-status-details-bin` trailer in `metadata`.
 *
 * ```ts
 * server.addService(service, { getSandbox: (call, callback) => callback(toServiceError(error)) });
 * ```
 *
 * Given a status (`{ code, message?, details? }`, as for {@link encodeStatus}), it sends exactly that:
 * `details` (the transport message) is the status message.
 *
 * Given an error of this package (from any copy of it), it sends what makes the client's
 * `fromGrpcStatus(serviceError, context)` give back the same class and the same `reason`, `domain`,
 * `metadata`, `retryDelay`, `requestId`, `fieldViolations`, `details`, and the class's own fields
 * that come from the context or the metadata — for every error `fromGrpcStatus` can produce, mapped
 * again with the context that produced it. How: the mapping catalogue read backwards. The error's
 * `details` are sent as they are (they are the source of truth); an ErrorInfo, RetryInfo,
 * RequestInfo or BadRequest is added only for a field they do not already carry (a class that only a
 * reason gives, such as `SandboxFileError`, gets its first reason when it has none). The code is the
 * error's own `grpcCode` when the catalogue's walk still leads from it to the class (OK never does),
 * else the code the service sends with the reason, else the code of the row that gives the class,
 * else UNKNOWN. The transport message is the error's message (the mapped message is rebuilt by the
 * client's templates, so it need not come back the same), except under RESOURCE_EXHAUSTED, where it
 * says a message was too large exactly when the class is `RequestSizeError`; the status message in
 * the blob is always the error's message.
 *
 * A reason is trusted only when its domain is (an added ErrorInfo uses the error's `domain`, else
 * `ERROR_DOMAIN`): map with `trustedDomains` listing a foreign domain the error came from. Classes
 * no mapping produces travel as their nearest ancestor that one does (`SandboxTerminatedError` as a
 * `SandboxError`), the timeout family as `SandboxRequestTimeoutError`. Fields the wire cannot carry
 * do not come back: `metadata` of an error without a reason, `grpcCode` OK or unset, a hand-made
 * error whose fields contradict its class.
 *
 * @throws TypeError - when `source` is neither an error of this package nor a status, or for a
 *   status or detail that {@link encodeStatus} refuses.
 * @throws RangeError - for an error whose `retryDelay` no Duration can carry, or a status
 *   {@link encodeStatus} refuses.
 */
export function toServiceError(source: SandboxSdkError | StatusInit): StatusObject {
  if (isSandboxSdkError(source)) {
    const wire = wireStatusOf(source);
    return statusObject(wire.code, wire.transportMessage, encode(wire.status));
  }
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `toServiceError: expected an error of sandbox-sdk-errors or a status { code, message?, details? }, got ${show(source)}`,
    );
  }
  const blob = encode(source);
  return statusObject(source.code, source.message ?? "", blob);
}
