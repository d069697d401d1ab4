/**
 * The wire form of an error, for the testing kit: the mapping catalogue read backwards. Every road
 * of the kit (grpc-js's `toServiceError`, JSON bodies, `Response`s) sends what this gives, so that
 * `fromGrpcStatus` on the far side gives the error back.
 */
import {
  ERROR_DOMAIN,
  type FieldViolation,
  GrpcCode,
  type ParsedStatus,
  parseStatusDetails,
  type SandboxSdkError,
  type StatusDetail,
} from "sandbox-sdk-errors";
import { BRANDS } from "../core/brands.js";
import {
  COMMON_CODE_ROWS,
  type Condition,
  chooseRow,
  classOfRow,
  type Facts,
  type MappingScope,
  SCOPE_RULES,
  TOO_LARGE_PHRASES,
} from "../presets/cwsandbox/catalogue.js";
import { MAX_DURATION_MS } from "../wire/duration.js";
import { encodeStatus as encode, hasUnpairedSurrogate, type StatusInit, show } from "./encode.js";

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
