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

/** One `google.protobuf.Any` of a Status, as protobufjs reads it. */
export interface DecodedAny {
  typeUrl: string;
  /** The raw `Any.value`. */
  value: Uint8Array;
  /**
   * The message, decoded with its google.rpc type when the URL names one: only the fields present
   * on the wire (protobufjs `toObject` with `defaults: false`), in protobufjs's snake_case form,
   * int64 as numbers.
   */
  fields: Record<string, unknown> | undefined;
}

/** A `google.rpc.Status` as protobufjs reads it: the independent check of an encoder under test. */
export interface DecodedStatus {
  /** Only the fields present on the wire. */
  status: Record<string, unknown>;
  details: DecodedAny[];
}

const TO_OBJECT = { longs: Number, defaults: false } as const;

/** Decodes a Status blob with protobufjs (throws, as protobufjs does, on malformed bytes). */
export function decodeStatusBlob(bytes: Uint8Array): DecodedStatus {
  const Status = root.lookupType("google.rpc.Status");
  const status = Status.toObject(Status.decode(bytes), TO_OBJECT);
  const anys = (status.details ?? []) as { type_url?: string; value?: Uint8Array }[];
  const details = anys.map((any) => {
    const typeUrl = any.type_url ?? "";
    const value = any.value ?? new Uint8Array(0);
    const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const type = name.startsWith("google.rpc.") ? root.lookup(name) : null;
    const fields =
      type instanceof protobuf.Type
        ? (type.toObject(type.decode(value), TO_OBJECT) as Record<string, unknown>)
        : undefined;
    return { typeUrl, value, fields };
  });
  return { status, details };
}
