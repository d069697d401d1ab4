/**
 * Every road of SPEC §13 into `fromGrpcStatus` / `fromResponse`, each a real client against a real
 * loopback server (one per road, reused): a road takes one {@link Failure}, has its server send it,
 * makes the call, and maps what arrived. The servers share the failure description of
 * `../transports/script.ts`, so one failure travels every road.
 */
import { inspect } from "node:util";
import { type Client as ConnectClient, ConnectError, createClient } from "@connectrpc/connect";
import type { Client as NiceClient } from "nice-grpc";
import {
  cwsandbox,
  type MappingContext,
  type NiceGrpcClientMiddleware,
  type SandboxSdkError,
} from "../../../src/index.js";
import { toStatusJson } from "../../../src/testing/index.js";
import { type ConnectProtocol, type ConnectServer, startConnectServer } from "../transports/connect.js";
import { SandboxService } from "../transports/gen/sandbox_pb.js";
import { type GrpcJsClient, type GrpcJsServer, startGrpcJsServer } from "../transports/grpc-js.js";
import { type HttpServer, startHttpServer } from "../transports/http.js";
import {
  type NiceGrpcServer,
  type NiceSandboxService,
  startNiceGrpcServer,
} from "../transports/nice-grpc.js";
import {
  GetSandboxRequestType,
  type ProtobufTsClients,
  protobufTsClients,
} from "../transports/protobuf-ts.js";
import { type Failure, failWith, succeed } from "../transports/script.js";
import type { HintPlace } from "./failures.js";

/** The request every road sends. */
const GET = { sandboxId: "sbx-1" };

/** The roads, by name, in the order the tests run them; the first is the reference. */
export const ROAD_NAMES = [
  "grpc-js",
  "protobuf-ts over @protobuf-ts/grpc-transport",
  "connect-es, Connect protocol",
  "connect-es, gRPC protocol",
  "connect-es, gRPC-web protocol",
  "nice-grpc with niceGrpcErrorMiddleware",
  "nice-grpc-error-details RichClientError",
  "raw fetch, gRPC-web over HTTP/1.1 (fromResponse)",
  "raw fetch, Connect unary JSON over HTTP/1.1 (fromResponse)",
  "HTTP/JSON gateway, AIP-193 body (fromResponse)",
  "HTTP/JSON gateway, AIP-193 body parsed (fromGrpcStatus)",
] as const;

export type RoadName = (typeof ROAD_NAMES)[number];

/** What one call over a road gave. */
export interface RoadRun {
  /** What the road delivered: the thrown error, or the `Response`, or the parsed body. */
  readonly raw: unknown;
  readonly mapped: SandboxSdkError;
  /** The raw value's shape, printed for a failing assertion. */
  readonly shape: string;
}

/** One road. */
export interface Road {
  readonly name: RoadName;
  /** Where this road can carry a retry hint: response headers, trailers, both or neither. */
  readonly hintPlaces: ReadonlySet<HintPlace>;
  /**
   * What of a failure this road can carry, when it cannot carry all of it (its schema is older, say):
   * the failure as it arrives. The expectation for the road is the reference's mapping of this.
   */
  readonly carries?: (failure: Failure) => Failure;
  /** Why {@link carries} exists: reported beside the test. */
  readonly limitation?: string;
  run(failure: Failure, context: MappingContext): Promise<RoadRun>;
}

/** The running roads, and how to close every server and client. */
export interface Roads {
  readonly byName: ReadonlyMap<RoadName, Road>;
  close(): Promise<void>;
}

const BOTH: ReadonlySet<HintPlace> = new Set(["headers", "trailers"]);
const TRAILERS: ReadonlySet<HintPlace> = new Set(["trailers"]);
const NONE: ReadonlySet<HintPlace> = new Set();

async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded: the server did not send the failure");
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A plain picture of whatever a road delivered, for failure messages. */
function picture(value: unknown, depth = 0): unknown {
  if (depth > 6) return "…";
  if (value instanceof Uint8Array) return `<bytes base64 ${base64(value)}>`;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((entry) => picture(entry, depth + 1));
  const record = value as Record<string, unknown>;
  // grpc-js Metadata, Headers.
  if (typeof record.getMap === "function")
    return picture((value as { getMap(): unknown }).getMap(), depth + 1);
  if (value instanceof Headers) return Object.fromEntries(value.entries());
  const out: Record<string, unknown> = {};
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  if (name && name !== "Object") out["[class]"] = name;
  const keys = new Set(Object.getOwnPropertyNames(value));
  for (const key of ["code", "details", "message", "rawMessage", "metadata", "meta", "extra", "cause"]) {
    if (key in record) keys.add(key);
  }
  keys.delete("stack");
  for (const key of keys) {
    try {
      out[key] = picture(record[key], depth + 1);
    } catch {
      out[key] = "<throws>";
    }
  }
  return out;
}

function shapeOf(value: unknown): string {
  return inspect(picture(value), { depth: 8, breakLength: 120, maxStringLength: 2000 });
}

/**
 * What the roads map with: a catalogue's `fromGrpcStatus`, `fromResponse` and nice-grpc middleware
 * (the default preset's unless a test names another: Modal's, an SDK's own).
 */
export interface RoadCatalogue {
  fromGrpcStatus(error: unknown, context?: MappingContext): SandboxSdkError;
  fromResponse(response: Response, context?: MappingContext): Promise<SandboxSdkError>;
  niceGrpcErrorMiddleware(context?: () => MappingContext): NiceGrpcClientMiddleware;
}

/** A `Response` read for the picture without disturbing `fromResponse`: its clone's body, as text. */
async function mapResponse(
  response: Response,
  context: MappingContext,
  fromResponse: RoadCatalogue["fromResponse"],
): Promise<RoadRun> {
  const copy = response.clone();
  const body = copy.arrayBuffer().then(
    (bytes) => new Uint8Array(bytes),
    (error: unknown) => error,
  );
  const mapped = await fromResponse(response, context);
  const received = await body;
  const text =
    received instanceof Uint8Array
      ? JSON.stringify(new TextDecoder().decode(received))
      : `<body failed: ${String(received)}>`;
  const shape = shapeOf({
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: text,
  });
  return { raw: response, mapped, shape };
}

/** One gRPC-web data frame holding `message`. */
function frame(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
}

/**
 * What nice-grpc-error-details 0.2.x can say of a failure: its `error_details.proto` predates
 * QuotaFailure's quota fields and BadRequest's violation `reason` and `localized_message`, which its
 * decoder drops; everything else arrives.
 */
function asOlderErrorDetails(failure: Failure): Failure {
  const details = failure.details?.map((detail) => {
    if (detail.type === "QuotaFailure") {
      return {
        ...detail,
        violations: detail.violations.map((v) => ({
          subject: v.subject,
          description: v.description,
          apiService: "",
          quotaMetric: "",
          quotaId: "",
          quotaDimensions: {},
          quotaValue: 0,
        })),
      };
    }
    if (detail.type === "BadRequest") {
      return {
        ...detail,
        fieldViolations: detail.fieldViolations.map((v) => ({
          field: v.field,
          description: v.description,
          reason: "",
        })),
      };
    }
    return detail;
  });
  return details === undefined ? failure : { ...failure, details };
}

/** The status part of a failure (no headers, trailers or stream position), for the testing kit. */
function statusOf(failure: Failure) {
  return { code: failure.code, message: failure.message, details: failure.details };
}

/** The AIP-193 body of a failure as text, and the HTTP status it goes with. */
function aip193(failure: Failure): { status: number; text: string } {
  const json: unknown = toStatusJson(statusOf(failure), { form: "aip193" });
  const text = typeof json === "string" ? json : JSON.stringify(json);
  const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
  return { status: typeof code === "number" ? code : 500, text };
}

/** Starts every server once and builds every road's client, mapping with `catalogue`. */
export async function startRoads(catalogue: RoadCatalogue = cwsandbox): Promise<Roads> {
  const fromGrpcStatus = (error: unknown, context: MappingContext) =>
    catalogue.fromGrpcStatus(error, context);
  const [grpcJs, connect, nice, gateway] = (await Promise.all([
    startGrpcJsServer(succeed),
    startConnectServer(succeed),
    startNiceGrpcServer(succeed),
    startHttpServer({ status: 500 }),
  ])) as [GrpcJsServer, ConnectServer, NiceGrpcServer, HttpServer];
  const grpcJsClient: GrpcJsClient = grpcJs.sandboxClient();
  const protobufTs: ProtobufTsClients = protobufTsClients(grpcJs.address);
  const connectClients = Object.fromEntries(
    (["connect", "grpc", "grpc-web"] as const).map((protocol) => [
      protocol,
      createClient(SandboxService, connect.transport(protocol)),
    ]),
  ) as Record<ConnectProtocol, ConnectClient<typeof SandboxService>>;
  // The middleware maps with the context of the call being run: one client for every failure.
  let niceContext: MappingContext = {};
  const niceMapping: NiceClient<NiceSandboxService> = nice.clientsWith(
    catalogue.niceGrpcErrorMiddleware(() => niceContext) as Parameters<NiceGrpcServer["clientsWith"]>[0],
  ).sandbox;
  const niceRich: NiceClient<NiceSandboxService> = nice.richClients().sandbox;

  const grpcJsRoad: Road = {
    name: "grpc-js",
    hintPlaces: TRAILERS,
    async run(failure, context) {
      grpcJs.script = failWith(failure);
      const raw = await rejection(
        () =>
          new Promise((resolve, reject) => {
            grpcJsClient.getSandbox?.(GET, (error: Error | null, response: unknown) =>
              error ? reject(error) : resolve(response),
            );
          }),
      );
      return { raw, mapped: fromGrpcStatus(raw, context), shape: shapeOf(raw) };
    },
  };

  const connectRoad = (name: RoadName, protocol: ConnectProtocol): Road => ({
    name,
    hintPlaces: BOTH,
    async run(failure, context) {
      connect.script = failWith(failure);
      const raw = await rejection(() => connectClients[protocol].getSandbox(GET));
      const shown =
        raw instanceof ConnectError
          ? { ...(picture(raw) as object), metadata: Object.fromEntries(raw.metadata.entries()) }
          : picture(raw);
      return {
        raw,
        mapped: fromGrpcStatus(raw, context),
        shape: inspect(shown, { depth: 8, breakLength: 120 }),
      };
    },
  });

  const roads: Road[] = [
    grpcJsRoad,
    {
      name: "protobuf-ts over @protobuf-ts/grpc-transport",
      hintPlaces: TRAILERS,
      async run(failure, context) {
        grpcJs.script = failWith(failure);
        const raw = await rejection(() => protobufTs.sandbox.getSandbox(GET).response);
        return { raw, mapped: fromGrpcStatus(raw, context), shape: shapeOf(raw) };
      },
    },
    connectRoad("connect-es, Connect protocol", "connect"),
    connectRoad("connect-es, gRPC protocol", "grpc"),
    connectRoad("connect-es, gRPC-web protocol", "grpc-web"),
    {
      name: "nice-grpc with niceGrpcErrorMiddleware",
      // The middleware keeps the trailers (onTrailer) and, for hints, the response headers (onHeader).
      hintPlaces: BOTH,
      async run(failure, context) {
        nice.script = failWith(failure);
        niceContext = context;
        const raw = await rejection(() => niceMapping.getSandbox(GET));
        const cause = (raw as { cause?: unknown }).cause;
        return {
          raw,
          mapped: fromGrpcStatus(raw, context),
          shape: shapeOf({ thrown: raw, causeMetadata: (cause as { metadata?: unknown })?.metadata }),
        };
      },
    },
    {
      name: "nice-grpc-error-details RichClientError",
      // RichClientError keeps the decoded details (`extra`), neither headers nor trailers.
      hintPlaces: NONE,
      carries: asOlderErrorDetails,
      limitation:
        "nice-grpc-error-details 0.2.x decodes with an older error_details.proto: QuotaFailure's quota fields and BadRequest's violation reason/localized_message are dropped; and RichClientError keeps no headers or trailers, so no retry hint",
      async run(failure, context) {
        nice.script = failWith(failure);
        const raw = await rejection(() => niceRich.getSandbox(GET));
        return { raw, mapped: fromGrpcStatus(raw, context), shape: shapeOf(raw) };
      },
    },
    {
      name: "raw fetch, gRPC-web over HTTP/1.1 (fromResponse)",
      hintPlaces: BOTH,
      async run(failure, context) {
        connect.script = failWith(failure);
        const response = await fetch(`${connect.http1Url}/${SandboxService.typeName}/GetSandbox`, {
          method: "POST",
          headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
          body: frame(GetSandboxRequestType.toBinary(GET)),
        });
        return mapResponse(response, context, (r, c) => catalogue.fromResponse(r, c));
      },
    },
    {
      name: "raw fetch, Connect unary JSON over HTTP/1.1 (fromResponse)",
      // Connect unary sends trailers as `trailer-` headers.
      hintPlaces: BOTH,
      async run(failure, context) {
        connect.script = failWith(failure);
        const response = await fetch(`${connect.http1Url}/${SandboxService.typeName}/GetSandbox`, {
          method: "POST",
          headers: { "content-type": "application/json", "connect-protocol-version": "1" },
          body: JSON.stringify(GET),
        });
        return mapResponse(response, context, (r, c) => catalogue.fromResponse(r, c));
      },
    },
    {
      name: "HTTP/JSON gateway, AIP-193 body (fromResponse)",
      // The gateway sends the gRPC failure's headers and trailers alike as HTTP response headers.
      hintPlaces: BOTH,
      async run(failure, context) {
        const { status, text } = aip193(failure);
        gateway.respond = {
          status,
          headers: {
            "content-type": "application/json; charset=utf-8",
            ...failure.headers,
            ...failure.trailers,
          },
          body: text,
        };
        const response = await fetch(`${gateway.url}/v1/sandboxes/${GET.sandboxId}`);
        return mapResponse(response, context, (r, c) => catalogue.fromResponse(r, c));
      },
    },
    {
      name: "HTTP/JSON gateway, AIP-193 body parsed (fromGrpcStatus)",
      // A parsed body is the body alone: the response's headers are not part of it.
      hintPlaces: NONE,
      async run(failure, context) {
        const { status, text } = aip193(failure);
        gateway.respond = {
          status,
          headers: {
            "content-type": "application/json; charset=utf-8",
            ...failure.headers,
            ...failure.trailers,
          },
          body: text,
        };
        const response = await fetch(`${gateway.url}/v1/sandboxes/${GET.sandboxId}`);
        const raw: unknown = JSON.parse(await response.text());
        return { raw, mapped: fromGrpcStatus(raw, context), shape: shapeOf(raw) };
      },
    },
  ];

  return {
    byName: new Map(roads.map((road) => [road.name, road])),
    async close() {
      protobufTs.close();
      await Promise.all([grpcJs.close(), connect.close(), nice.close(), gateway.close()]);
    },
  };
}
