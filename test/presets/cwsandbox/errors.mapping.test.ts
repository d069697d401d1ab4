import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import * as api from "../../../src/index.js";
import {
  fromGrpcStatus,
  GrpcCode,
  isNotFound,
  type MappingContext,
  Reason,
  SandboxSdkError,
  STATUS_DETAILS_KEY,
} from "../../../src/index.js";
import {
  badRequest,
  type EncodedDetail,
  encodeStatusBlob,
  errorInfo,
  requestInfo,
  retryInfo,
} from "../../support/encoder.js";
import { throwingProxy } from "../../support/hostile.js";
import { rpcError, serviceError } from "../../support/transport.js";
import { vectors } from "../../support/vectors.js";

type Row = [reasonOrCode: string | number, className: string, message: string];

const SANDBOX_CONTEXT: MappingContext = {
  operation: "exec",
  sandboxId: "sb-1",
  fileSystemSnapshotId: "fss-1",
};

function trusted(reason: string, metadata: Record<string, string> = {}): EncodedDetail[] {
  return [errorInfo(reason, "cwsandbox.com", metadata)];
}

function classOf(name: string): abstract new (...args: never[]) => SandboxSdkError {
  return (api as unknown as Record<string, abstract new (...args: never[]) => SandboxSdkError>)[name]!;
}

function expectExactly(error: SandboxSdkError, className: string, message: string): void {
  expect(error.name).toBe(className);
  expect(error.constructor).toBe(classOf(className));
  expect(error.message).toBe(message);
}

describe("step 1: trusted reasons in scope sandbox", () => {
  const rows: Row[] = [
    [Reason.FILE_NOT_FOUND, "SandboxFileError", "File operation failed (CWSANDBOX_FILE_NOT_FOUND): boom"],
    [
      Reason.FILE_IS_DIRECTORY,
      "SandboxFileError",
      "File operation failed (CWSANDBOX_FILE_IS_DIRECTORY): boom",
    ],
    [Reason.FILE_IO_FAILED, "SandboxFileError", "File operation failed (CWSANDBOX_FILE_IO_FAILED): boom"],
    [
      Reason.FILE_PERMISSION_DENIED,
      "SandboxFileError",
      "File operation failed (CWSANDBOX_FILE_PERMISSION_DENIED): boom",
    ],
    [Reason.FILE_TOO_LARGE, "SandboxFileError", "File operation failed (CWSANDBOX_FILE_TOO_LARGE): boom"],
    [Reason.FILE_TRUNCATED, "SandboxFileError", "File operation failed (CWSANDBOX_FILE_TRUNCATED): boom"],
    [Reason.SANDBOX_NOT_FOUND, "SandboxNotFoundError", "Sandbox 'sb-1' not found"],
    [Reason.SANDBOX_NOT_RUNNING, "SandboxNotRunningError", "exec failed: sandbox is not running: boom"],
    [Reason.COMMAND_TIMEOUT, "SandboxCommandTimeoutError", "exec timed out: boom"],
    [Reason.RUNNER_UNAVAILABLE, "SandboxUnavailableError", "Service unavailable: boom"],
    [Reason.BACKEND_UNAVAILABLE, "SandboxUnavailableError", "Service unavailable: boom"],
    [Reason.RUNNER_SHARD_RETIRING, "SandboxUnavailableError", "Service unavailable: boom"],
    [Reason.FSS_NOT_FOUND, "SnapshotNotFoundError", "exec failed (CWSANDBOX_FSS_NOT_FOUND): boom"],
    [Reason.FSS_NOT_READY, "SnapshotNotReadyError", "exec failed (CWSANDBOX_FSS_NOT_READY): boom"],
    [
      Reason.FSS_NOT_SUPPORTED,
      "SnapshotNotSupportedError",
      "exec failed (CWSANDBOX_FSS_NOT_SUPPORTED): boom",
    ],
    [
      Reason.FSS_SIZE_EXCEEDED,
      "SnapshotSizeExceededError",
      "exec failed (CWSANDBOX_FSS_SIZE_EXCEEDED): boom",
    ],
    [
      Reason.FSS_QUOTA_EXCEEDED,
      "SnapshotQuotaExceededError",
      "exec failed (CWSANDBOX_FSS_QUOTA_EXCEEDED): boom",
    ],
    [
      Reason.FSS_BUCKET_MISMATCH,
      "SnapshotBucketMismatchError",
      "exec failed (CWSANDBOX_FSS_BUCKET_MISMATCH): boom",
    ],
    [
      Reason.FSS_BUCKET_UNAVAILABLE,
      "SandboxSnapshotError",
      "exec failed (CWSANDBOX_FSS_BUCKET_UNAVAILABLE): boom",
    ],
    [Reason.FSS_RESTORE_FAILED, "SandboxSnapshotError", "exec failed (CWSANDBOX_FSS_RESTORE_FAILED): boom"],
    [Reason.FSS_CREATE_FAILED, "SandboxSnapshotError", "exec failed (CWSANDBOX_FSS_CREATE_FAILED): boom"],
    [
      Reason.FSS_CREATE_TIMED_OUT,
      "SandboxSnapshotError",
      "exec failed (CWSANDBOX_FSS_CREATE_TIMED_OUT): boom",
    ],
    [Reason.FSS_AUTH_FAILED, "SandboxSnapshotError", "exec failed (CWSANDBOX_FSS_AUTH_FAILED): boom"],
    [
      Reason.FSS_TRANSPORT_FAILED,
      "SandboxSnapshotError",
      "exec failed (CWSANDBOX_FSS_TRANSPORT_FAILED): boom",
    ],
    [Reason.FSS_CANCELED, "SandboxSnapshotError", "exec failed (CWSANDBOX_FSS_CANCELED): boom"],
    [
      Reason.FSS_WAIT_TIMEOUT,
      "SnapshotWaitTimeoutError",
      "exec timed out waiting for snapshot ready (CWSANDBOX_FSS_WAIT_TIMEOUT): boom",
    ],
    [
      Reason.FSS_BACKEND_THROTTLED,
      "SnapshotBackendThrottledError",
      "Snapshot backend throttled (CWSANDBOX_FSS_BACKEND_THROTTLED): boom",
    ],
    [
      Reason.FSS_INFLIGHT_LIMIT,
      "SnapshotBackendThrottledError",
      "Snapshot backend throttled (CWSANDBOX_FSS_INFLIGHT_LIMIT): boom",
    ],
    [
      Reason.FSS_BUCKET_PROVISIONING,
      "SnapshotBackendThrottledError",
      "Snapshot backend throttled (CWSANDBOX_FSS_BUCKET_PROVISIONING): boom",
    ],
  ];

  it.each(rows)("%s gives %s", (reason, className, message) => {
    // INTERNAL on its own would give the base SandboxError: the trusted reason decides.
    const error = fromGrpcStatus(
      serviceError(GrpcCode.INTERNAL, "boom", encodeStatusBlob(13, "blob", trusted(reason as string))),
      SANDBOX_CONTEXT,
    );
    expectExactly(error, className, message);
    expect(error.reason).toBe(reason);
    expect(error.grpcCode).toBe(GrpcCode.INTERNAL);
  });

  it("fills fileSystemSnapshotId of the snapshot classes from the context", () => {
    for (const reason of [Reason.FSS_NOT_READY, Reason.FSS_RESTORE_FAILED, Reason.FSS_WAIT_TIMEOUT]) {
      const error = fromGrpcStatus(
        serviceError(13, "boom", encodeStatusBlob(13, "", trusted(reason))),
        SANDBOX_CONTEXT,
      );
      expect(error).toMatchObject({ fileSystemSnapshotId: "fss-1" });
    }
  });

  it("takes filepath from the context, else from metadata.filepath", () => {
    const blob = encodeStatusBlob(5, "", trusted(Reason.FILE_NOT_FOUND, { filepath: "/from/server" }));
    expect(fromGrpcStatus(serviceError(5, "x", blob), { filepath: "/from/context" })).toMatchObject({
      filepath: "/from/context",
    });
    expect(fromGrpcStatus(serviceError(5, "x", blob))).toMatchObject({ filepath: "/from/server" });
    expect(
      fromGrpcStatus(serviceError(5, "x", encodeStatusBlob(5, "", trusted(Reason.FILE_IO_FAILED)))),
    ).toMatchObject({
      filepath: undefined,
    });
  });

  it("takes sandboxId from the context alone, never from metadata", () => {
    const blob = encodeStatusBlob(5, "", trusted(Reason.SANDBOX_NOT_FOUND, { sandboxId: "sb-server" }));
    const error = fromGrpcStatus(serviceError(5, "no such sandbox", blob));
    expectExactly(error, "SandboxNotFoundError", "no such sandbox");
    expect(error).toMatchObject({ sandboxId: undefined });
  });

  it("goes on to the status code for a trusted reason without a row (placement, serverless)", () => {
    const blob = encodeStatusBlob(14, "", trusted(Reason.RUNNER_CAPACITY_EXHAUSTED));
    const error = fromGrpcStatus(serviceError(GrpcCode.UNAVAILABLE, "full", blob), SANDBOX_CONTEXT);
    expectExactly(error, "SandboxUnavailableError", "Service unavailable: full");
    expect(error.reason).toBe(Reason.RUNNER_CAPACITY_EXHAUSTED);
  });
});

describe("trust", () => {
  it("ignores a reason from a foreign domain for mapping but still reports it", () => {
    const blob = encodeStatusBlob(13, "", [
      errorInfo(Reason.SANDBOX_NOT_FOUND, "evil.example.com", { k: "v" }),
    ]);
    const error = fromGrpcStatus(serviceError(GrpcCode.INTERNAL, "boom", blob), SANDBOX_CONTEXT);
    expectExactly(error, "SandboxError", "exec failed: boom");
    expect(error).toMatchObject({
      reason: Reason.SANDBOX_NOT_FOUND,
      domain: "evil.example.com",
      metadata: { k: "v" },
    });
  });

  it("trusts the domains the context lists instead of the default", () => {
    const acme = encodeStatusBlob(13, "", [errorInfo(Reason.COMMAND_TIMEOUT, "acme.example")]);
    const ours = encodeStatusBlob(13, "", trusted(Reason.COMMAND_TIMEOUT));
    const context = { trustedDomains: ["acme.example"] };
    expect(fromGrpcStatus(serviceError(13, "t", acme), context).name).toBe("SandboxCommandTimeoutError");
    expect(fromGrpcStatus(serviceError(13, "t", ours), context).name).toBe("SandboxError");
    expect(fromGrpcStatus(serviceError(13, "t", ours), { trustedDomains: [] }).name).toBe("SandboxError");
  });

  it("never trusts an empty domain by default", () => {
    const blob = encodeStatusBlob(13, "", [errorInfo(Reason.COMMAND_TIMEOUT, "")]);
    expect(fromGrpcStatus(serviceError(13, "t", blob)).name).toBe("SandboxError");
  });
});

describe("step 2: status codes in scope sandbox", () => {
  const rows: [code: number, context: MappingContext, details: string, className: string, message: string][] =
    [
      [
        GrpcCode.NOT_FOUND,
        SANDBOX_CONTEXT,
        "gone",
        "SnapshotNotFoundError",
        "File-system snapshot 'fss-1' not found",
      ],
      [GrpcCode.NOT_FOUND, { sandboxId: "sb-1" }, "gone", "SandboxNotFoundError", "Sandbox 'sb-1' not found"],
      [GrpcCode.NOT_FOUND, {}, "gone", "SandboxNotFoundError", "gone"],
      [
        GrpcCode.CANCELLED,
        SANDBOX_CONTEXT,
        "x",
        "SandboxNotRunningError",
        "exec was cancelled (sandbox sb-1 connection closed)",
      ],
      [GrpcCode.CANCELLED, { operation: "exec" }, "x", "SandboxNotRunningError", "exec was cancelled"],
      [
        GrpcCode.DEADLINE_EXCEEDED,
        SANDBOX_CONTEXT,
        "late",
        "SandboxRequestTimeoutError",
        "exec timed out: late",
      ],
      [GrpcCode.UNAVAILABLE, SANDBOX_CONTEXT, "down", "SandboxUnavailableError", "Service unavailable: down"],
      [
        GrpcCode.RESOURCE_EXHAUSTED,
        SANDBOX_CONTEXT,
        "quota",
        "SandboxResourceExhaustedError",
        "exec resource exhausted: quota",
      ],
      [
        GrpcCode.RESOURCE_EXHAUSTED,
        SANDBOX_CONTEXT,
        "Received message larger than max (4194305 vs. 4194304)",
        "RequestSizeError",
        "exec resource exhausted: Received message larger than max (4194305 vs. 4194304)",
      ],
    ];

  it.each(rows)("code %i with %j and details %j gives %s", (code, context, details, className, message) => {
    const error = fromGrpcStatus(serviceError(code, details), context);
    expectExactly(error, className, message);
    expect(error.grpcCode).toBe(code);
  });

  it("uses 'operation' when the context names none", () => {
    expect(fromGrpcStatus(serviceError(GrpcCode.DEADLINE_EXCEEDED, "late")).message).toBe(
      "operation timed out: late",
    );
  });

  it("a cancelled call is not retryable; a request-size error is not either", () => {
    expect(fromGrpcStatus(serviceError(GrpcCode.CANCELLED, "x")).retryable).toBe(false);
    expect(fromGrpcStatus(serviceError(GrpcCode.RESOURCE_EXHAUSTED, "larger than max")).retryable).toBe(
      false,
    );
    expect(fromGrpcStatus(serviceError(GrpcCode.RESOURCE_EXHAUSTED, "quota")).retryable).toBe(true);
  });
});

describe("step 3: every scope", () => {
  const scopes = [
    ["sandbox", "SandboxError", "SandboxValidationError"],
    ["discovery", "DiscoveryError", "DiscoveryValidationError"],
    ["general", "SandboxSdkError", "ValidationError"],
  ] as const;
  const violations = badRequest({ field: "a", description: "x" }, { field: "b", description: "y" });

  describe.each(scopes)("scope %s", (scope, base, validation) => {
    const context: MappingContext = { scope, operation: "create" };

    it("INVALID_ARGUMENT with field violations gives the validation class", () => {
      const error = fromGrpcStatus(
        serviceError(3, "bad request", encodeStatusBlob(3, "", [violations])),
        context,
      );
      expectExactly(error, validation, "create failed: bad request; field violations: a: x; b: y");
      expect(error).toBeInstanceOf(api.ValidationError);
      expect(error).toMatchObject({
        fieldViolations: [
          { field: "a", description: "x" },
          { field: "b", description: "y" },
        ],
      });
    });

    it("INVALID_ARGUMENT with empty details lists the violations alone", () => {
      const error = fromGrpcStatus(serviceError(3, "", encodeStatusBlob(3, "", [violations])), context);
      expect(error.message).toBe("create failed: field violations: a: x; b: y");
    });

    it("writes a violation with only a field or only a description as that part", () => {
      const partial = badRequest(
        { field: "only-field", description: "" },
        { field: "", description: "only text" },
      );
      const error = fromGrpcStatus(serviceError(3, "", encodeStatusBlob(3, "", [partial])), context);
      expect(error.message).toBe("create failed: field violations: only-field; only text");
    });

    it("INVALID_ARGUMENT without violations gives the base class", () => {
      expectExactly(fromGrpcStatus(serviceError(3, "bad"), context), base, "create failed: bad");
    });

    it("UNAUTHENTICATED gives AuthenticationError, never a SandboxError", () => {
      const error = fromGrpcStatus(serviceError(GrpcCode.UNAUTHENTICATED, "token expired"), context);
      expectExactly(error, "AuthenticationError", "Authentication failed: token expired");
      expect(error).not.toBeInstanceOf(api.SandboxError);
    });

    it("PERMISSION_DENIED gives PermissionDeniedError, an AuthenticationError", () => {
      const error = fromGrpcStatus(serviceError(GrpcCode.PERMISSION_DENIED, "nope"), context);
      expectExactly(error, "PermissionDeniedError", "Permission denied: nope");
      expect(error).toBeInstanceOf(api.AuthenticationError);
    });

    it.each([
      GrpcCode.OK,
      GrpcCode.UNKNOWN,
      GrpcCode.ALREADY_EXISTS,
      GrpcCode.FAILED_PRECONDITION,
      GrpcCode.ABORTED,
      GrpcCode.OUT_OF_RANGE,
      GrpcCode.UNIMPLEMENTED,
      GrpcCode.INTERNAL,
      GrpcCode.DATA_LOSS,
    ])("code %i gives the base class", (code) => {
      expectExactly(fromGrpcStatus(serviceError(code, "boom"), context), base, "create failed: boom");
    });

    it("a non-gRPC error gives the base class with no gRPC code", () => {
      const cause = new RangeError("offset out of bounds");
      const error = fromGrpcStatus(cause, context);
      expectExactly(error, base, "create failed: offset out of bounds");
      expect(error.grpcCode).toBeUndefined();
      expect(error.cause).toBe(cause);
    });
  });

  it.each([
    ["discovery", "DiscoveryError"],
    ["general", "SandboxSdkError"],
  ] as const)("DEADLINE_EXCEEDED and UNAVAILABLE in scope %s give %s", (scope, base) => {
    expectExactly(fromGrpcStatus(serviceError(4, "late"), { scope }), base, "operation timed out: late");
    expectExactly(fromGrpcStatus(serviceError(14, "down"), { scope }), base, "Service unavailable: down");
  });

  it("scope general ignores trusted reasons and NOT_FOUND", () => {
    const blob = encodeStatusBlob(5, "", trusted(Reason.SANDBOX_NOT_FOUND));
    expectExactly(
      fromGrpcStatus(serviceError(5, "gone", blob), { scope: "general" }),
      "SandboxSdkError",
      "operation failed: gone",
    );
  });
});

describe("scope discovery", () => {
  const context: MappingContext = { scope: "discovery", runnerId: "r-1", profileName: "gpu" };

  it("maps the trusted reason PROFILE_NOT_FOUND first, even under NOT_FOUND", () => {
    const blob = encodeStatusBlob(5, "", trusted(Reason.PROFILE_NOT_FOUND));
    const error = fromGrpcStatus(serviceError(GrpcCode.NOT_FOUND, "no profile", blob), context);
    expectExactly(error, "ProfileNotFoundError", "Profile 'gpu' not found");
    expect(error).toMatchObject({ profileName: "gpu", runnerId: "r-1" });
  });

  it("maps the trusted reason RUNNER_NOT_FOUND under any code", () => {
    const blob = encodeStatusBlob(13, "", trusted(Reason.RUNNER_NOT_FOUND));
    const error = fromGrpcStatus(serviceError(GrpcCode.INTERNAL, "no runner", blob), context);
    expectExactly(error, "RunnerNotFoundError", "Runner not found: 'r-1'");
    expect(error).toMatchObject({ runnerId: "r-1" });
  });

  it("maps NOT_FOUND without a reason to RunnerNotFoundError", () => {
    expectExactly(
      fromGrpcStatus(serviceError(5, "x"), context),
      "RunnerNotFoundError",
      "Runner not found: 'r-1'",
    );
  });

  it("falls back to the details when the context names no runner or profile", () => {
    const profile = encodeStatusBlob(5, "", trusted(Reason.PROFILE_NOT_FOUND));
    expect(fromGrpcStatus(serviceError(5, "no such profile", profile), { scope: "discovery" }).message).toBe(
      "Profile not found: no such profile",
    );
    expect(fromGrpcStatus(serviceError(5, "no such runner"), { scope: "discovery" }).message).toBe(
      "Runner not found: no such runner",
    );
  });

  it("ignores sandbox reasons and goes to step 3", () => {
    const blob = encodeStatusBlob(13, "", trusted(Reason.SANDBOX_NOT_FOUND));
    expectExactly(
      fromGrpcStatus(serviceError(13, "x", blob), context),
      "DiscoveryError",
      "operation failed: x",
    );
  });
});

describe("what every result carries", () => {
  it("carries the parsed details whatever the class, the transport's code and the input as cause", () => {
    const blob = encodeStatusBlob(2, "blob message", [
      errorInfo("SOMETHING_ELSE", "other.example", { k: "v" }),
      retryInfo(1, 500_000_000),
      requestInfo("req-9"),
    ]);
    const input = serviceError(GrpcCode.ABORTED, "aborted", blob);
    const error = fromGrpcStatus(input);
    expect(error).toMatchObject({
      reason: "SOMETHING_ELSE",
      domain: "other.example",
      metadata: { k: "v" },
      retryDelay: 1500,
      requestId: "req-9",
      grpcCode: GrpcCode.ABORTED,
    });
    expect(error.details.map((d) => d.type)).toEqual(["ErrorInfo", "RetryInfo", "RequestInfo"]);
    expect(error.cause).toBe(input);
    expect(Object.isFrozen(error.metadata)).toBe(true);
  });

  it("takes the transport's code over the blob's", () => {
    const blob = encodeStatusBlob(GrpcCode.NOT_FOUND, "", []);
    expect(fromGrpcStatus(serviceError(GrpcCode.UNAVAILABLE, "x", blob)).name).toBe(
      "SandboxUnavailableError",
    );
  });

  it("reads an empty server message as the code's canonical name, on every road alike", () => {
    expect(fromGrpcStatus(serviceError(14, "")).message).toBe("Service unavailable: UNAVAILABLE");
    expect(fromGrpcStatus(serviceError(14, "")).rawMessage).toBeUndefined();
    expect(fromGrpcStatus({ code: 14, details: "" }).message).toBe("Service unavailable: UNAVAILABLE");
    expect(fromGrpcStatus({}).message).toBe("operation failed: unknown error");
    expect(fromGrpcStatus("plain text").message).toBe("operation failed: plain text");
  });

  it("returns a SandboxSdkError unchanged", () => {
    const error = new api.SandboxNotFoundError("m");
    expect(fromGrpcStatus(error, { scope: "general" })).toBe(error);
  });
});

describe("transports", () => {
  const blob = encodeStatusBlob(5, "", trusted(Reason.SANDBOX_NOT_FOUND, { region: "eu" }));

  it("reads a grpc-js StatusObject (no message)", () => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob));
    const error = fromGrpcStatus({ code: 5, details: "gone", metadata }, { sandboxId: "sb" });
    expectExactly(error, "SandboxNotFoundError", "Sandbox 'sb' not found");
    expect(error.metadata).toEqual({ region: "eu" });
  });

  it("reads a protobuf-ts RpcError: code names and base64 trailers in meta", () => {
    const error = fromGrpcStatus(rpcError("NOT_FOUND", "gone", blob));
    expectExactly(error, "SandboxNotFoundError", "gone");
    expect(error).toMatchObject({
      grpcCode: 5,
      reason: Reason.SANDBOX_NOT_FOUND,
      metadata: { region: "eu" },
    });
    expect(fromGrpcStatus(rpcError("DEADLINE_EXCEEDED", "late")).name).toBe("SandboxRequestTimeoutError");
  });

  it("reads a protobuf-ts trailer sent as a list of values", () => {
    const error = fromGrpcStatus({
      code: "UNAVAILABLE",
      message: "down",
      meta: { [STATUS_DETAILS_KEY]: ["", Buffer.from(blob).toString("base64")] },
    });
    expect(error.reason).toBe(Reason.SANDBOX_NOT_FOUND);
  });

  it("reads fetch Headers (Connect) and Connect's lower-case code names", () => {
    const headers = new Headers({
      [STATUS_DETAILS_KEY]: Buffer.from(blob).toString("base64").replace(/=+$/, ""),
    });
    const error = fromGrpcStatus({ code: "unavailable", message: "down", metadata: headers });
    expect(error).toMatchObject({ name: "SandboxNotFoundError", grpcCode: 14 });
    expect(fromGrpcStatus({ code: "canceled", message: "x" }).grpcCode).toBe(GrpcCode.CANCELLED);
  });

  it("ignores codes outside 0–16 and unknown names", () => {
    for (const code of [17, -1, 1.5, "ENOENT", "", Number.NaN]) {
      expect(fromGrpcStatus({ code, message: "m" }).grpcCode).toBeUndefined();
    }
  });
});

describe("stacks", () => {
  function callerFrame(): SandboxSdkError {
    return fromGrpcStatus(serviceError(5, "gone"));
  }

  it("start at the caller of fromGrpcStatus, with no frames of this library", () => {
    const lines = callerFrame().stack?.split("\n") ?? [];
    expect(lines[0]).toBe("SandboxNotFoundError: gone");
    expect(lines[1]).toContain("callerFrame");
    expect(lines.some((line) => /src[/\\](errors|status-details|protobuf)\.ts/.test(line))).toBe(false);
  });

  it("leave Error.stackTraceLimit as it was", () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 7;
    try {
      callerFrame();
      fromGrpcStatus(null);
      expect(Error.stackTraceLimit).toBe(7);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

describe("hostile input never throws and keeps the code", () => {
  const throwing = () => {
    throw new Error("getter");
  };

  it.each([
    ["a proxy that throws on every trap", throwingProxy()],
    [
      "throwing getters",
      Object.defineProperties(
        {},
        { code: { get: throwing }, details: { get: throwing }, message: { get: throwing } },
      ),
    ],
    ["a symbol", Symbol("s")],
    ["a bigint", 10n],
    ["a function", () => 1],
    ["null", null],
    ["undefined", undefined],
    ["a frozen array", Object.freeze([1, 2])],
  ])("%s", (_name, input) => {
    const error = fromGrpcStatus(input);
    expect(error).toBeInstanceOf(SandboxSdkError);
    expect(error.cause).toBe(input);
  });

  it("maps the code when the metadata's get() throws", () => {
    const error = fromGrpcStatus({ code: 14, details: "down", metadata: { get: throwing } });
    expectExactly(error, "SandboxUnavailableError", "Service unavailable: down");
  });

  it("maps the code when the blob is garbage, truncated or full of invalid UTF-8", () => {
    const good = encodeStatusBlob(14, "m", trusted(Reason.BACKEND_UNAVAILABLE));
    for (const blob of [new Uint8Array([0xff, 0xff, 0xff]), good.subarray(0, good.length - 3)]) {
      const error = fromGrpcStatus(serviceError(GrpcCode.UNAVAILABLE, "down", blob));
      expectExactly(error, "SandboxUnavailableError", "Service unavailable: down");
      expect(error.reason).toBeUndefined();
    }
    for (const name of ["invalid-utf8", "hostile-metadata-keys"]) {
      const vector = vectors.find((v) => v.name === name)!;
      const error = fromGrpcStatus(
        serviceError(GrpcCode.UNAVAILABLE, "down", Buffer.from(vector.hex, "hex")),
      );
      // The trusted file reason picks the class; the transport's code is kept.
      expect(error).toMatchObject({ name: "SandboxFileError", grpcCode: 14, reason: Reason.FILE_NOT_FOUND });
      expect({ ...error.metadata }).toEqual(vector.expect.metadata);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("maps without the context when the context's getters throw, keeping the code", () => {
    const context = Object.defineProperty({}, "operation", { get: throwing }) as MappingContext;
    const input = serviceError(5, "x", encodeStatusBlob(5, "", trusted(Reason.SANDBOX_NOT_FOUND)));
    const error = fromGrpcStatus(input, context);
    expectExactly(error, "SandboxNotFoundError", "x");
    expect(error).toMatchObject({ grpcCode: 5, reason: Reason.SANDBOX_NOT_FOUND });
    expect(error.cause).toBe(input);
  });

  it("never throws on a lookalike whose brand list is a throwing proxy", () => {
    const list = throwingProxy([]);
    const lookalike = { [Symbol.for("sandbox-sdk-errors.brands")]: list, code: 14, details: "down" };
    expect(api.isSandboxSdkError(lookalike)).toBe(false);
    // Not an error of this package: judged as the raw UNAVAILABLE it is, as fromGrpcStatus maps it.
    expect(api.isRetryable(lookalike)).toBe(true);
    expect(lookalike instanceof SandboxSdkError).toBe(false);
    expectExactly(fromGrpcStatus(lookalike), "SandboxUnavailableError", "Service unavailable: down");
  });
});

describe("isNotFound", () => {
  it("is true for NOT_FOUND whatever the domain, mapped or raw", () => {
    const foreign = encodeStatusBlob(5, "", [errorInfo("X", "evil.example")]);
    expect(isNotFound(serviceError(5, "x", foreign))).toBe(true);
    expect(isNotFound(fromGrpcStatus(serviceError(5, "x"), { scope: "general" }))).toBe(true);
  });

  it("is true for the given reason from a trusted domain under any code", () => {
    const blob = encodeStatusBlob(9, "", trusted(Reason.FSS_NOT_FOUND));
    expect(isNotFound(serviceError(9, "x", blob), Reason.FSS_NOT_FOUND)).toBe(true);
    expect(isNotFound(fromGrpcStatus(serviceError(9, "x", blob)), Reason.FSS_NOT_FOUND)).toBe(true);
    expect(isNotFound(serviceError(9, "x", blob))).toBe(false);
    expect(isNotFound(serviceError(9, "x", blob), Reason.SANDBOX_NOT_FOUND)).toBe(false);
  });

  it("is false for the reason from an untrusted domain, unless the options trust it", () => {
    const blob = encodeStatusBlob(9, "", [errorInfo(Reason.FSS_NOT_FOUND, "acme.example")]);
    expect(isNotFound(serviceError(9, "x", blob), Reason.FSS_NOT_FOUND)).toBe(false);
    expect(
      isNotFound(serviceError(9, "x", blob), Reason.FSS_NOT_FOUND, { trustedDomains: ["acme.example"] }),
    ).toBe(true);
  });

  it.each(["SandboxNotFoundError", "SnapshotNotFoundError", "RunnerNotFoundError", "ProfileNotFoundError"])(
    "is true for a %s raised by SDK code without a status code",
    (name) => {
      const error = new (classOf(name) as unknown as new (message: string) => SandboxSdkError)("raised here");
      expect(error.grpcCode).toBeUndefined();
      expect(isNotFound(error)).toBe(true);
    },
  );

  it("is false for other codes, client errors and junk", () => {
    expect(isNotFound(serviceError(14, "x"))).toBe(false);
    expect(isNotFound(new api.SandboxError("raised on the client"))).toBe(false);
    expect(isNotFound(null)).toBe(false);
    expect(isNotFound(throwingProxy())).toBe(false);
  });
});
