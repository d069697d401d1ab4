import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  fromGrpcStatus,
  GrpcCode,
  Reason,
  RequestSizeError,
  SandboxCommandTimeoutError,
  SandboxFileError,
  SandboxNotFoundError,
  SandboxNotRunningError,
  SandboxRequestTimeoutError,
  SandboxUnavailableError,
  SandboxValidationError,
  STATUS_DETAILS_KEY,
} from "../../../src/index.js";
import { badRequest, encodeStatusBlob, errorInfo, requestInfo, retryInfo } from "../../support/encoder.js";
import { failingUnary, type RunningServer, startSandboxServer } from "../../support/sandbox-service.js";

/** A status for a server callback, with the blob in the trailer as a real server sends it. */
function status(code: grpc.status, details: string, blob?: Uint8Array): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (blob !== undefined) metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob));
  return { code, details, metadata };
}

let server: RunningServer;

beforeAll(async () => {
  server = await startSandboxServer({
    GetSandbox(
      call: grpc.ServerUnaryCall<{ sandboxId: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) {
      const id = call.request.sandboxId;
      if (id === "slow") {
        setTimeout(() => callback(null, { sandboxId: id, state: "RUNNING" }), 2_000);
        return;
      }
      if (id === "garbage") {
        callback(status(grpc.status.UNAVAILABLE, "overloaded", new Uint8Array([0xff, 0x00, 0x13])));
        return;
      }
      if (id === "huge") {
        callback(null, { sandboxId: "x".repeat(64 * 1024), state: "RUNNING" });
        return;
      }
      const blob = encodeStatusBlob(grpc.status.NOT_FOUND, `sandbox ${id} not found`, [
        errorInfo(Reason.SANDBOX_NOT_FOUND, "cwsandbox.com", { sandboxId: id }),
        requestInfo("req-7"),
      ]);
      callback(status(grpc.status.NOT_FOUND, `sandbox ${id} not found`, blob));
    },
    StartSandbox(
      call: grpc.ServerUnaryCall<{ image: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) {
      if (call.request.image === "") {
        const blob = encodeStatusBlob(3, "invalid", [
          badRequest({ field: "image", description: "must not be empty" }),
        ]);
        callback(status(grpc.status.INVALID_ARGUMENT, "invalid request", blob));
      } else if (call.request.image === "busy") {
        const blob = encodeStatusBlob(14, "busy", [
          errorInfo(Reason.BACKEND_UNAVAILABLE, "cwsandbox.com"),
          retryInfo(0, 300_000_000),
        ]);
        callback(status(grpc.status.UNAVAILABLE, "backend busy", blob));
      } else {
        callback(status(grpc.status.UNAUTHENTICATED, "token expired"));
      }
    },
    ReadFile(call: grpc.ServerUnaryCall<{ path: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const blob = encodeStatusBlob(7, "denied", [
        errorInfo(Reason.FILE_PERMISSION_DENIED, "cwsandbox.com", { filepath: call.request.path }),
      ]);
      callback(status(grpc.status.PERMISSION_DENIED, "permission denied", blob));
    },
    Exec(call: grpc.ServerWritableStream<{ command: string[] }, unknown>) {
      call.write({ stdout: Buffer.from("working\n") });
      if (call.request.command[0] === "hang") return; // the client cancels
      const blob = encodeStatusBlob(4, "timeout", [errorInfo(Reason.COMMAND_TIMEOUT, "cwsandbox.com")]);
      call.emit("error", status(grpc.status.DEADLINE_EXCEEDED, "command ran past 5s", blob));
    },
  });
});

afterAll(async () => {
  await server.close();
});

describe("fromGrpcStatus over a real grpc-js server on loopback", () => {
  it("maps a unary NOT_FOUND with ErrorInfo and RequestInfo from the trailer", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "GetSandbox", { sandboxId: "sb-9" }), {
      operation: "get",
      sandboxId: "sb-9",
    });
    expect(error).toBeInstanceOf(SandboxNotFoundError);
    expect(error).toMatchObject({
      message: "Sandbox 'sb-9' not found",
      grpcCode: GrpcCode.NOT_FOUND,
      reason: Reason.SANDBOX_NOT_FOUND,
      domain: "cwsandbox.com",
      metadata: { sandboxId: "sb-9" },
      requestId: "req-7",
      sandboxId: "sb-9",
    });
    expect(error.details.map((d) => d.type)).toEqual(["ErrorInfo", "RequestInfo"]);
  });

  it("maps a file permission error to SandboxFileError with the server's filepath", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "ReadFile", { path: "/etc/shadow" }));
    expect(error).toBeInstanceOf(SandboxFileError);
    expect(error).toMatchObject({
      filepath: "/etc/shadow",
      message: "File operation failed (CWSANDBOX_FILE_PERMISSION_DENIED): permission denied",
    });
  });

  it("keeps the server's RetryInfo as retryDelay in milliseconds", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "StartSandbox", { image: "busy" }));
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error.retryDelay).toBe(300);
    expect(error.retryable).toBe(true);
  });

  it("maps field violations to SandboxValidationError", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "StartSandbox", { image: "" }), {
      operation: "start",
    });
    expect(error).toBeInstanceOf(SandboxValidationError);
    expect(error.message).toBe("start failed: invalid request; field violations: image: must not be empty");
  });

  it("maps UNAUTHENTICATED to AuthenticationError", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "StartSandbox", { image: "ubuntu" }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe("Authentication failed: token expired");
  });

  it("still maps the code when the trailer is garbage", async () => {
    const error = fromGrpcStatus(await failingUnary(server.client(), "GetSandbox", { sandboxId: "garbage" }));
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(error.details).toEqual([]);
  });

  it("maps a server-streaming call's error after data was sent", async () => {
    const call = (
      server.client() as unknown as { Exec(request: object): grpc.ClientReadableStream<unknown> }
    ).Exec({
      command: ["sleep", "10"],
    });
    const received: unknown[] = [];
    const transportError = await new Promise<grpc.ServiceError>((resolve) => {
      call.on("data", (chunk) => received.push(chunk));
      call.on("error", resolve);
    });
    const error = fromGrpcStatus(transportError, { operation: "exec" });
    expect(received).toHaveLength(1);
    expect(error).toBeInstanceOf(SandboxCommandTimeoutError);
    expect(error.message).toBe("exec timed out: command ran past 5s");
  });

  it("maps a client-side deadline to SandboxRequestTimeoutError", async () => {
    const deadline = Date.now() + 100;
    const error = fromGrpcStatus(
      await failingUnary(server.client(), "GetSandbox", { sandboxId: "slow" }, { deadline }),
    );
    expect(error).toBeInstanceOf(SandboxRequestTimeoutError);
    expect(error.grpcCode).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(error.retryable).toBe(true);
  });

  it("maps a stream the client cancelled as the caller's abort: the scope's base class, no code, not retryable", async () => {
    const call = (
      server.client() as unknown as { Exec(request: object): grpc.ClientReadableStream<unknown> }
    ).Exec({
      command: ["hang"],
    });
    const transportError = await new Promise<grpc.ServiceError>((resolve) => {
      call.on("data", () => call.cancel());
      call.on("error", resolve);
    });
    expect(transportError.details).toBe("Cancelled on client");
    const error = fromGrpcStatus(transportError, { operation: "exec", sandboxId: "sb-1" });
    // Never SandboxNotRunningError: that is for a CANCELLED the server sent (SPEC §13).
    expect(error.name).toBe("SandboxError");
    expect(error).not.toBeInstanceOf(SandboxNotRunningError);
    expect(error.message).toBe("exec was aborted");
    expect(error.grpcCode).toBeUndefined();
    expect(error.retryable).toBe(false);
  });

  it("maps grpc-js's own message-size error to a non-retryable RequestSizeError", async () => {
    const client = server.client({ "grpc.max_receive_message_length": 1024 });
    const error = fromGrpcStatus(await failingUnary(client, "GetSandbox", { sandboxId: "huge" }));
    expect(error).toBeInstanceOf(RequestSizeError);
    expect(error.message).toMatch(/^operation resource exhausted: .*larger than max/);
    expect(error.retryable).toBe(false);
  });
});
