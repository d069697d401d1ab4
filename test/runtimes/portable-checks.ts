/**
 * The checks that prove the library outside Node (SPEC §14): plain functions, no test framework and
 * no Node API, bundled from source by esbuild and run by the runners beside this file in a `vm`
 * context without Node globals, in workerd and in headless Chromium.
 *
 * Each check is small, named and reports its own failure: a Node-only API reached on one path
 * (`Buffer is not defined`) fails the checks that take that path and says where, and leaves the
 * others green. The testing kit is imported lazily for the same reason: a kit that loads a Node
 * built-in at module load fails the kit's checks, not the main entry's.
 */
import * as sdk from "../../src/index.js";
import {
  DiscoveryError,
  DiscoveryValidationError,
  fromGrpcStatus,
  GrpcCode,
  isRetryable,
  isSandboxSdkError,
  type MappingContext,
  type ParsedStatus,
  parseStatusDetails,
  RequestSizeError,
  retry,
  SandboxError,
  SandboxExecutionError,
  SandboxNotFoundError,
  SandboxSdkError,
  SandboxUnavailableError,
  SandboxValidationError,
  STATUS_DETAILS_KEY,
  ValidationError,
} from "../../src/index.js";
import type { StatusInit } from "../../src/testing/index.js";
import vectorsFile from "../fixtures/status-details.json" with { type: "json" };

/** What one check reports: its name, and on failure what went wrong (message and first frames). */
export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}

interface Check {
  readonly name: string;
  readonly run: () => void | Promise<void>;
}

interface Vector {
  readonly name: string;
  readonly hex: string;
  /** The vectors file's summary of the parsed status: `null` means absent. */
  readonly expect: { readonly ok: boolean } & Readonly<Record<string, unknown>>;
}

const vectors: readonly Vector[] = vectorsFile.vectors;

// ---------------------------------------------------------------------------------------------
// Portable helpers: nothing here may use the library under test, or a Node API
// ---------------------------------------------------------------------------------------------

function fail(message: string): never {
  throw new Error(message);
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Cross-realm: in the `vm` runner, the engine's bytes and the host's are different classes. */
function isBytes(value: unknown): value is Uint8Array {
  return Object.prototype.toString.call(value) === "[object Uint8Array]";
}

function show(value: unknown): string {
  if (isBytes(value)) return `bytes[${Array.from(value).join(",")}]`;
  if (typeof value === "function") return `function ${value.name}`;
  if (Object.is(value, -0)) return "-0";
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}

function definedKeys(value: object): string[] {
  return Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
}

/**
 * Where `actual` first differs from `expected`, or `undefined` when they are equal: own enumerable
 * keys with a defined value (prototypes aside, as vitest's `toEqual`), arrays by index, bytes by value.
 */
function difference(actual: unknown, expected: unknown, path = "$"): string | undefined {
  if (isBytes(actual) || isBytes(expected)) {
    if (!isBytes(actual) || !isBytes(expected) || actual.length !== expected.length) {
      return `${path}: ${show(actual)} is not ${show(expected)}`;
    }
    const at = actual.findIndex((byte, index) => byte !== expected[index]);
    return at === -1 ? undefined : `${path}[${at}]: ${actual[at]} is not ${expected[at]}`;
  }
  if (Array.isArray(actual) || Array.isArray(expected)) {
    if (!Array.isArray(actual) || !Array.isArray(expected))
      return `${path}: ${show(actual)} is not ${show(expected)}`;
    if (actual.length !== expected.length) {
      return `${path}: length ${actual.length} is not ${expected.length} (${show(actual)} vs ${show(expected)})`;
    }
    for (let i = 0; i < actual.length; i++) {
      const found = difference(actual[i], expected[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    const actualKeys = definedKeys(actual);
    const expectedKeys = definedKeys(expected);
    if (actualKeys.join("\u0000") !== expectedKeys.join("\u0000")) {
      return `${path}: keys [${actualKeys}] are not [${expectedKeys}]`;
    }
    for (const key of actualKeys) {
      const found = difference(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path}: ${show(actual)} is not ${show(expected)}`;
}

function assertEqual(actual: unknown, expected: unknown, label: string): void {
  const found = difference(actual, expected);
  if (found !== undefined) fail(`${label}: ${found}`);
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Standard base64 with padding, by the web platform's `btoa`: independent of the library's encoder. */
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function toUrlSafeUnpadded(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function vectorNamed(name: string): Vector {
  return vectors.find((vector) => vector.name === name) ?? fail(`the vectors file has no vector ${name}`);
}

/** The vectors file's view of a parsed status (as test/status-details.test.ts builds it). */
function summarise(parsed: ParsedStatus | undefined): Record<string, unknown> {
  if (parsed === undefined) return { ok: false };
  return {
    ok: true,
    code: parsed.code,
    message: parsed.message,
    reason: parsed.reason ?? null,
    domain: parsed.domain ?? null,
    metadata: { ...parsed.metadata },
    retryDelay: parsed.retryDelay ?? null,
    fieldViolations: parsed.fieldViolations,
    requestId: parsed.requestId ?? null,
    detailTypes: parsed.details.map((detail) => detail.type),
  };
}

function expected<T>(vector: Vector, field: string): T | undefined {
  const value = vector.expect[field];
  return value === null ? undefined : (value as T);
}

function codeName(code: number): string {
  return (
    Object.keys(GrpcCode).find((name) => GrpcCode[name as keyof typeof GrpcCode] === code) ??
    fail(`no GrpcCode is ${code}`)
  );
}

/** A class of the main entry, by the name SPEC §2 gives it. */
function errorClass(name: string): typeof SandboxSdkError {
  const value = (sdk as Readonly<Record<string, unknown>>)[name];
  assert(typeof value === "function", `the main entry exports no class ${name}`);
  return value as typeof SandboxSdkError;
}

let testingKit: Promise<typeof import("../../src/testing/index.js")> | undefined;
/** The testing kit, loaded once and lazily: see the module comment. */
function loadTestingKit(): Promise<typeof import("../../src/testing/index.js")> {
  testingKit ??= import("../../src/testing/index.js");
  return testingKit;
}

/**
 * A function SPEC §10/§13 names that the source may not export yet: looked up by name so that this
 * suite compiles either way, and the check fails with a plain message until it exists.
 */
function specified<T>(module: object, name: string): T {
  const value = (module as Readonly<Record<string, unknown>>)[name];
  assert(typeof value === "function", `${name} is not exported (SPEC §10/§13 names it)`);
  return value as T;
}

// ---------------------------------------------------------------------------------------------
// Transport-shaped failures, as each road throws them
// ---------------------------------------------------------------------------------------------

/** A grpc-js `ServiceError`: numeric code, `details`, trailers in a `Metadata` with `get(key)`. */
function grpcJsError(vector: Vector, details: string): Error {
  const bytes = fromHex(vector.hex);
  const code = expected<number>(vector, "code") ?? fail(`vector ${vector.name} has no code`);
  return Object.assign(new Error(`${code} ${codeName(code)}: ${details}`), {
    code,
    details,
    metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [bytes] : []) },
  });
}

/** A protobuf-ts `RpcError`: the code by name, trailers as base64 strings in the `meta` record. */
function protobufTsError(vector: Vector, details: string): Error {
  const code = expected<number>(vector, "code") ?? fail(`vector ${vector.name} has no code`);
  return Object.assign(new Error(details), {
    name: "RpcError",
    code: codeName(code),
    meta: { [STATUS_DETAILS_KEY]: toBase64(fromHex(vector.hex)) },
    methodName: "GetSandbox",
    serviceName: "sandbox.v1.SandboxService",
  });
}

/**
 * Vectors and the class SPEC §5 says they map to, with the transport's code equal to the blob's:
 * trusted reasons (step 1), codes without a reason (step 2), violations and the base class (step 3),
 * and the discovery scope, where NOT_FOUND gives RunnerNotFoundError whatever the (untrusted) reason.
 */
const MAPPINGS: readonly { vector: string; className: string; context?: MappingContext }[] = [
  { vector: "reference", className: "SandboxNotFoundError" },
  { vector: "errorinfo-only", className: "SandboxFileError" },
  { vector: "retry-nanos", className: "SandboxUnavailableError" },
  { vector: "retry-only", className: "SandboxUnavailableError" },
  { vector: "requestinfo", className: "SandboxUnavailableError" },
  {
    vector: "all-detail-types",
    className: "SnapshotNotReadyError",
    context: { fileSystemSnapshotId: "fss-1" },
  },
  { vector: "badrequest", className: "SandboxValidationError" },
  { vector: "errorinfo-foreign-domain", className: "RunnerNotFoundError", context: { scope: "discovery" } },
  { vector: "unknown-type", className: "SandboxFileError" },
  { vector: "no-details", className: "SandboxError" },
];

/** What every mapped error must carry from its vector, whichever road brought it. */
function assertMapped(error: SandboxSdkError, vector: Vector, className: string, cause: unknown): void {
  const Class = errorClass(className);
  assert(error instanceof Class, `expected an instance of ${className}, got ${error.name}`);
  assert(
    error instanceof SandboxSdkError && error instanceof Error,
    `${error.name} is not a SandboxSdkError`,
  );
  assertEqual(error.name, className, "name");
  assertEqual(error.grpcCode, expected(vector, "code"), "grpcCode");
  assertEqual(error.reason, expected(vector, "reason"), "reason");
  assertEqual(error.domain, expected(vector, "domain"), "domain");
  assertEqual({ ...error.metadata }, vector.expect.metadata, "metadata");
  assert(Object.isFrozen(error.metadata), "metadata is not frozen");
  assert(Object.getPrototypeOf(error.metadata) === null, "metadata has a prototype");
  assertEqual(error.retryDelay, expected(vector, "retryDelay"), "retryDelay");
  assertEqual(error.requestId, expected(vector, "requestId"), "requestId");
  assertEqual(
    error.details.map((detail) => detail.type),
    vector.expect.detailTypes,
    "detail types",
  );
  assert(error.cause === cause, "cause is not the transport's error");
  assert(isSandboxSdkError(error), "isSandboxSdkError says no");
  assert(Class.isInstance(error), `${className}.isInstance says no`);
}

/** toJSON → JSON text → fromJSON gives the same class and the same fields. */
function assertRoundTrip(error: SandboxSdkError): SandboxSdkError {
  const text = JSON.stringify(error);
  const revived = SandboxSdkError.fromJSON(JSON.parse(text));
  const Class = errorClass(error.name);
  assert(revived instanceof Class, `fromJSON gave ${revived.name}, not ${error.name}`);
  assertEqual(revived.name, error.name, "name");
  assertEqual(revived.message, error.message, "message");
  for (const field of [
    "reason",
    "domain",
    "retryDelay",
    "grpcCode",
    "requestId",
    "retryable",
    "stack",
  ] as const) {
    assertEqual(revived[field], error[field], field);
  }
  assertEqual({ ...revived.metadata }, { ...error.metadata }, "metadata");
  assertEqual(revived.details, error.details, "details");
  const fieldViolations = (error as unknown as { fieldViolations?: unknown }).fieldViolations;
  assertEqual(
    (revived as unknown as { fieldViolations?: unknown }).fieldViolations,
    fieldViolations,
    "fieldViolations",
  );
  assertEqual(
    SandboxSdkError.fromJSON(text).toJSON(),
    revived.toJSON(),
    "fromJSON(text) against fromJSON(object)",
  );
  return revived;
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

function vectorChecks(): Check[] {
  const checks: Check[] = [];
  const forms: [string, (bytes: Uint8Array) => Uint8Array | string][] = [
    ["bytes", (bytes) => bytes],
    ["base64", toBase64],
    ["URL-safe base64 without padding", (bytes) => toUrlSafeUnpadded(toBase64(bytes))],
  ];
  for (const vector of vectors) {
    for (const [form, encode] of forms) {
      checks.push({
        name: `parseStatusDetails: vector ${vector.name} as ${form}`,
        run: () => {
          assertEqual(summarise(parseStatusDetails(encode(fromHex(vector.hex)))), vector.expect, vector.name);
        },
      });
    }
  }
  checks.push({
    name: "parseStatusDetails: an ArrayBuffer and a list of values read like the bytes",
    run: () => {
      const bytes = fromHex(vectorNamed("reference").hex);
      const expectation = parseStatusDetails(bytes);
      assert(expectation !== undefined, "the reference vector did not decode");
      assertEqual(parseStatusDetails(bytes.slice().buffer), expectation, "ArrayBuffer");
      assertEqual(parseStatusDetails([new Uint8Array(0), "", bytes]), expectation, "list");
    },
  });
  return checks;
}

function mappingChecks(): Check[] {
  const checks: Check[] = [];
  const roads: [string, (vector: Vector, details: string) => Error][] = [
    ["grpc-js ServiceError", grpcJsError],
    ["protobuf-ts RpcError", protobufTsError],
  ];
  for (const { vector: name, className, context } of MAPPINGS) {
    for (const [road, make] of roads) {
      checks.push({
        name: `fromGrpcStatus: ${road} with vector ${name} gives ${className}`,
        run: () => {
          const vector = vectorNamed(name);
          const thrown = make(vector, `server says: ${name}`);
          assertMapped(fromGrpcStatus(thrown, context), vector, className, thrown);
        },
      });
    }
  }
  checks.push({
    name: "fromGrpcStatus: every road gives the same message and fields",
    run: () => {
      for (const { vector: name, context } of MAPPINGS) {
        const vector = vectorNamed(name);
        const viaGrpcJs = fromGrpcStatus(grpcJsError(vector, "same words"), context);
        const viaProtobufTs = fromGrpcStatus(protobufTsError(vector, "same words"), context);
        const { cause: _a, stack: _b, ...left } = viaGrpcJs.toJSON();
        const { cause: _c, stack: _d, ...right } = viaProtobufTs.toJSON();
        assertEqual(left, right, name);
      }
    },
  });
  checks.push({
    name: "fromGrpcStatus: SandboxFileError takes filepath from ErrorInfo metadata",
    run: () => {
      const vector = vectorNamed("errorinfo-only");
      const error = fromGrpcStatus(grpcJsError(vector, "no such file"));
      const metadata = vector.expect.metadata as Record<string, string>;
      assertEqual((error as unknown as { filepath?: unknown }).filepath, metadata.filepath, "filepath");
    },
  });
  checks.push({
    name: "fromGrpcStatus: SandboxValidationError carries the violations and names them in its message",
    run: () => {
      const vector = vectorNamed("badrequest");
      const error = fromGrpcStatus(grpcJsError(vector, "bad tags"), { operation: "create" });
      assert(error instanceof SandboxValidationError, `got ${error.name}`);
      assertEqual(error.fieldViolations, vector.expect.fieldViolations, "fieldViolations");
      for (const { field } of error.fieldViolations) {
        assert(error.message.includes(field), `the message ${show(error.message)} does not name ${field}`);
      }
    },
  });
  checks.push({
    name: "fromGrpcStatus: a SandboxSdkError comes back as it is, and garbage never throws",
    run: () => {
      const error = new SandboxUnavailableError("down");
      assert(fromGrpcStatus(error) === error, "a SandboxSdkError was mapped again");
      for (const thrown of [
        undefined,
        null,
        42,
        "text",
        {},
        [],
        { code: "NOT_A_CODE" },
        { metadata: { get: fail } },
      ]) {
        assert(fromGrpcStatus(thrown) instanceof SandboxError, `${show(thrown)} did not give a SandboxError`);
      }
    },
  });
  return checks;
}

function jsonChecks(): Check[] {
  const checks: Check[] = [];
  for (const { vector: name, className, context } of MAPPINGS) {
    checks.push({
      name: `toJSON/fromJSON: ${className} from vector ${name} round-trips`,
      run: () => {
        assertRoundTrip(fromGrpcStatus(grpcJsError(vectorNamed(name), `server says: ${name}`), context));
      },
    });
  }
  checks.push({
    name: "toJSON/fromJSON: an Unknown detail's bytes travel as base64 and come back as bytes",
    run: () => {
      const error = fromGrpcStatus(grpcJsError(vectorNamed("unknown-type"), "odd detail"));
      const unknown = error.details.find((detail) => detail.type === "Unknown");
      assert(unknown?.type === "Unknown", "the unknown-type vector gave no Unknown detail");
      assert(isBytes(unknown.value) && unknown.value.length > 0, "the Unknown detail has no bytes");
      const json = JSON.parse(JSON.stringify(error)) as { details: { type: string; value?: unknown }[] };
      const written = json.details.find((detail) => detail.type === "Unknown");
      assertEqual(written?.value, toBase64(unknown.value), "the JSON value");
      const revived = assertRoundTrip(error).details.find((detail) => detail.type === "Unknown");
      assert(
        revived?.type === "Unknown" && isBytes(revived.value),
        "the revived Unknown detail has no bytes",
      );
      assertEqual(revived.value, unknown.value, "the revived bytes");
    },
  });
  checks.push({
    name: "toJSON/fromJSON: an execution result's bytes round-trip through base64",
    run: () => {
      const stdoutBytes = new Uint8Array([0, 1, 2, 250, 251, 255]);
      const error = new SandboxExecutionError("boom", {
        execResult: {
          stdout: "",
          stderr: "ValueError: x",
          exitCode: 1,
          command: ["python", "-c", "x"],
          stdoutBytes,
        },
      });
      const json = JSON.parse(JSON.stringify(error)) as { execResult: { stdoutBytes: unknown } };
      assertEqual(json.execResult.stdoutBytes, toBase64(stdoutBytes), "stdoutBytes in JSON");
      const revived = SandboxSdkError.fromJSON(JSON.stringify(error));
      assert(revived instanceof SandboxExecutionError, `fromJSON gave ${revived.name}`);
      assertEqual(revived.execResult?.stdoutBytes, stdoutBytes, "stdoutBytes");
      assertEqual(revived.execResult?.command, ["python", "-c", "x"], "command");
    },
  });
  checks.push({
    name: "toJSON: a transport error as cause becomes { name, message, code }",
    run: () => {
      const thrown = grpcJsError(vectorNamed("reference"), "gone");
      const json = fromGrpcStatus(thrown).toJSON();
      assertEqual(json.cause, { name: "Error", message: thrown.message, code: 5 }, "cause");
    },
  });
  checks.push({
    name: "fromJSON: an unknown name gives a SandboxSdkError",
    run: () => {
      const revived = SandboxSdkError.fromJSON({
        name: "FromAFutureVersionError",
        message: "m",
        reason: "R",
      });
      assert(revived instanceof SandboxSdkError, "not a SandboxSdkError");
      assertEqual([revived.name, revived.message, revived.reason], ["SandboxSdkError", "m", "R"], "fields");
    },
  });
  return checks;
}

function instanceofChecks(): Check[] {
  return [
    {
      name: "instanceof: SandboxValidationError is a ValidationError, a SandboxError and an Error",
      run: () => {
        const error = new SandboxValidationError("bad", {
          fieldViolations: [{ field: "a", description: "b" }],
        });
        assert(error instanceof ValidationError, "not a ValidationError");
        assert(error instanceof SandboxError, "not a SandboxError");
        assert(error instanceof SandboxSdkError, "not a SandboxSdkError");
        assert(error instanceof Error, "not an Error");
        assert(!(error instanceof DiscoveryError), "a DiscoveryError");
      },
    },
    {
      name: "instanceof: DiscoveryValidationError is a ValidationError and a DiscoveryError",
      run: () => {
        const error = new DiscoveryValidationError("bad");
        assert(error instanceof ValidationError && error instanceof DiscoveryError, "not both");
        assert(!(error instanceof SandboxError), "a SandboxError");
      },
    },
    {
      name: "instanceof: a base instance is never an instance of a subclass",
      run: () => {
        assert(
          !(new SandboxError("x") instanceof SandboxNotFoundError),
          "SandboxError is a SandboxNotFoundError",
        );
        assert(!(new SandboxSdkError("x") instanceof SandboxError), "SandboxSdkError is a SandboxError");
        assert(
          !(new ValidationError("x") instanceof SandboxValidationError),
          "ValidationError is a subclass",
        );
      },
    },
    {
      name: "instanceof: plain objects, null and look-alikes are never instances",
      run: () => {
        const lookAlikes: unknown[] = [
          null,
          undefined,
          {},
          { name: "SandboxNotFoundError", message: "x", reason: "R" },
          Object.assign(new Error("x"), { name: "SandboxSdkError" }),
        ];
        for (const value of lookAlikes) {
          assert(!(value instanceof SandboxSdkError), `${show(value)} is a SandboxSdkError`);
          assert(!isSandboxSdkError(value), `isSandboxSdkError(${show(value)})`);
          assert(!SandboxNotFoundError.isInstance(value), `SandboxNotFoundError.isInstance(${show(value)})`);
        }
      },
    },
    {
      name: "isRetryable and retryable agree: unavailable yes, request too large no",
      run: () => {
        const unavailable = new SandboxUnavailableError("down", { retryDelay: 5 });
        const tooLarge = new RequestSizeError("too big");
        assert(isRetryable(unavailable) && unavailable.retryable, "SandboxUnavailableError is not retryable");
        assert(!isRetryable(tooLarge) && !tooLarge.retryable, "RequestSizeError is retryable");
      },
    },
    {
      name: "retry: waits out a retryable failure with the engine's timers and resolves",
      run: async () => {
        const attempts: number[] = [];
        const result = await retry(
          ({ attempt }) => {
            attempts.push(attempt);
            if (attempt === 1) throw new SandboxUnavailableError("busy", { retryDelay: 1 });
            return "done";
          },
          { budgetMs: 60_000 },
        );
        assertEqual([result, attempts], ["done", [1, 2]], "result and attempts");
      },
    },
  ];
}

function testingKitChecks(): Check[] {
  const checks: Check[] = [
    {
      name: "testing kit: loads without a Node built-in or @grpc/grpc-js",
      run: async () => {
        const kit = await loadTestingKit();
        assert(typeof kit.encodeStatus === "function", "no encodeStatus");
      },
    },
  ];
  for (const vector of vectors.filter((candidate) => candidate.expect.ok)) {
    checks.push({
      name: `encodeStatus: vector ${vector.name} decodes back to the same status`,
      run: async () => {
        const { encodeStatus } = await loadTestingKit();
        const parsed = parseStatusDetails(fromHex(vector.hex));
        assert(parsed !== undefined, "the vector did not decode");
        const again = parseStatusDetails(encodeStatus(parsed));
        assertEqual(again, parsed, "re-decoded status");
        assertEqual(summarise(again), vector.expect, "against the vectors file");
      },
    });
  }

  type Form = "aip193" | "connect";
  type Protocol = "aip193" | "connect" | "grpc-web";
  type ToStatusJson = (source: SandboxSdkError | StatusInit, options: { form: Form }) => unknown;
  type ParseStatusJson = (input: unknown) => ParsedStatus | undefined;
  type ToResponse = (source: SandboxSdkError | StatusInit, options: { protocol: Protocol }) => Response;
  type FromResponse = (response: Response, context?: MappingContext) => Promise<SandboxSdkError>;

  for (const form of ["aip193", "connect"] as const) {
    checks.push({
      name: `toStatusJson/parseStatusJson: the reference status in the ${form} form comes back`,
      run: async () => {
        const toStatusJson = specified<ToStatusJson>(await loadTestingKit(), "toStatusJson");
        const parseStatusJson = specified<ParseStatusJson>(sdk, "parseStatusJson");
        const parsed = parseStatusDetails(fromHex(vectorNamed("reference").hex));
        assert(parsed !== undefined, "the reference vector did not decode");
        const again = parseStatusJson(JSON.stringify(toStatusJson(parsed, { form })));
        assertEqual(again, parsed, "parsed status");
      },
    });
  }
  for (const protocol of ["aip193", "connect", "grpc-web"] as const) {
    for (const { vector: name, className, context } of MAPPINGS.slice(0, 3)) {
      checks.push({
        name: `toResponse/fromResponse: ${className} from vector ${name} over ${protocol}`,
        run: async () => {
          const toResponse = specified<ToResponse>(await loadTestingKit(), "toResponse");
          const fromResponse = specified<FromResponse>(sdk, "fromResponse");
          const original = fromGrpcStatus(grpcJsError(vectorNamed(name), `server says: ${name}`), context);
          const response = toResponse(original, { protocol });
          // gRPC-web answers HTTP 200 and fails in its grpc-status; the JSON protocols fail in the HTTP status.
          if (protocol !== "grpc-web") assert(!response.ok, `the ${protocol} response reports success`);
          const mapped = await fromResponse(response, context);
          assert(mapped.cause === response, "cause is not the Response");
          // The kit promises the class and the fields back; the message is rebuilt by the templates,
          // and only the response carried an HTTP status.
          const { cause: _a, stack: _b, message: _m, httpStatus, ...left } = mapped.toJSON();
          const { cause: _c, stack: _d, message: _n, ...right } = original.toJSON();
          assertEqual(left, right, "fields");
          assert(httpStatus === response.status, "httpStatus is not the response's status");
        },
      });
    }
  }
  return checks;
}

function allChecks(): Check[] {
  return [
    ...vectorChecks(),
    ...mappingChecks(),
    ...jsonChecks(),
    ...instanceofChecks(),
    ...testingKitChecks(),
  ];
}

/** The names of the checks, in the order `runPortableChecks` runs them (for the runners' test list). */
export function portableCheckNames(): string[] {
  return allChecks().map((check) => check.name);
}

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    const { name, message, stack } = error as { name?: unknown; message?: unknown; stack?: unknown };
    const head = `${String(name ?? "Error")}: ${String(message)}`;
    // The first frames name the library function that reached for a missing global.
    const frames = typeof stack === "string" ? stack.split("\n").filter((line) => /^\s+at /.test(line)) : [];
    return [head, ...frames.slice(0, 4)].join("\n");
  }
  return String(error);
}

/** Runs every check, one after another; never rejects. */
export async function runPortableChecks(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of allChecks()) {
    try {
      await check.run();
      results.push({ name: check.name, ok: true });
    } catch (error) {
      results.push({ name: check.name, ok: false, error: describeError(error) });
    }
  }
  return results;
}
