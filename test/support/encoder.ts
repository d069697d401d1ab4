/**
 * An independent encoder for test blobs: protobufjs over the `.proto` files that google-proto-files
 * ships, so the decoder under test never checks itself against its own encoder.
 */
import { getProtoPath } from "google-proto-files";
import protobuf from "protobufjs";

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith("google/") ? getProtoPath("..", target) : target);
root.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"], { keepCase: true });
root.resolveAll();

/** A detail for the encoder: the google.rpc message name and its fields in protobufjs form. */
export interface EncodedDetail {
  type: string;
  fields: Record<string, unknown>;
  /** Override the type URL (defaults to `type.googleapis.com/google.rpc.<type>`). */
  typeUrl?: string;
}

export function encodeMessage(type: string, fields: Record<string, unknown>): Uint8Array {
  const message = root.lookupType(`google.rpc.${type}`);
  const error = message.verify(fields);
  if (error) throw new Error(`bad ${type} fields: ${error}`);
  return message.encode(message.fromObject(fields)).finish();
}

/** Encodes a `google.rpc.Status` whose details are the given messages, packed in Any. */
export function encodeStatusBlob(code: number, message: string, details: EncodedDetail[] = []): Uint8Array {
  return encodeMessage("Status", {
    code,
    message,
    details: details.map((d) => ({
      type_url: d.typeUrl ?? `type.googleapis.com/google.rpc.${d.type}`,
      value: d.type === "Raw" ? d.fields.bytes : encodeMessage(d.type, d.fields),
    })),
  });
}

export function errorInfo(
  reason: string,
  domain: string,
  metadata: Record<string, string> = {},
): EncodedDetail {
  return { type: "ErrorInfo", fields: { reason, domain, metadata } };
}

export function retryInfo(seconds: number, nanos = 0): EncodedDetail {
  return { type: "RetryInfo", fields: { retry_delay: { seconds, nanos } } };
}

export function badRequest(...violations: { field: string; description: string }[]): EncodedDetail {
  return { type: "BadRequest", fields: { field_violations: violations } };
}

export function requestInfo(requestId: string, servingData = ""): EncodedDetail {
  return { type: "RequestInfo", fields: { request_id: requestId, serving_data: servingData } };
}
