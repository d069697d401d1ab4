import { inspect } from "node:util";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import * as api from "../../../src/index.js";
import { fromGrpcStatus, SandboxSdkError, type SerializedError } from "../../../src/index.js";
import { encodeStatusBlob, errorInfo, retryInfo } from "../../support/encoder.js";
import { boom, throwingProxy } from "../../support/hostile.js";
import { serviceError } from "../../support/transport.js";
import { referenceBlob } from "../../support/vectors.js";

type AnyErrorClass = new (message: string, options?: object) => SandboxSdkError;
const classes = Object.entries(api).filter(
  ([, value]) => typeof value === "function" && (value as { prototype?: unknown }).prototype instanceof Error,
) as [string, AnyErrorClass][];

/** Every field a test error gets: the common ones and every class's own. */
const FIELDS = {
  reason: "R",
  domain: "d.example",
  metadata: { a: "1" },
  retryDelay: 250,
  grpcCode: 14,
  details: [
    { type: "RetryInfo", retryDelay: 250 },
    { type: "Unknown", typeUrl: "acme.com/x", value: new Uint8Array([0, 255, 7]) },
  ],
  requestId: "req-1",
  sandboxId: "sb",
  filepath: "/f",
  fileSystemSnapshotId: "fss",
  runnerId: "r",
  profileName: "p",
  path: "args[0]",
  streamCode: "STREAM_TRUNCATED",
  fieldViolations: [{ field: "f", description: "d" }],
  exceptionType: "ValueError",
  exceptionMessage: "bad",
  execResult: {
    stdout: "o",
    stderr: "e",
    exitCode: 1,
    command: ["ls", "-l"],
    stdoutBytes: new Uint8Array([1, 2]),
  },
};

function withHostileKey(metadata: Record<string, string>): Record<string, string> {
  return Object.defineProperty({ ...metadata }, "__proto__", { value: "p", enumerable: true });
}

describe("toJSON and fromJSON", () => {
  it("finds every class to test", () => {
    expect(classes.length).toBe(39);
  });

  it.each(classes)("%s survives a JSON round trip with every field, stack and cause", (name, cls) => {
    const cause = new TypeError("transport broke");
    const original = new cls("it failed", { ...FIELDS, metadata: withHostileKey({ a: "1" }), cause });
    const text = JSON.stringify(original);
    const revived = SandboxSdkError.fromJSON(text);
    expect(revived.constructor).toBe(cls);
    expect(revived.name).toBe(name);
    expect(revived.message).toBe("it failed");
    expect(revived.stack).toBe(original.stack);
    expect(revived.retryable).toBe(original.retryable);
    for (const field of Object.keys(FIELDS)) {
      expect((revived as unknown as Record<string, unknown>)[field], field).toEqual(
        (original as unknown as Record<string, unknown>)[field],
      );
    }
    expect(Object.getPrototypeOf(revived.metadata)).toBeNull();
    expect(Object.keys(revived.metadata)).toContain("__proto__");
    expect(revived.cause).toBeInstanceOf(Error);
    expect(revived.cause).toMatchObject({ name: "TypeError", message: "transport broke" });
  });

  it("writes bytes as base64 and leaves undefined fields out", () => {
    const json = new api.SandboxError("m", { details: [FIELDS.details[1] as never] }).toJSON();
    expect(json.details).toEqual([{ type: "Unknown", typeUrl: "acme.com/x", value: "AP8H" }]);
    expect(json).not.toHaveProperty("reason");
    expect(json).not.toHaveProperty("cause");
    expect(json).toMatchObject({ name: "SandboxError", message: "m", retryable: false, metadata: {} });
    expect(typeof json.stack).toBe("string");
  });

  it("serialises a cause of this package in full and a foreign cause as name, message and code", () => {
    const transport = serviceError(14, "down", encodeStatusBlob(14, "", [retryInfo(1)]));
    const mapped = fromGrpcStatus(transport);
    const outer = new api.SandboxError("outer", { cause: mapped });
    const json = outer.toJSON();
    const inner = json.cause as SerializedError;
    expect(inner).toMatchObject({ name: "SandboxUnavailableError", retryDelay: 1000, grpcCode: 14 });
    expect(inner.cause).toEqual({ name: "Error", message: "14 UNAVAILABLE: down", code: 14 });
    const revived = SandboxSdkError.fromJSON(JSON.parse(JSON.stringify(outer)));
    expect(revived.cause).toBeInstanceOf(api.SandboxUnavailableError);
    expect((revived.cause as SandboxSdkError).retryDelay).toBe(1000);
    expect((revived.cause as SandboxSdkError).cause).toMatchObject({
      message: "14 UNAVAILABLE: down",
      code: 14,
    });
  });

  it("serialises primitive and hostile causes without throwing", () => {
    expect(new SandboxSdkError("m", { cause: "boom" }).toJSON().cause).toEqual({
      name: "Error",
      message: "boom",
    });
    expect(new SandboxSdkError("m", { cause: throwingProxy() }).toJSON().cause).toEqual({
      name: "Error",
      message: "[unreadable cause]",
    });
  });

  it("revives what is not JSON but reads like it, leaving out each field whose reading throws", () => {
    const json = JSON.parse(JSON.stringify(fromGrpcStatus({ code: 5, message: "gone", details: [] })));
    const hostile = [
      { ...json, metadata: throwingProxy() },
      { ...json, details: [throwingProxy()] },
      { ...json, cause: throwingProxy() },
      { ...json, cause: { message: "m", details: throwingProxy(), metadata: {} } },
      Object.defineProperty({ ...json }, "sandboxId", { get: boom, enumerable: true }),
      Object.defineProperty({ ...json }, "message", { get: boom, enumerable: true }),
    ];
    for (const value of hostile) {
      const revived = SandboxSdkError.fromJSON(value as SerializedError);
      expect(revived).toBeInstanceOf(api.SandboxNotFoundError);
      expect(revived.grpcCode).toBe(5);
    }
    expect(SandboxSdkError.fromJSON(throwingProxy() as SerializedError)).toBeInstanceOf(SandboxSdkError);
  });

  it("stops following causes after a bounded depth", () => {
    let error = new SandboxSdkError("0");
    for (let i = 1; i < 50; i++) error = new SandboxSdkError(String(i), { cause: error });
    expect(() => JSON.stringify(error)).not.toThrow();
  });

  it("gives a SandboxSdkError for a name this version does not know", () => {
    const revived = SandboxSdkError.fromJSON({
      name: "SandboxFromTheFutureError",
      message: "m",
      reason: "R",
    });
    expect(revived.constructor).toBe(SandboxSdkError);
    expect(revived.reason).toBe("R");
  });

  it("leaves out fields of the wrong type", () => {
    const revived = SandboxSdkError.fromJSON({
      name: "SandboxSdkError",
      message: "m",
      reason: 5,
      retryDelay: "soon",
      metadata: null,
      details: "nope",
    } as unknown as SerializedError);
    expect(revived).toMatchObject({ reason: undefined, retryDelay: undefined, metadata: {}, details: [] });
  });

  it("throws a TypeError for input that is not an object", () => {
    expect(() => SandboxSdkError.fromJSON("42")).toThrow(TypeError);
    expect(() => SandboxSdkError.fromJSON(null as never)).toThrow(TypeError);
  });

  it("carries a typed error across a worker_threads boundary", async () => {
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const api = require(workerData.dist);
      const error = api.fromGrpcStatus(
        { code: 5, details: "gone", metadata: { get: () => [Buffer.from(workerData.blob, "hex")] } },
        { sandboxId: "sb-123" },
      );
      parentPort.postMessage(JSON.stringify(error));
    `;
    const dist = new URL("../../../dist/index.cjs", import.meta.url).pathname;
    const worker = new Worker(source, {
      eval: true,
      workerData: { dist, blob: referenceBlob().toString("hex") },
    });
    const message = await new Promise<string>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    const error = SandboxSdkError.fromJSON(message);
    expect(error).toBeInstanceOf(api.SandboxNotFoundError);
    expect(error).toMatchObject({
      message: "Sandbox 'sb-123' not found",
      sandboxId: "sb-123",
      retryDelay: 1500,
      metadata: { sandboxId: "sb-123", region: "us-east" },
      grpcCode: 5,
    });
    expect(error.stack).toContain("SandboxNotFoundError: Sandbox 'sb-123' not found");
  });
});

describe("util.inspect", () => {
  it("shows the class name, the message and the fields that are set", () => {
    const error = fromGrpcStatus(
      serviceError(5, "gone", encodeStatusBlob(5, "", [errorInfo("R", "d", { k: "v" })])),
      {
        sandboxId: "sb",
      },
    );
    const text = inspect(error);
    expect(text.startsWith("SandboxNotFoundError: Sandbox 'sb' not found\n")).toBe(true);
    expect(text).toContain("reason: 'R'");
    expect(text).toContain("sandboxId: 'sb'");
    expect(text).toContain("grpcCode: 5");
    expect(text).not.toContain("requestId");
    expect(text).not.toContain("retryDelay");
  });

  it("shows the error, its fields as far as they can be read, when a cause cannot be inspected", () => {
    const raw = Object.assign(new Error("14 UNAVAILABLE: down"), { code: 14, cause: throwingProxy() });
    // Node's own inspect fails on such an error.
    expect(() => inspect(raw)).toThrow();
    const error = fromGrpcStatus(raw);
    const text = inspect(error);
    expect(text.startsWith(`${error.stack} {`)).toBe(true);
    expect(text).toContain('"grpcCode":14');
  });

  it("shows just the stack for an error with nothing set", () => {
    const error = new api.ClientClosedError("closed");
    expect(inspect(error)).toBe(error.stack);
  });
});
