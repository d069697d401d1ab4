/**
 * Runs in the Chromium page (bundled by esbuild with connect-web): one real call with connect-web's
 * Connect or gRPC-web transport to the loopback connect-node server of
 * test/support/transports/connect.ts, which fails it; the thrown `ConnectError` is mapped with
 * `fromGrpcStatus` in the page, and what the mapping gave is sent back as plain JSON.
 */
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { fromGrpcStatus } from "../../src/index.js";
import { SandboxService } from "../support/transports/gen/sandbox_pb.js";

/** What reached the page and what `fromGrpcStatus` made of it. */
export interface PageCall {
  /** The thrown value's class as the page saw it: `ConnectError` when connect-web threw one. */
  readonly thrown: string;
  readonly code: number | undefined;
  readonly name: string;
  readonly message: string;
  readonly reason: string | undefined;
  readonly domain: string | undefined;
  readonly metadata: Record<string, string>;
  readonly retryDelay: number | undefined;
  readonly grpcCode: number | undefined;
  readonly detailTypes: string[];
  readonly sandboxId: unknown;
  readonly causeIsThrown: boolean;
}

/** Calls `GetSandbox` over `protocol`; the server is scripted to fail it. */
export async function callFailingGetSandbox(
  baseUrl: string,
  protocol: "connect" | "grpc-web",
  sandboxId: string,
): Promise<PageCall> {
  const transport =
    protocol === "connect" ? createConnectTransport({ baseUrl }) : createGrpcWebTransport({ baseUrl });
  const client = createClient(SandboxService, transport);
  let thrown: unknown;
  try {
    await client.getSandbox({ sandboxId });
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`the ${protocol} call succeeded; the server should have failed it`);
  const mapped = fromGrpcStatus(thrown, { operation: "getSandbox", sandboxId });
  return {
    thrown: thrown instanceof ConnectError ? "ConnectError" : Object.prototype.toString.call(thrown),
    code: thrown instanceof ConnectError ? thrown.code : undefined,
    name: mapped.name,
    message: mapped.message,
    reason: mapped.reason,
    domain: mapped.domain,
    metadata: { ...mapped.metadata },
    retryDelay: mapped.retryDelay,
    grpcCode: mapped.grpcCode,
    detailTypes: mapped.details.map((detail) => detail.type),
    sandboxId: (mapped as unknown as { sandboxId?: unknown }).sandboxId,
    causeIsThrown: mapped.cause === thrown,
  };
}
