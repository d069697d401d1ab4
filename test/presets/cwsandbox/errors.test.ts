import { describe, expect, it } from "vitest";
import * as api from "../../../src/index.js";
import {
  AuthenticationError,
  DiscoveryValidationError,
  ERROR_DOMAIN,
  GrpcCode,
  isRetryable,
  isSandboxSdkError,
  Reason,
  RequestSizeError,
  SandboxError,
  SandboxExecutionError,
  SandboxFileError,
  SandboxNotFoundError,
  SandboxSdkError,
  SandboxStreamBackpressureError,
  SandboxStreamTruncatedError,
  SandboxUnavailableError,
  SandboxValidationError,
  StreamCode,
  streamError,
  ValidationError,
} from "../../../src/index.js";
import { throwingProxy } from "../../support/hostile.js";

/** The tree of the contract, child → parent, written out independently of the source. */
const PARENT: Record<string, string | null> = {
  SandboxSdkError: null,
  AuthenticationError: "SandboxSdkError",
  PermissionDeniedError: "AuthenticationError",
  ValidationError: "SandboxSdkError",
  ClientClosedError: "SandboxSdkError",
  SandboxError: "SandboxSdkError",
  SandboxValidationError: "SandboxError",
  SandboxNotRunningError: "SandboxError",
  SandboxUnavailableError: "SandboxNotRunningError",
  SnapshotBackendThrottledError: "SandboxUnavailableError",
  SandboxTimeoutError: "SandboxError",
  SandboxRequestTimeoutError: "SandboxTimeoutError",
  SandboxCommandTimeoutError: "SandboxTimeoutError",
  SnapshotWaitTimeoutError: "SandboxTimeoutError",
  SandboxTerminatedError: "SandboxError",
  SandboxFailedError: "SandboxError",
  SandboxNotFoundError: "SandboxError",
  SandboxExecutionError: "SandboxError",
  SandboxStreamBackpressureError: "SandboxExecutionError",
  SandboxStreamTruncatedError: "SandboxExecutionError",
  SandboxFileError: "SandboxError",
  SandboxResourceExhaustedError: "SandboxError",
  RequestSizeError: "SandboxResourceExhaustedError",
  SandboxTerminalStateUnavailableError: "SandboxError",
  SandboxSnapshotError: "SandboxError",
  SnapshotNotFoundError: "SandboxSnapshotError",
  SnapshotNotReadyError: "SandboxSnapshotError",
  SnapshotNotSupportedError: "SandboxSnapshotError",
  SnapshotSizeExceededError: "SandboxSnapshotError",
  SnapshotQuotaExceededError: "SandboxSnapshotError",
  SnapshotBucketMismatchError: "SandboxSnapshotError",
  SnapshotOnStopConflictError: "SandboxSnapshotError",
  DiscoveryError: "SandboxSdkError",
  DiscoveryValidationError: "DiscoveryError",
  RunnerNotFoundError: "DiscoveryError",
  ProfileNotFoundError: "DiscoveryError",
  FunctionError: "SandboxSdkError",
  AsyncFunctionError: "FunctionError",
  FunctionSerializationError: "FunctionError",
};
const ALSO: Record<string, string[]> = {
  SandboxValidationError: ["ValidationError"],
  DiscoveryValidationError: ["ValidationError"],
};
const RETRYABLE = new Set([
  "SandboxUnavailableError",
  "SnapshotBackendThrottledError",
  "SandboxRequestTimeoutError",
  "SandboxResourceExhaustedError",
]);

function ancestors(name: string): Set<string> {
  const found = new Set<string>();
  const visit = (n: string) => {
    found.add(n);
    const parent = PARENT[n];
    if (parent) visit(parent);
    for (const extra of ALSO[n] ?? []) visit(extra);
  };
  visit(name);
  return found;
}

type AnyErrorClass = new (message: string, options?: object) => SandboxSdkError;
const classes = Object.keys(PARENT).map(
  (name) => [name, (api as unknown as Record<string, AnyErrorClass>)[name]!] as const,
);

describe("the hierarchy", () => {
  it("exports every class of the contract", () => {
    for (const [name, cls] of classes) expect(typeof cls, name).toBe("function");
  });

  it.each(classes)("%s answers instanceof exactly for itself and its ancestors", (name, cls) => {
    const error = new cls("m");
    const expected = ancestors(name);
    for (const [other, otherClass] of classes) {
      expect(error instanceof otherClass, `${name} instanceof ${other}`).toBe(expected.has(other));
      expect((otherClass as unknown as typeof SandboxSdkError).isInstance(error), `${other}.isInstance`).toBe(
        expected.has(other),
      );
    }
    expect(error instanceof Error).toBe(true);
    expect(isSandboxSdkError(error)).toBe(true);
  });

  it.each(classes)("%s has its name as a literal, before and after construction", (name, cls) => {
    const error = new cls("m");
    expect(error.name).toBe(name);
    expect(cls.prototype.name).toBe(name);
    expect(String(error)).toBe(`${name}: m`);
    expect(error.stack?.split("\n")[0]).toBe(`${name}: m`);
  });

  it.each(classes)("%s is retryable exactly when the contract says", (name, cls) => {
    const error = new cls("m", { retryDelay: 1000 });
    expect(error.retryable).toBe(RETRYABLE.has(name));
    expect(isRetryable(error)).toBe(RETRYABLE.has(name));
  });

  it("never matches lookalikes, primitives or hostile objects", () => {
    const lookalike = Object.assign(new Error("m"), { name: "SandboxError", reason: "R", grpcCode: 5 });
    const hostile = throwingProxy();
    for (const value of [
      lookalike,
      { name: "SandboxSdkError" },
      null,
      undefined,
      0,
      "SandboxError",
      hostile,
    ]) {
      for (const [, cls] of classes) {
        expect(() => value instanceof cls).not.toThrow();
        expect(value instanceof cls).toBe(false);
      }
      expect(isSandboxSdkError(value)).toBe(false);
      expect(isRetryable(value)).toBe(false);
    }
  });

  it("gives a subclass declared by a user ordinary instanceof", () => {
    class MyError extends SandboxError {}
    const mine = new MyError("m");
    expect(mine instanceof MyError).toBe(true);
    expect(mine instanceof SandboxError).toBe(true);
    expect(new SandboxError("m") instanceof MyError).toBe(false);
    expect(mine.name).toBe("SandboxError");
  });
});

describe("fields", () => {
  it("copies the common fields and keeps the cause", () => {
    const cause = new Error("transport");
    const details = [{ type: "RequestInfo", requestId: "r", servingData: "" } as const];
    const error = new SandboxSdkError("m", {
      reason: "R",
      domain: "d",
      metadata: { a: "b" },
      retryDelay: 0,
      grpcCode: 14,
      details,
      requestId: "r",
      cause,
    });
    expect(error).toMatchObject({ reason: "R", domain: "d", retryDelay: 0, grpcCode: 14, requestId: "r" });
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual(details);
    expect(error.details).not.toBe(details);
    expect(Object.isFrozen(error.details)).toBe(true);
  });

  it("makes metadata a frozen null-prototype copy that never aliases the caller's object", () => {
    const given: Record<string, string> = { a: "b" };
    const error = new SandboxSdkError("m", { metadata: given });
    given.a = "changed";
    expect(error.metadata.a).toBe("b");
    expect(Object.getPrototypeOf(error.metadata)).toBeNull();
    expect(Object.isFrozen(error.metadata)).toBe(true);
    expect(new SandboxSdkError("m").metadata).toEqual({});
  });

  it("sets absent fields to their defaults", () => {
    const error = new SandboxSdkError("m");
    expect(error).toMatchObject({
      reason: undefined,
      domain: undefined,
      retryDelay: undefined,
      grpcCode: undefined,
      requestId: undefined,
      details: [],
    });
    expect("cause" in error).toBe(false);
    expect(new ValidationError("m").fieldViolations).toEqual([]);
  });

  it("keeps each class's own fields (not reset by class-field semantics)", () => {
    expect(new SandboxNotFoundError("m", { sandboxId: "sb" }).sandboxId).toBe("sb");
    expect(new SandboxFileError("m", { filepath: "/f" }).filepath).toBe("/f");
    expect(new api.SnapshotNotFoundError("m", { fileSystemSnapshotId: "s" }).fileSystemSnapshotId).toBe("s");
    expect(new api.SnapshotWaitTimeoutError("m", { fileSystemSnapshotId: "s" }).fileSystemSnapshotId).toBe(
      "s",
    );
    expect(new api.RunnerNotFoundError("m", { runnerId: "r" }).runnerId).toBe("r");
    expect(new api.ProfileNotFoundError("m", { profileName: "p", runnerId: "r" })).toMatchObject({
      profileName: "p",
      runnerId: "r",
    });
    expect(new api.FunctionSerializationError("m", { path: "args[0]" }).path).toBe("args[0]");
    const violations = [{ field: "f", description: "d" }];
    expect(new SandboxValidationError("m", { fieldViolations: violations }).fieldViolations).toEqual(
      violations,
    );
    expect(new DiscoveryValidationError("m", { fieldViolations: violations }).fieldViolations).toEqual(
      violations,
    );
    const execResult = { stdout: "", stderr: "x", exitCode: 1, command: ["false"] };
    expect(
      new SandboxExecutionError("m", { execResult, exceptionType: "T", exceptionMessage: "M" }),
    ).toMatchObject({ execResult, exceptionType: "T", exceptionMessage: "M" });
  });

  it("ignores another class's fields", () => {
    const error = new SandboxSdkError("m", { filepath: "/a" } as object);
    expect("filepath" in error).toBe(false);
  });
});

describe("constants", () => {
  it("spells every reason with the CWSANDBOX_ prefix under its key", () => {
    for (const [key, value] of Object.entries(Reason)) expect(value).toBe(`CWSANDBOX_${key}`);
    expect(Object.keys(Reason)).toHaveLength(41);
    expect(Reason.SANDBOX_NOT_FOUND).toBe("CWSANDBOX_SANDBOX_NOT_FOUND");
    expect(ERROR_DOMAIN).toBe("cwsandbox.com");
  });

  it("numbers the 17 gRPC codes canonically", () => {
    expect(Object.values(GrpcCode)).toEqual([...Array(17).keys()]);
    expect(GrpcCode.NOT_FOUND).toBe(5);
    expect(GrpcCode.UNAUTHENTICATED).toBe(16);
    expect(GrpcCode.DATA_LOSS).toBe(15);
  });

  it("keeps the stream codes apart from the reasons", () => {
    expect(StreamCode).toEqual({
      STREAM_BACKPRESSURE: "STREAM_BACKPRESSURE",
      STREAM_TRUNCATED: "STREAM_TRUNCATED",
    });
  });
});

describe("streamError", () => {
  it("gives the two known codes their classes, with streamCode and no reason", () => {
    const backpressure = streamError("slow reader", StreamCode.STREAM_BACKPRESSURE);
    expect(backpressure).toBeInstanceOf(SandboxStreamBackpressureError);
    expect(backpressure).toMatchObject({ streamCode: "STREAM_BACKPRESSURE", reason: undefined });
    const truncated = streamError("cut", StreamCode.STREAM_TRUNCATED);
    expect(truncated).toBeInstanceOf(SandboxStreamTruncatedError);
    expect(truncated).toMatchObject({ streamCode: "STREAM_TRUNCATED", reason: undefined });
  });

  it("gives any other code a SandboxExecutionError whose reason is the code", () => {
    const error = streamError("disk full", "STREAM_DISK_FULL");
    expect(error.constructor).toBe(SandboxExecutionError);
    expect(error.message).toBe("Exec stream error: disk full");
    expect(error.reason).toBe("STREAM_DISK_FULL");
  });

  it("keeps reason undefined even when a caller passes one to the stream classes", () => {
    expect(new SandboxStreamTruncatedError("m", { reason: "R" }).reason).toBeUndefined();
  });
});

describe("classes raised on the client", () => {
  it("have no gRPC code", () => {
    expect(new api.ClientClosedError("closed").grpcCode).toBeUndefined();
    expect(new AuthenticationError("m").grpcCode).toBeUndefined();
  });

  it("RequestSizeError is a resource-exhausted error that never retries", () => {
    const error = new RequestSizeError("too big");
    expect(error).toBeInstanceOf(api.SandboxResourceExhaustedError);
    expect(error.retryable).toBe(false);
    expect(new SandboxUnavailableError("m").retryable).toBe(true);
  });
});
