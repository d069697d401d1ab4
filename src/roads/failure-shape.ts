/**
 * The one shape every road's reader turns a failure into, and the guarded read all readers use.
 */
import type { GrpcCode } from "../wire/codes.js";
import type { ParsedStatus } from "../wire/status-details.js";

/** One failure, as every road's reader normalises it. */
export interface Failure {
  /** The gRPC status code, however the road spelled it; `undefined` when it carried none. */
  readonly code: GrpcCode | undefined;
  /**
   * The road's own message exactly as sent — grpc-js's `details`, a `ConnectError`'s `rawMessage`,
   * an `RpcError`'s `message`, a JSON body's `message` — or `undefined` when the road has none.
   */
  readonly rawMessage: string | undefined;
  /** What else describes the failure when the road sent no message: the thrown value's `message`. */
  readonly fallbackMessage: string | undefined;
  /** The status details the road carried, decoded; `undefined` when it carried none that decode. */
  readonly status: ParsedStatus | undefined;
  /** Where the road keeps headers and trailers (for retry hints), in the order they are believed. */
  readonly headers: readonly unknown[];
  /**
   * What kind of failure this is when it did not come from the server: the caller's own abort or
   * timeout (`"abort"`), the SDK's own request timeout (`"timeout"`, axios' `timeout of N ms
   * exceeded`), or a failure to reach the server at all (`"network"`). `undefined` otherwise.
   */
  readonly kind?: "abort" | "timeout" | "network" | undefined;
  /** The HTTP status of the response that carried the failure, where the road had one. */
  readonly httpStatus?: number | undefined;
  /**
   * A REST error body as the server sent it, parsed (E2B's `{ code, message }`, NestJS's
   * `{ statusCode, error, message }`): a catalogue's `reasonFields` are read from it. `undefined`
   * for the gRPC statuses' own JSON forms (AIP-193, proto3 `Status`, Connect).
   */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

/** Reads one property of whatever was thrown; a throwing getter or proxy trap reads as absent. */
export function read(value: unknown, key: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
