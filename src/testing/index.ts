/**
 * The testing kit, `sandbox-sdk-errors/testing`: the inverse of the decoder, for SDK authors who write
 * mock servers and for this package's own tests.
 *
 * - {@link encodeStatus} writes a `google.rpc.Status` from the very `StatusDetail` shapes that
 *   `parseStatusDetails` returns, so `parseStatusDetails(encodeStatus(s))` gives `s` back.
 * - {@link toServiceError} turns an error of this package (or a status) into what a grpc-js server
 *   handler passes to its callback, trailer included, so that the client's `fromGrpcStatus` maps it
 *   back to the same class and fields.
 *
 * Importing this entry loads neither `@grpc/grpc-js` nor a Node built-in: `encodeStatus` runs in
 * every runtime the package supports. Only `toServiceError`, which must hand grpc-js a `Metadata`,
 * loads grpc-js, on its first call (a peer dependency).
 *
 * @packageDocumentation
 */
import type { StatusObject } from "@grpc/grpc-js";
import { isSandboxSdkError, type SandboxSdkError, STATUS_DETAILS_KEY } from "sandbox-sdk-errors";
import { encodeStatus as encode, type StatusInit, show } from "./encode.js";
import { type KitCatalogueOption, wireStatusOf } from "./kit-wire.js";

export type { StatusDetailInit, StatusInit } from "./encode.js";
export type { KitCatalogueOption } from "./kit-wire.js";

// ---------------------------------------------------------------------------------------------
// encodeStatus
// ---------------------------------------------------------------------------------------------

/**
 * Encodes a `google.rpc.Status`, as a server puts it in the `grpc-status-details-bin` trailer.
 *
 * `details` take exactly the shapes `parseStatusDetails` returns, so
 * `parseStatusDetails(encodeStatus(s))` gives `s` back for any status that decoder could return
 * (except the all-default status, `{ code: 0 }` with no message or details, which is zero bytes: an
 * empty trailer is no status). Every `google.rpc` detail type is written with all its fields, in
 * field-number order, proto3 defaults omitted as protobuf runtimes omit them; `futureQuotaValue` only
 * when present; an `Unknown` detail goes back with its own type URL and bytes. A `RetryInfo`'s
 * `retryDelay` (milliseconds) becomes a Duration whose `seconds` and `nanos` share its sign. The
 * bytes are those the reference protobuf runtime writes for the same status.
 *
 * A field left out of a detail is its default (`""`, `0`, `[]`, `{}`), so hand-written details may
 * be short: `{ type: "ErrorInfo", reason: "X", domain: "d" }`.
 *
 * @throws TypeError - for a field of the wrong type, a field the detail type does not have, an
 *   unknown `type`, or a string with an unpaired surrogate (no UTF-8 form).
 * @throws RangeError - for a `code` outside 0–16, a non-finite `retryDelay` or one beyond the Duration
 *   range (±315,576,000,000 s), or an int64 field that is not an integer in range.
 *
 * @example
 * ```ts
 * const blob = encodeStatus({
 *   code: GrpcCode.UNAVAILABLE,
 *   message: "runner draining",
 *   details: [
 *     { type: "ErrorInfo", reason: Reason.RUNNER_UNAVAILABLE, domain: ERROR_DOMAIN, metadata: {} },
 *     { type: "RetryInfo", retryDelay: 1500 },
 *   ],
 * });
 * ```
 */
export function encodeStatus(status: StatusInit): Uint8Array {
  return encode(status);
}

// ---------------------------------------------------------------------------------------------
// toServiceError
// ---------------------------------------------------------------------------------------------

interface GrpcJs {
  Metadata: new () => StatusObject["metadata"];
}

let grpcJs: GrpcJs | undefined;

/** What `toServiceError` says when it cannot load `@grpc/grpc-js`, whatever stopped it. */
const CANNOT_LOAD_GRPC_JS =
  "toServiceError needs @grpc/grpc-js (a peer dependency: install it), which it loads with process.getBuiltinModule (Node >= 20.16) or require (the CommonJS build)";

/**
 * `@grpc/grpc-js`, loaded on `toServiceError`'s first call so that importing the kit loads nothing
 * Node-only: through `process.getBuiltinModule` (Node ≥ 20.16) or the CommonJS build's `require`.
 *
 * A bundler's ESM output may turn `require` into a helper that exists but throws (tsup's
 * `__require`: `Dynamic require of "@grpc/grpc-js" is not supported`), so `typeof require` proves
 * nothing there: whatever the load throws is reported as {@link CANNOT_LOAD_GRPC_JS}, its cause kept.
 */
function loadGrpcJs(): GrpcJs {
  if (grpcJs !== undefined) return grpcJs;
  const host = globalThis as {
    process?: {
      getBuiltinModule?: (name: string) => { createRequire(from: string): (id: string) => unknown };
    };
  };
  let loaded: unknown;
  try {
    const moduleApi = host.process?.getBuiltinModule?.("node:module");
    const load =
      moduleApi === undefined
        ? typeof require === "function"
          ? require
          : undefined
        : moduleApi.createRequire(import.meta.url);
    if (load === undefined) throw new Error("neither process.getBuiltinModule nor require is available");
    loaded = load("@grpc/grpc-js");
  } catch (cause) {
    throw new Error(CANNOT_LOAD_GRPC_JS, { cause });
  }
  if (typeof (loaded as Partial<GrpcJs> | undefined)?.Metadata !== "function") {
    throw new Error(`${CANNOT_LOAD_GRPC_JS}; what loaded has no Metadata class`);
  }
  grpcJs = loaded as GrpcJs;
  return grpcJs;
}

function statusObject(code: number, details: string, blob: Uint8Array): StatusObject {
  const metadata = new (loadGrpcJs().Metadata)();
  const buffer = (globalThis as { Buffer?: { from(b: ArrayBuffer, o: number, l: number): Uint8Array } })
    .Buffer;
  if (blob.length > 0 && buffer !== undefined) {
    metadata.set(
      STATUS_DETAILS_KEY,
      buffer.from(blob.buffer as ArrayBuffer, blob.byteOffset, blob.length) as never,
    );
  }
  return { code, details, metadata };
}

/**
 * What a grpc-js server handler passes to its callback to fail a call with `source`:
 * `{ code, details, metadata }`, the `grpc-status-details-bin` trailer in `metadata`.
 *
 * ```ts
 * server.addService(service, { getSandbox: (call, callback) => callback(toServiceError(error)) });
 * ```
 *
 * Given a status (`{ code, message?, details? }`, as for {@link encodeStatus}), it sends exactly that:
 * `details` (the transport message) is the status message.
 *
 * Given an error of this package (from any copy of it), it sends what makes the client's
 * `fromGrpcStatus(serviceError, context)` give back the same class and the same `reason`, `domain`,
 * `metadata`, `retryDelay`, `requestId`, `fieldViolations`, `details`, and the class's own fields
 * that come from the context or the metadata — for every error `fromGrpcStatus` can produce, mapped
 * again with the context that produced it. How: the mapping catalogue read backwards. The error's
 * `details` are sent as they are (they are the source of truth); an ErrorInfo, RetryInfo,
 * RequestInfo or BadRequest is added only for a field they do not already carry (a class that only a
 * reason gives, such as `SandboxFileError`, gets its first reason when it has none). The code is the
 * error's own `grpcCode` when the catalogue's walk still leads from it to the class (OK never does),
 * else the code the service sends with the reason, else the code of the row that gives the class,
 * else UNKNOWN. The transport message is the error's message (the mapped message is rebuilt by the
 * client's templates, so it need not come back the same), except under RESOURCE_EXHAUSTED, where it
 * says a message was too large exactly when the class is `RequestSizeError`; the status message in
 * the blob is always the error's message.
 *
 * The catalogue read backwards is the one the error's class belongs to (its preset's: the default
 * one, Modal's, or an SDK's own whose classes `defineErrorClass` gave a preset); for classes of an
 * SDK's own catalogue declared without one, pass it: `toServiceError(error, { catalogue: acme })`.
 *
 * A reason is trusted only when its domain is (an added ErrorInfo uses the error's `domain`, else
 * `ERROR_DOMAIN`): map with `trustedDomains` listing a foreign domain the error came from. Classes
 * no mapping produces travel as their nearest ancestor that one does (`SandboxTerminatedError` as a
 * `SandboxError`), the timeout family as `SandboxRequestTimeoutError`. Fields the wire cannot carry
 * do not come back: `metadata` of an error without a reason, `grpcCode` OK or unset, a hand-made
 * error whose fields contradict its class.
 *
 * @throws TypeError - when `source` is neither an error of this package nor a status, or for a
 *   status or detail that {@link encodeStatus} refuses.
 * @throws Error - when `@grpc/grpc-js` cannot be loaded: it is not installed, or the runtime has
 *   neither `process.getBuiltinModule` (Node ≥ 20.16) nor `require` (the CommonJS build). The message
 *   says so; `cause` is what the load threw.
 * @throws RangeError - for an error whose `retryDelay` no Duration can carry, or a status
 *   {@link encodeStatus} refuses.
 */
export function toServiceError(
  source: SandboxSdkError | StatusInit,
  options?: KitCatalogueOption,
): StatusObject {
  if (isSandboxSdkError(source)) {
    const wire = wireStatusOf(source, "toServiceError", options?.catalogue);
    return statusObject(wire.code, wire.transportMessage, encode(wire.status));
  }
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `toServiceError: expected an error of sandbox-sdk-errors or a status { code, message?, details? }, got ${show(source)}`,
    );
  }
  const blob = encode(source);
  return statusObject(source.code, source.message ?? "", blob);
}
export {
  type Aip193ErrorBody,
  type ConnectErrorBody,
  type ConnectErrorDetail,
  type JsonStatusDetail,
  type ResponseProtocol,
  type StatusJsonForm,
  type StatusJsonOf,
  type ToResponseOptions,
  type ToStatusJsonOptions,
  toResponse,
  toStatusJson,
} from "./kit-json.js";
