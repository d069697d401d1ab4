/**
 * The failures of SPEC §13's equivalence test, derived from the mapping catalogue: for every scope,
 * one failure per trusted reason of each reason row (with the code the service sends it with), one
 * per code row that the walk can reach (its condition made to hold), and the scope's fallback; each
 * row whose message has alternatives once with the context that fills the first and once without.
 * Beside them, failures that exercise what a road may or may not carry: every known detail type,
 * today's newest `error_details.proto` fields, and retry hints in headers and trailers without a
 * RetryInfo. Nothing here names a class by hand: the expected class is what the catalogue's walk
 * gives for the failure.
 */
import {
  cwsandbox,
  cwsandboxSpec,
  ERROR_DOMAIN,
  type MappingContext,
  type MappingScope,
  type MessageSpec,
  Reason,
  STATUS_DETAILS_KEY,
} from "../../../src/index.js";
import { encodeStatus } from "../../../src/testing/index.js";
import { GRPC_CODE_NAMES, GrpcCode } from "../../../src/wire/codes.js";
import type { StatusDetail } from "../../../src/wire/details.js";
import type { FieldViolation } from "../../../src/wire/status-details.js";
import { entriesOf, producibleClassesOf } from "../catalogue.js";
import type { Failure } from "../transports/script.js";

/** Where a retry hint travels. */
export type HintPlace = "headers" | "trailers";

/** One failure of the table, with the context it is mapped with. */
export interface RoadCase {
  /** The test's name: scope, what the server sends, and the class the catalogue gives. */
  readonly name: string;
  readonly failure: Failure;
  readonly context: MappingContext;
  /** What the catalogue's walk gives for the failure in this context. */
  readonly expectedClass: string;
  /** The failure carries a retry hint (and no valid RetryInfo): roads differ in where they look. */
  readonly hinted?: true;
}

/** The ids a context can name. */
const SANDBOX_ID = "sbx-1";
const SNAPSHOT_ID = "fss-7";
const RUNNER_ID = "runner-3";
const PROFILE_NAME = "gpu-large";
const FILEPATH = "/workspace/data.csv";
export const OPERATION = "getSandbox";

/** Codes whose failures the service sends with a RetryInfo. */
const TRANSIENT: ReadonlySet<number> = new Set([
  GrpcCode.UNAVAILABLE,
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.ABORTED,
]);

const FILE_REASONS: ReadonlySet<string> = new Set([
  Reason.FILE_NOT_FOUND,
  Reason.FILE_IS_DIRECTORY,
  Reason.FILE_IO_FAILED,
  Reason.FILE_PERMISSION_DENIED,
  Reason.FILE_TOO_LARGE,
  Reason.FILE_TRUNCATED,
]);

/** grpc-js's own sentence for an oversized message. */
const TOO_LARGE_MESSAGE = "Received message larger than max (5242880 vs. 4194304)";

const VIOLATIONS: readonly FieldViolation[] = [
  { field: "image", description: "must not be empty" },
  { field: "tags[2]", description: "is longer than 63 characters" },
];

let requestCounter = 0;

function requestInfo(): StatusDetail {
  requestCounter += 1;
  return { type: "RequestInfo", requestId: `req-${requestCounter}`, servingData: "" };
}

function retryInfo(code: number): StatusDetail[] {
  // 1.5 s and a delay with milliseconds that only nanos can say, alternately.
  return TRANSIENT.has(code) ? [{ type: "RetryInfo", retryDelay: requestCounter % 2 ? 1500 : 2250 }] : [];
}

function badRequest(violations: readonly FieldViolation[]): StatusDetail {
  return {
    type: "BadRequest",
    fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: "" })),
  };
}

function errorInfo(reason: string, domain = ERROR_DOMAIN, extra: Record<string, string> = {}): StatusDetail {
  return { type: "ErrorInfo", reason, domain, metadata: { sandbox_id: SANDBOX_ID, ...extra } };
}

/** A server's message for `code`, never reading as a size-limit failure unless asked to. */
function messageFor(code: number, what: string): string {
  return `${what}: ${(GRPC_CODE_NAMES[code] as string).toLowerCase().replaceAll("_", " ")} on ${SANDBOX_ID}`;
}

/** The context of `scope` naming every id (`full`) or only what the row's condition needs. */
function contextFor(scope: MappingScope, full: boolean, needsSnapshot: boolean): MappingContext {
  const context: MappingContext = { scope, operation: OPERATION };
  if (full && scope === "sandbox") context.sandboxId = SANDBOX_ID;
  if (full && scope === "discovery") {
    context.runnerId = RUNNER_ID;
    context.profileName = PROFILE_NAME;
  }
  if (needsSnapshot) context.fileSystemSnapshotId = SNAPSHOT_ID;
  return context;
}

/**
 * The class the catalogue's walk gives `failure` in `context`: the default preset's own mapping of
 * the failure as grpc-js delivers it (the reference road the others are compared with).
 */
function walkGives(failure: Failure, context: MappingContext): string {
  const blob =
    failure.details === undefined
      ? undefined
      : encodeStatus({ code: failure.code, details: failure.details });
  const thrown = {
    code: failure.code,
    details: failure.message ?? "",
    metadata: blob === undefined ? {} : { [STATUS_DETAILS_KEY]: [blob] },
  };
  return cwsandbox.fromGrpcStatus(thrown, context).name;
}

/** Whether a message has alternatives, so the row is worth trying with and without the context's ids. */
function hasAlternatives(message: MessageSpec<MappingContext> | undefined): boolean {
  return Array.isArray(message);
}

function describeContext(context: MappingContext): string {
  const ids = [
    context.sandboxId && `sandboxId`,
    context.fileSystemSnapshotId && `fileSystemSnapshotId`,
    context.runnerId && `runnerId`,
    context.profileName && `profileName`,
  ].filter(Boolean);
  return ids.length === 0 ? "no ids" : ids.join(", ");
}

/** One failure per trusted reason of `scope`'s reason rows, sent with the code the service sends. */
function reasonCases(scope: MappingScope): RoadCase[] {
  const cases: RoadCase[] = [];
  const reasons = cwsandboxSpec.scopes?.[scope]?.reasons ?? {};
  for (const [reason, row] of Object.entries(reasons)) {
    const [entry] = entriesOf(row);
    if (entry === undefined) continue;
    const className = entry.cls.prototype.name;
    const codeName = cwsandboxSpec.reasonCodes?.[reason];
    if (codeName === undefined) throw new Error(`${reason}: the spec names no code for it`);
    const code = GrpcCode[codeName];
    for (const full of hasAlternatives(entry.message) ? [true, false] : [true]) {
      const context = contextFor(
        scope,
        full,
        className.startsWith("Snapshot") || className === "SandboxSnapshotError",
      );
      const metadata: Record<string, string> = FILE_REASONS.has(reason) ? { filepath: FILEPATH } : {};
      const failure: Failure = {
        code,
        message: messageFor(code, reason.toLowerCase()),
        details: [errorInfo(reason, ERROR_DOMAIN, metadata), ...retryInfo(code), requestInfo()],
      };
      if (walkGives(failure, context) !== className)
        throw new Error(`${scope} ${reason}: the walk does not reach its row`);
      cases.push({
        name: `${scope}: trusted ${reason} under ${GRPC_CODE_NAMES[code]} (${describeContext(context)}) gives ${className}`,
        failure,
        context,
        expectedClass: className,
      });
    }
  }
  return cases;
}

/** An ErrorInfo whose reason no row maps, for a code, so that reason and metadata still travel. */
const UNMAPPED_FOR_CODE: Readonly<Partial<Record<number, string>>> = {
  [GrpcCode.UNAVAILABLE]: Reason.RUNNER_OVERLOADED,
  [GrpcCode.RESOURCE_EXHAUSTED]: Reason.RUNNER_CAPACITY_EXHAUSTED,
  [GrpcCode.INVALID_ARGUMENT]: Reason.INVALID_REQUEST,
  [GrpcCode.PERMISSION_DENIED]: Reason.SERVERLESS_NOT_ALLOWED,
  [GrpcCode.FAILED_PRECONDITION]: Reason.PLACEMENT_CONSTRAINT_UNSATISFIED,
};

/** A variant of a code's failure: what makes each of the default preset's rules hold, or not. */
interface Variant {
  readonly what: string;
  readonly message: string;
  readonly violations: readonly FieldViolation[];
  readonly full: boolean;
  readonly snapshot: boolean;
}

function variantsOf(code: number): Variant[] {
  const plain = messageFor(code, "request failed");
  const base = { message: plain, violations: [], full: true, snapshot: false };
  const variants: Variant[] = [
    { ...base, what: "a message" },
    { ...base, what: "a message", full: false },
  ];
  if (code === GrpcCode.RESOURCE_EXHAUSTED)
    variants.push({ ...base, what: "a too-large message", message: TOO_LARGE_MESSAGE });
  if (code === GrpcCode.NOT_FOUND) variants.push({ ...base, what: "a message", snapshot: true });
  if (code === GrpcCode.INVALID_ARGUMENT) {
    variants.push({
      ...base,
      what: "field violations and a message",
      message: "request has invalid fields",
      violations: VIOLATIONS,
    });
    variants.push({
      ...base,
      what: "field violations and an empty message",
      message: "",
      violations: VIOLATIONS,
    });
  }
  return variants;
}

/**
 * One failure per code and variant of `scope` whose class or message differs from the ones before it:
 * every code row (and rule) the walk can reach, and the scope's fallback for the other codes.
 */
function codeCases(scope: MappingScope): RoadCase[] {
  const cases: RoadCase[] = [];
  const seen = new Set<string>();
  for (let code = 1; code <= 16; code++) {
    for (const variant of variantsOf(code)) {
      const context = contextFor(scope, variant.full, variant.snapshot);
      const details: StatusDetail[] = [];
      const unmapped = UNMAPPED_FOR_CODE[code];
      if (unmapped !== undefined) details.push(errorInfo(unmapped));
      if (variant.violations.length > 0) details.push(badRequest(variant.violations));
      details.push(...retryInfo(code), requestInfo());
      const failure: Failure = { code, message: variant.message, details };
      const className = walkGives(failure, context);
      // The same class, message shape and ids once is enough for the comparison of roads.
      const key = `${code} ${className} ${variant.what} ${variant.full} ${variant.snapshot}`;
      if (seen.has(key) || (!variant.full && !hasAlternativesFor(scope, code))) continue;
      seen.add(key);
      const shown = variant.message === "" ? "an empty message" : variant.what;
      cases.push({
        name: `${scope}: ${GRPC_CODE_NAMES[code]} with ${shown} (${describeContext(context)}) gives ${className}`,
        failure,
        context,
        expectedClass: className,
      });
    }
  }
  return cases;
}

/** Whether a code's rows in `scope` have messages with alternatives (worth a context without ids). */
function hasAlternativesFor(scope: MappingScope, code: number): boolean {
  const name = GRPC_CODE_NAMES[code] as keyof typeof GrpcCode;
  const rows = [cwsandboxSpec.scopes?.[scope]?.codes?.[name], cwsandboxSpec.codes?.[name]];
  return rows.some((row) => entriesOf(row).some((entry) => hasAlternatives(entry.message)));
}

/** The fallback of `scope`: an untrusted reason, an unmapped one, and a bare status. */
function fallbackCases(scope: MappingScope): RoadCase[] {
  const className = (cwsandboxSpec.scopes?.[scope]?.root ?? cwsandboxSpec.root).prototype.name;
  const failures: [string, Failure][] = [
    [
      "FAILED_PRECONDITION with a known reason from an untrusted domain",
      {
        code: GrpcCode.FAILED_PRECONDITION,
        message: messageFor(GrpcCode.FAILED_PRECONDITION, "not running"),
        details: [
          errorInfo(Reason.SANDBOX_NOT_RUNNING, "example.com", { zone: "us-east-04a" }),
          requestInfo(),
        ],
      },
    ],
    [
      "UNIMPLEMENTED with an unmapped reason",
      {
        code: GrpcCode.UNIMPLEMENTED,
        message: "snapshots are not implemented by this runner",
        details: [errorInfo(Reason.NOT_IMPLEMENTED), requestInfo()],
      },
    ],
    [
      "INTERNAL with no details at all",
      { code: GrpcCode.INTERNAL, message: "internal error: panic in runner" },
    ],
  ];
  return failures.map(([what, failure]) => {
    const context = contextFor(scope, true, false);
    if (walkGives(failure, context) !== className) throw new Error(`${scope} ${what}: not the fallback`);
    return { name: `${scope}: ${what} gives ${className}`, failure, context, expectedClass: className };
  });
}

/** Every detail type `google/rpc/error_details.proto` has, with the fields every road's schema knows. */
const EVERY_DETAIL: readonly StatusDetail[] = [
  errorInfo(Reason.RUNNER_CAPACITY_EXHAUSTED, ERROR_DOMAIN, {
    runner: RUNNER_ID,
    "zone/name": "us-east-04a",
  }),
  { type: "RetryInfo", retryDelay: 30_000 },
  { type: "DebugInfo", stackEntries: ["runner.go:42", "placement.go:7"], detail: "no runner had 8 GPUs" },
  {
    type: "QuotaFailure",
    violations: [
      {
        subject: "project:demo",
        description: "GPU quota exhausted",
        apiService: "",
        quotaMetric: "",
        quotaId: "",
        quotaDimensions: {},
        quotaValue: 0,
      },
    ],
  },
  {
    type: "PreconditionFailure",
    violations: [{ type: "TOS", subject: "project:demo", description: "terms of service not accepted" }],
  },
  badRequest([{ field: "resources.gpu", description: "must be at most 8" }]),
  { type: "RequestInfo", requestId: "req-every", servingData: "runner=r-1;shard=4" },
  {
    type: "ResourceInfo",
    resourceType: "sandbox",
    resourceName: SANDBOX_ID,
    owner: "project:demo",
    description: "the sandbox asked for",
  },
  { type: "Help", links: [{ description: "GPU quotas", url: "https://docs.example.com/quotas" }] },
  { type: "LocalizedMessage", locale: "de-DE", message: "GPU-Kontingent erschöpft" },
];

/**
 * Fields today's `error_details.proto` has that older copies of it lack (nice-grpc-error-details
 * 0.2.x): QuotaFailure's `api_service`, `quota_metric`, `quota_id`, `quota_dimensions`,
 * `quota_value`, `future_quota_value`; BadRequest's violation `reason` and `localized_message`.
 */
const NEWEST_FIELDS: readonly StatusDetail[] = [
  errorInfo(Reason.RUNNER_CAPACITY_EXHAUSTED),
  {
    type: "QuotaFailure",
    violations: [
      {
        subject: "project:demo",
        description: "GPU quota exhausted",
        apiService: "sandbox.cwsandbox.com",
        quotaMetric: "sandbox.cwsandbox.com/gpus",
        quotaId: "GpusPerProjectPerRegion",
        quotaDimensions: { region: "us-east-04" },
        quotaValue: 8,
        futureQuotaValue: 16,
      },
    ],
  },
  {
    type: "BadRequest",
    fieldViolations: [
      { field: "resources.gpu", description: "", reason: "GPU_COUNT_TOO_HIGH" },
      {
        field: "resources.memory",
        description: "",
        reason: "",
        localizedMessage: { locale: "en-US", message: "must be at most 512 GiB" },
      },
    ],
  },
  { type: "RequestInfo", requestId: "req-newest", servingData: "" },
];

/** A detail of a type outside `google.rpc`: `Unknown` on every road, never compared. */
const FOREIGN_DETAIL: StatusDetail = {
  type: "Unknown",
  typeUrl: "type.googleapis.com/acme.v1.Trace",
  value: new Uint8Array([10, 3, 97, 98, 99]),
};

function detailCases(): RoadCase[] {
  const context = contextFor("sandbox", true, false);
  return [
    {
      name: "sandbox: RESOURCE_EXHAUSTED with every known detail type and a foreign one gives SandboxResourceExhaustedError",
      failure: {
        code: GrpcCode.RESOURCE_EXHAUSTED,
        message: "GPU quota exhausted for project demo (8 of 8 in use)",
        details: [...EVERY_DETAIL, FOREIGN_DETAIL],
      },
      context,
      expectedClass: "SandboxResourceExhaustedError",
    },
    {
      name: "sandbox: INVALID_ARGUMENT with today's newest error_details fields gives SandboxValidationError",
      failure: {
        code: GrpcCode.INVALID_ARGUMENT,
        message: "resources out of range",
        details: NEWEST_FIELDS,
      },
      context,
      expectedClass: "SandboxValidationError",
    },
    {
      name: "sandbox: UNAVAILABLE with a message of non-ASCII text, percent signs and a colon gives SandboxUnavailableError",
      failure: {
        code: GrpcCode.UNAVAILABLE,
        message: "Läufer r-1 entleert: 100% belegt ✓ — bitte später",
        details: [errorInfo(Reason.RUNNER_OVERLOADED), { type: "RetryInfo", retryDelay: 0 }, requestInfo()],
      },
      context,
      expectedClass: "SandboxUnavailableError",
    },
  ];
}

/** Retry hints without a RetryInfo (SPEC §13, "Server hints beside RetryInfo"), and one with it. */
function hintCases(): RoadCase[] {
  const context = contextFor("sandbox", true, false);
  const unavailable = (details: StatusDetail[], extra: Partial<Failure>): Failure => ({
    code: GrpcCode.UNAVAILABLE,
    message: "runner r-1 is draining",
    details: [errorInfo(Reason.RUNNER_SHARD_RETIRING), ...details],
    ...extra,
  });
  const hinted = (name: string, failure: Failure): RoadCase => ({
    name: `sandbox: ${name}`,
    failure,
    context,
    expectedClass: "SandboxUnavailableError",
    hinted: true,
  });
  return [
    hinted(
      "UNAVAILABLE, no RetryInfo, a grpc-retry-pushback-ms trailer",
      unavailable([requestInfo()], {
        trailers: { "grpc-retry-pushback-ms": "250" },
      }),
    ),
    hinted(
      "UNAVAILABLE, no RetryInfo, a retry-after-ms trailer",
      unavailable([requestInfo()], {
        trailers: { "retry-after-ms": "1200" },
      }),
    ),
    hinted(
      "UNAVAILABLE, no RetryInfo, a retry-after trailer",
      unavailable([requestInfo()], {
        trailers: { "retry-after": "3" },
      }),
    ),
    hinted(
      "UNAVAILABLE, no RetryInfo, a retry-after response header",
      unavailable([requestInfo()], {
        headers: { "retry-after": "2" },
      }),
    ),
    hinted(
      "UNAVAILABLE, no RetryInfo, retry-after header and grpc-retry-pushback-ms trailer",
      unavailable([requestInfo()], {
        headers: { "retry-after": "5" },
        trailers: { "grpc-retry-pushback-ms": "300" },
      }),
    ),
    hinted(
      "UNAVAILABLE, a RetryInfo without retry_delay and a retry-after trailer",
      // A RetryInfo that gives no delay is no RetryInfo for SPEC §13: the hint decides.
      unavailable([{ type: "RetryInfo" }, requestInfo()], { trailers: { "retry-after": "4" } }),
    ),
    {
      name: "sandbox: UNAVAILABLE with a RetryInfo beside retry-after and grpc-retry-pushback-ms: RetryInfo wins",
      failure: unavailable([{ type: "RetryInfo", retryDelay: 1500 }, requestInfo()], {
        headers: { "retry-after": "3" },
        trailers: { "grpc-retry-pushback-ms": "250" },
      }),
      context,
      expectedClass: "SandboxUnavailableError",
    },
  ];
}

/** The whole table. */
export function roadCases(): RoadCase[] {
  const scopes: MappingScope[] = ["sandbox", "discovery", "general"];
  return [
    ...scopes.flatMap((scope) => [...reasonCases(scope), ...codeCases(scope), ...fallbackCases(scope)]),
    ...detailCases(),
    ...hintCases(),
  ];
}

/** Every class some row of the catalogue names, in any scope: the table must produce each. */
export function producibleClasses(): Set<string> {
  return producibleClassesOf(cwsandboxSpec);
}

/**
 * The retry delay a road that sees `places` of the failure's headers and trailers should report,
 * when the failure has no valid RetryInfo: the first hint of SPEC §13's order (pushback, then
 * `retry-after-ms`, then `Retry-After` in delay-seconds) among the fields the road sees, headers
 * read before trailers for one name (the test failures never send one name in both).
 */
export function hintedDelay(failure: Failure, places: ReadonlySet<HintPlace>): number | undefined {
  const seen: Record<string, string> = {};
  if (places.has("headers")) Object.assign(seen, failure.headers);
  if (places.has("trailers")) Object.assign(seen, failure.trailers);
  const pushback = seen["grpc-retry-pushback-ms"];
  if (pushback !== undefined) return Number(pushback);
  const ms = seen["retry-after-ms"];
  if (ms !== undefined) return Number(ms);
  const seconds = seen["retry-after"];
  if (seconds !== undefined) return Number(seconds) * 1000;
  return undefined;
}
