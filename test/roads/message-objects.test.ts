/**
 * SPEC §13's message-object road, where a detail cannot be read: a `google.rpc.Status` held as a
 * google-protobuf message (an LRO's `Operation.error`) whose details are real google-protobuf `Any`s,
 * one of which throws when read. As §4 passes over a value whose reading throws, the one `Any` is
 * passed over; the status's code, message and other details are kept.
 */
import anyPb from "google-protobuf/google/protobuf/any_pb.js";
import { describe, expect, it } from "vitest";
import { fromGrpcStatus, GrpcCode, PermissionDeniedError } from "../../src/index.js";
import { encodeMessage } from "../support/encoder.js";
import { boom } from "../support/hostile.js";

/** A real google-protobuf `Any` packing `google.rpc.<type>` (bytes from the independent encoder). */
function packed(type: string, fields: Record<string, unknown>): anyPb.Any {
  const any = new anyPb.Any();
  any.setTypeUrl(`type.googleapis.com/google.rpc.${type}`);
  any.setValue(encodeMessage(type, fields));
  return any;
}

/**
 * `google.rpc.Status` as google-protobuf generates it: getters over fields kept out of sight (a
 * generated message holds them in an internal array, never as `code` or `message` properties).
 */
class StatusMessage {
  readonly #fields: readonly [number, string, readonly unknown[]];
  constructor(code: number, message: string, details: readonly unknown[]) {
    this.#fields = [code, message, details];
  }
  getCode(): number {
    return this.#fields[0];
  }
  getMessage(): string {
    return this.#fields[1];
  }
  getDetailsList(): unknown[] {
    return [...this.#fields[2]];
  }
}

// An untrusted domain: the code decides the class (SPEC §5), and the ErrorInfo is still promoted.
const ERROR_INFO = { reason: "QUOTA_LOW", domain: "acme.example", metadata: { sandbox: "sbx-1" } };

describe("a google-protobuf Status with an Any that cannot be read", () => {
  it.each([
    ["getTypeUrl throws", Object.assign(new anyPb.Any(), { getTypeUrl: boom })],
    [
      "getValue_asU8 throws",
      Object.assign(packed("RequestInfo", { request_id: "req-1" }), { getValue_asU8: boom }),
    ],
  ])("%s: the code, message and the other details are kept", (_, unreadable) => {
    const status = new StatusMessage(GrpcCode.PERMISSION_DENIED, "denied", [
      unreadable,
      packed("ErrorInfo", ERROR_INFO),
    ]);
    const mapped = fromGrpcStatus(status);
    expect(mapped).toBeInstanceOf(PermissionDeniedError);
    expect(mapped.grpcCode).toBe(GrpcCode.PERMISSION_DENIED);
    expect(mapped.rawMessage).toBe("denied");
    expect(mapped.reason).toBe(ERROR_INFO.reason);
    expect(mapped.domain).toBe(ERROR_INFO.domain);
    expect({ ...mapped.metadata }).toEqual(ERROR_INFO.metadata);
    expect(mapped.details.map((detail) => detail.type)).toEqual(["ErrorInfo"]);
  });
});
