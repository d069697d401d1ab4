/**
 * The mapping catalogue: SPEC §5 as data. Which class a failure becomes, in each scope — by trusted
 * reason, then by status code — with its message template, and the status code a server sends with
 * each reason. `fromGrpcStatus` walks it; the testing kit inverts it; the README's mapping table and
 * the classes' retry contract are generated from it. It imports no class: classes are named, and
 * `errors.ts` resolves the names.
 */
import { GrpcCode, Reason } from "../../wire/codes.js";
import type { FieldViolation } from "../../wire/status-details.js";

/** Which family of classes a call's failures map to. */
export type MappingScope = "sandbox" | "discovery" | "general";

/** The classes a mapping row can name (every one is exported by the package under this name). */
export type MappedClassName =
  | "SandboxSdkError"
  | "AuthenticationError"
  | "PermissionDeniedError"
  | "ValidationError"
  | "SandboxError"
  | "SandboxValidationError"
  | "SandboxNotRunningError"
  | "SandboxUnavailableError"
  | "SnapshotBackendThrottledError"
  | "SandboxRequestTimeoutError"
  | "SandboxCommandTimeoutError"
  | "SnapshotWaitTimeoutError"
  | "SandboxNotFoundError"
  | "SandboxFileError"
  | "SandboxResourceExhaustedError"
  | "RequestSizeError"
  | "SandboxSnapshotError"
  | "SnapshotNotFoundError"
  | "SnapshotNotReadyError"
  | "SnapshotNotSupportedError"
  | "SnapshotSizeExceededError"
  | "SnapshotQuotaExceededError"
  | "SnapshotBucketMismatchError"
  | "DiscoveryError"
  | "DiscoveryValidationError"
  | "RunnerNotFoundError"
  | "ProfileNotFoundError";

/**
 * What a message template can say. `{details}` is the transport's own message (else the error's
 * message, else the code's name); `{rawDetails}` is the transport's own message exactly as sent
 * (possibly empty); `{violations}` the field violations as `field: description; ...`.
 */
export type Placeholder =
  | "operation"
  | "details"
  | "rawDetails"
  | "reason"
  | "violations"
  | "sandboxId"
  | "fileSystemSnapshotId"
  | "runnerId"
  | "profileName";

/**
 * A message: one template, or alternatives of which the first whose placeholders all have a value
 * (a context field given, `{rawDetails}` non-empty) is used. The last alternative always applies.
 */
export type MessageTemplate = string | readonly string[];

/** A condition a code row may need; rows of one code are tried in order. */
export type Condition =
  /** The context names a file-system snapshot. */
  | "snapshotInContext"
  /** The transport's message says a message was over a size limit (see {@link TOO_LARGE_PHRASES}). */
  | "messageSaysTooLarge"
  /** The status carries at least one field violation. */
  | "fieldViolations";

/** One row: the class it gives (or the scope's base or validation class) and its message. */
export interface Row {
  readonly class: MappedClassName | "base" | "validation";
  readonly message: MessageTemplate;
}

/** A step-1 row: trusted reasons that pick a class whatever the code. */
export interface ReasonRow extends Row {
  /**
   * The reasons, each with the status code the service sends it with (the kit sends that code for an
   * error that has none). The first is the reason the kit sends for an error of the class without one.
   */
  readonly reasons: Readonly<Partial<Record<Reason, GrpcCode>>>;
}

/** A step-2 or step-3 row: a status code, maybe under a condition. */
export interface CodeRow extends Row {
  readonly code: GrpcCode;
  readonly when?: Condition;
}

/** One scope's rules. */
export interface ScopeRules {
  /** What anything else becomes. */
  readonly base: MappedClassName;
  /** What INVALID_ARGUMENT with field violations becomes. */
  readonly validation: MappedClassName;
  /** Trusted reasons, looked at first. */
  readonly reasons: readonly ReasonRow[];
  /** Status codes of this scope, looked at before the common ones. */
  readonly codes: readonly CodeRow[];
}

/**
 * What the transport's message says when a message was over a size limit: grpc-js's
 * `Received message larger than max (N vs. M)`, and its decompression limit's
 * `... decompresses to a size larger than ...`. Such a RESOURCE_EXHAUSTED is a `RequestSizeError`.
 */
export const TOO_LARGE_PHRASES: readonly string[] = ["larger than max", "decompresses to a size larger than"];

const FILE_FAILED = "File operation failed ({reason}): {details}";
const SANDBOX_NOT_FOUND = ["Sandbox '{sandboxId}' not found", "{details}"];
const TIMED_OUT = "{operation} timed out: {details}";
const UNAVAILABLE = "Service unavailable: {details}";
const SNAPSHOT_FAILED = "{operation} failed ({reason}): {details}";
const EXHAUSTED = "{operation} resource exhausted: {details}";

/** Step 1 and step 2 of scope `sandbox`. */
const SANDBOX: ScopeRules = {
  base: "SandboxError",
  validation: "SandboxValidationError",
  reasons: [
    {
      class: "SandboxFileError",
      message: FILE_FAILED,
      reasons: {
        [Reason.FILE_IO_FAILED]: GrpcCode.INTERNAL,
        [Reason.FILE_NOT_FOUND]: GrpcCode.NOT_FOUND,
        [Reason.FILE_IS_DIRECTORY]: GrpcCode.FAILED_PRECONDITION,
        [Reason.FILE_PERMISSION_DENIED]: GrpcCode.PERMISSION_DENIED,
        [Reason.FILE_TOO_LARGE]: GrpcCode.FAILED_PRECONDITION,
        [Reason.FILE_TRUNCATED]: GrpcCode.DATA_LOSS,
      },
    },
    {
      class: "SandboxNotFoundError",
      message: SANDBOX_NOT_FOUND,
      reasons: { [Reason.SANDBOX_NOT_FOUND]: GrpcCode.NOT_FOUND },
    },
    {
      class: "SandboxNotRunningError",
      message: "{operation} failed: sandbox is not running: {details}",
      reasons: { [Reason.SANDBOX_NOT_RUNNING]: GrpcCode.FAILED_PRECONDITION },
    },
    {
      class: "SandboxCommandTimeoutError",
      message: TIMED_OUT,
      reasons: { [Reason.COMMAND_TIMEOUT]: GrpcCode.DEADLINE_EXCEEDED },
    },
    {
      class: "SandboxUnavailableError",
      message: UNAVAILABLE,
      reasons: {
        [Reason.RUNNER_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
        [Reason.BACKEND_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
        [Reason.RUNNER_SHARD_RETIRING]: GrpcCode.UNAVAILABLE,
      },
    },
    {
      class: "SnapshotNotFoundError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_NOT_FOUND]: GrpcCode.NOT_FOUND },
    },
    {
      class: "SnapshotNotReadyError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_NOT_READY]: GrpcCode.FAILED_PRECONDITION },
    },
    {
      class: "SnapshotNotSupportedError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_NOT_SUPPORTED]: GrpcCode.UNIMPLEMENTED },
    },
    {
      class: "SnapshotSizeExceededError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_SIZE_EXCEEDED]: GrpcCode.RESOURCE_EXHAUSTED },
    },
    {
      class: "SnapshotQuotaExceededError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_QUOTA_EXCEEDED]: GrpcCode.RESOURCE_EXHAUSTED },
    },
    {
      class: "SnapshotBucketMismatchError",
      message: SNAPSHOT_FAILED,
      reasons: { [Reason.FSS_BUCKET_MISMATCH]: GrpcCode.FAILED_PRECONDITION },
    },
    {
      class: "SandboxSnapshotError",
      message: SNAPSHOT_FAILED,
      reasons: {
        [Reason.FSS_CREATE_FAILED]: GrpcCode.INTERNAL,
        [Reason.FSS_BUCKET_UNAVAILABLE]: GrpcCode.UNAVAILABLE,
        [Reason.FSS_RESTORE_FAILED]: GrpcCode.INTERNAL,
        [Reason.FSS_CREATE_TIMED_OUT]: GrpcCode.DEADLINE_EXCEEDED,
        [Reason.FSS_AUTH_FAILED]: GrpcCode.PERMISSION_DENIED,
        [Reason.FSS_TRANSPORT_FAILED]: GrpcCode.UNAVAILABLE,
        [Reason.FSS_CANCELED]: GrpcCode.CANCELLED,
      },
    },
    {
      class: "SnapshotWaitTimeoutError",
      message: "{operation} timed out waiting for snapshot ready ({reason}): {details}",
      reasons: { [Reason.FSS_WAIT_TIMEOUT]: GrpcCode.DEADLINE_EXCEEDED },
    },
    {
      // All three are the backend asking for patience: RESOURCE_EXHAUSTED, as the service sends them.
      class: "SnapshotBackendThrottledError",
      message: "Snapshot backend throttled ({reason}): {details}",
      reasons: {
        [Reason.FSS_BACKEND_THROTTLED]: GrpcCode.RESOURCE_EXHAUSTED,
        [Reason.FSS_INFLIGHT_LIMIT]: GrpcCode.RESOURCE_EXHAUSTED,
        [Reason.FSS_BUCKET_PROVISIONING]: GrpcCode.RESOURCE_EXHAUSTED,
      },
    },
  ],
  codes: [
    {
      code: GrpcCode.NOT_FOUND,
      when: "snapshotInContext",
      class: "SnapshotNotFoundError",
      message: "File-system snapshot '{fileSystemSnapshotId}' not found",
    },
    { code: GrpcCode.NOT_FOUND, class: "SandboxNotFoundError", message: SANDBOX_NOT_FOUND },
    {
      code: GrpcCode.CANCELLED,
      class: "SandboxNotRunningError",
      message: [
        "{operation} was cancelled (sandbox {sandboxId} connection closed)",
        "{operation} was cancelled",
      ],
    },
    { code: GrpcCode.DEADLINE_EXCEEDED, class: "SandboxRequestTimeoutError", message: TIMED_OUT },
    { code: GrpcCode.UNAVAILABLE, class: "SandboxUnavailableError", message: UNAVAILABLE },
    {
      code: GrpcCode.RESOURCE_EXHAUSTED,
      when: "messageSaysTooLarge",
      class: "RequestSizeError",
      message: EXHAUSTED,
    },
    { code: GrpcCode.RESOURCE_EXHAUSTED, class: "SandboxResourceExhaustedError", message: EXHAUSTED },
  ],
};

const RUNNER_NOT_FOUND = ["Runner not found: '{runnerId}'", "Runner not found: {details}"];

/** Scope `discovery`: a trusted reason wins over the code. */
const DISCOVERY: ScopeRules = {
  base: "DiscoveryError",
  validation: "DiscoveryValidationError",
  reasons: [
    {
      class: "ProfileNotFoundError",
      message: ["Profile '{profileName}' not found", "Profile not found: {details}"],
      reasons: { [Reason.PROFILE_NOT_FOUND]: GrpcCode.NOT_FOUND },
    },
    {
      class: "RunnerNotFoundError",
      message: RUNNER_NOT_FOUND,
      reasons: { [Reason.RUNNER_NOT_FOUND]: GrpcCode.NOT_FOUND },
    },
  ],
  codes: [{ code: GrpcCode.NOT_FOUND, class: "RunnerNotFoundError", message: RUNNER_NOT_FOUND }],
};

/** Scope `general` goes straight to step 3. */
const GENERAL: ScopeRules = {
  base: "SandboxSdkError",
  validation: "ValidationError",
  reasons: [],
  codes: [],
};

/** Every scope's rules. */
export const SCOPE_RULES: Readonly<Record<MappingScope, ScopeRules>> = {
  sandbox: SANDBOX,
  discovery: DISCOVERY,
  general: GENERAL,
};

/** Step 3, after the scope's own codes, in every scope. */
export const COMMON_CODE_ROWS: readonly CodeRow[] = [
  {
    code: GrpcCode.INVALID_ARGUMENT,
    when: "fieldViolations",
    class: "validation",
    message: [
      "{operation} failed: {rawDetails}; field violations: {violations}",
      "{operation} failed: field violations: {violations}",
    ],
  },
  {
    code: GrpcCode.UNAUTHENTICATED,
    class: "AuthenticationError",
    message: "Authentication failed: {details}",
  },
  {
    code: GrpcCode.PERMISSION_DENIED,
    class: "PermissionDeniedError",
    message: "Permission denied: {details}",
  },
  { code: GrpcCode.DEADLINE_EXCEEDED, class: "base", message: TIMED_OUT },
  { code: GrpcCode.UNAVAILABLE, class: "base", message: UNAVAILABLE },
];

/** What anything no row names becomes: the scope's base class. */
export const FALLBACK_ROW: Row = { class: "base", message: "{operation} failed: {details}" };

/**
 * Reasons no row maps, and why: they fall through to the status code. A test fails when a `Reason`
 * is neither mapped nor listed here. (A function: the explanations are for docs and tests, and stay
 * out of a bundle that does not call it.)
 */
export function unmappedReasons(): Readonly<Partial<Record<Reason, string>>> {
  return {
    [Reason.RUNNER_CAPACITY_EXHAUSTED]:
      "placement: for SDK spill-over logic; the status code decides the class",
    [Reason.PLACEMENT_REJECTED]: "placement: for SDK spill-over logic; the status code decides the class",
    [Reason.PLACEMENT_CONSTRAINT_UNSATISFIED]:
      "placement: for SDK spill-over logic; the status code decides the class",
    [Reason.NO_SUITABLE_RUNNER]: "placement: for SDK spill-over logic; the status code decides the class",
    [Reason.RUNNER_OVERLOADED]: "placement: for SDK spill-over logic; the status code decides the class",
    [Reason.SERVERLESS_NOT_ALLOWED]: "serverless: for SDK logic; the status code decides the class",
    [Reason.SERVERLESS_DISABLED]: "serverless: for SDK logic; the status code decides the class",
    [Reason.SERVERLESS_MISCONFIGURED]: "serverless: for SDK logic; the status code decides the class",
    [Reason.INVALID_REQUEST]: "request: INVALID_ARGUMENT and its field violations decide the class",
    [Reason.NOT_IMPLEMENTED]: "request: the status code (UNIMPLEMENTED) decides the class",
  };
}

/**
 * The classes whose failures are worth retrying (subclasses included), and the exceptions among
 * their subclasses. `isRetryable` reads these; so does the README's table.
 */
export const RETRYABLE_CLASSES: readonly MappedClassName[] = [
  "SandboxUnavailableError",
  "SandboxRequestTimeoutError",
  "SandboxResourceExhaustedError",
];
/** Subclasses of a retryable class that are not retryable: the same oversized message fails again. */
export const NOT_RETRYABLE_CLASSES: readonly MappedClassName[] = ["RequestSizeError"];

/**
 * The classes that mean "not found" whatever their code: `isNotFound` is true for them, since SDK
 * code raises them itself, without a status.
 */
export const NOT_FOUND_CLASSES: readonly MappedClassName[] = [
  "SandboxNotFoundError",
  "SnapshotNotFoundError",
  "RunnerNotFoundError",
  "ProfileNotFoundError",
];

// ---------------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------------

/** What the conditions and templates read about one failure. */
export interface Facts {
  readonly operation: string;
  readonly details: string;
  readonly rawDetails: string;
  readonly reason: string;
  readonly fieldViolations: readonly FieldViolation[];
  readonly sandboxId: string | undefined;
  readonly fileSystemSnapshotId: string | undefined;
  readonly runnerId: string | undefined;
  readonly profileName: string | undefined;
}

/** Whether the transport's message says a message was over a size limit. */
export function saysTooLarge(message: string): boolean {
  for (const phrase of TOO_LARGE_PHRASES) if (message.includes(phrase)) return true;
  return false;
}

const CONDITIONS: Readonly<Record<Condition, (facts: Facts) => boolean>> = {
  snapshotInContext: (facts) => facts.fileSystemSnapshotId !== undefined,
  messageSaysTooLarge: (facts) => saysTooLarge(facts.details),
  fieldViolations: (facts) => facts.fieldViolations.length > 0,
};

/** A scope's rules indexed for the walk: trusted reason → row, code → rows in order. */
interface IndexedScope {
  readonly rules: ScopeRules;
  readonly byReason: Readonly<Record<string, ReasonRow>>;
  readonly byCode: readonly (readonly CodeRow[] | undefined)[];
}

function indexScope(rules: ScopeRules): IndexedScope {
  const byReason: Record<string, ReasonRow> = Object.create(null);
  for (const row of rules.reasons) for (const reason of Object.keys(row.reasons)) byReason[reason] = row;
  const byCode: CodeRow[][] = [];
  for (const row of [...rules.codes, ...COMMON_CODE_ROWS]) {
    const rows = byCode[row.code] ?? [];
    rows.push(row);
    byCode[row.code] = rows;
  }
  return { rules, byReason: Object.freeze(byReason), byCode };
}

const INDEXED: Readonly<Record<MappingScope, IndexedScope>> = {
  sandbox: indexScope(SANDBOX),
  discovery: indexScope(DISCOVERY),
  general: indexScope(GENERAL),
};

/**
 * SPEC §5's walk: a trusted reason of the scope first, then the scope's codes, then the common
 * step 3 (each code's rows in order, the first whose condition holds), else the fallback.
 */
export function chooseRow(
  scope: MappingScope,
  code: number | undefined,
  trustedReason: string | undefined,
  facts: Facts,
): Row {
  const indexed = INDEXED[scope];
  if (trustedReason !== undefined) {
    const row = indexed.byReason[trustedReason];
    if (row !== undefined) return row;
  }
  const rows = code === undefined ? undefined : indexed.byCode[code];
  if (rows !== undefined) {
    for (const row of rows) if (row.when === undefined || CONDITIONS[row.when](facts)) return row;
  }
  return FALLBACK_ROW;
}

/** The class a row names, in a scope. */
export function classOfRow(scope: MappingScope, row: Row): MappedClassName {
  if (row.class === "base") return SCOPE_RULES[scope].base;
  if (row.class === "validation") return SCOPE_RULES[scope].validation;
  return row.class;
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/** A template split at its placeholders: literal text at even indexes, placeholder names at odd. */
type CompiledTemplate = readonly string[];

function compileTemplate(template: string): CompiledTemplate {
  return template.split(/\{(\w+)\}/);
}

const COMPILED = new Map<string, CompiledTemplate>();

function compiled(template: string): CompiledTemplate {
  let parts = COMPILED.get(template);
  if (parts === undefined) {
    parts = compileTemplate(template);
    COMPILED.set(template, parts);
  }
  return parts;
}

function violationsText(violations: readonly FieldViolation[]): string {
  let text = "";
  for (const v of violations) {
    const one = v.field && v.description ? `${v.field}: ${v.description}` : v.field || v.description;
    text = text === "" ? one : `${text}; ${one}`;
  }
  return text;
}

function placeholderValue(name: string, facts: Facts): string | undefined {
  switch (name as Placeholder) {
    case "operation":
      return facts.operation;
    case "details":
      return facts.details;
    case "rawDetails":
      return facts.rawDetails === "" ? undefined : facts.rawDetails;
    case "reason":
      return facts.reason;
    case "violations":
      return violationsText(facts.fieldViolations);
    case "sandboxId":
      return facts.sandboxId;
    case "fileSystemSnapshotId":
      return facts.fileSystemSnapshotId;
    case "runnerId":
      return facts.runnerId;
    case "profileName":
      return facts.profileName;
    default:
      return undefined;
  }
}

/** Fills one template, or `undefined` when a placeholder has no value. */
function fill(template: string, facts: Facts): string | undefined {
  const parts = compiled(template);
  let text = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const value = placeholderValue(parts[i] as string, facts);
    if (value === undefined) return undefined;
    text += value + (parts[i + 1] as string);
  }
  return text;
}

/** The message of a row: the first alternative whose placeholders all have a value. */
export function renderMessage(template: MessageTemplate, facts: Facts): string {
  if (typeof template === "string") return fill(template, facts) ?? template;
  for (const alternative of template) {
    const text = fill(alternative, facts);
    if (text !== undefined) return text;
  }
  return facts.details;
}

/** The placeholders of a template (for tests and docs). */
export function placeholdersOf(template: MessageTemplate): Placeholder[] {
  const names: Placeholder[] = [];
  for (const alternative of typeof template === "string" ? [template] : template) {
    const parts = compiled(alternative);
    for (let i = 1; i < parts.length; i += 2) names.push(parts[i] as Placeholder);
  }
  return names;
}

/** Every class some row (or a scope's base or validation class) can produce, in any scope. */
export function producibleClasses(): ReadonlySet<MappedClassName> {
  const classes = new Set<MappedClassName>();
  for (const scope of Object.keys(SCOPE_RULES) as MappingScope[]) {
    const rules = SCOPE_RULES[scope];
    for (const row of [...rules.reasons, ...rules.codes, ...COMMON_CODE_ROWS, FALLBACK_ROW]) {
      classes.add(classOfRow(scope, row));
    }
  }
  return classes;
}
