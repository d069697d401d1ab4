/** Transport errors as grpc-js and protobuf-ts make them, for the mapping tests. */
import { Metadata, status } from "@grpc/grpc-js";
import { RpcError } from "@protobuf-ts/runtime-rpc";
import { STATUS_DETAILS_KEY } from "../../src/wire/status-details.js";

export interface GrpcJsError extends Error {
  code: number;
  details: string;
  metadata: Metadata;
}

/**
 * A grpc-js `ServiceError` as its client builds one (`callErrorFromStatus`): message
 * `"<code> <NAME>: <details>"`, plus `code`, `details` and the trailers as `metadata`.
 */
export function serviceError(code: number, details: string, blob?: Uint8Array): GrpcJsError {
  const metadata = new Metadata();
  if (blob !== undefined) metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob));
  const error = new Error(`${code} ${status[code]}: ${details}`) as GrpcJsError;
  return Object.assign(error, { code, details, metadata });
}

/** A protobuf-ts `RpcError`: the code as a name, binary trailers as base64 in `meta`. */
export function rpcError(code: string, message: string, blob?: Uint8Array): RpcError {
  const meta: Record<string, string> = {};
  if (blob !== undefined) meta[STATUS_DETAILS_KEY] = Buffer.from(blob).toString("base64");
  return new RpcError(message, code, meta);
}
