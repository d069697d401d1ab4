/**
 * Runs in the Chromium page (bundled by esbuild with connect-web): one real call with connect-web's
 * Connect or gRPC-web transport to the loopback connect-node server of
 * test/support/transports/connect.ts, which fails it; the thrown `ConnectError` is mapped with
 * `fromGrpcStatus` in the page, and what the mapping gave is sent back as plain JSON. And calls to a
 * loopback port where nothing listens (connect-web's transports and a plain `fetch`): the browser's
 * own network failure, mapped and retried in the page.
 */
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { fromGrpcStatus, isRetryable, retry, SandboxUnavailableError } from "../../src/index.js";
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

/** What reached the page when it called a server that is not there, and what the mapping made of it. */
export interface PageNetworkFailure {
  /** The thrown value's class: `ConnectError`, or the `TypeError` of a plain `fetch`. */
  readonly thrown: string;
  readonly thrownMessage: string;
  /** The `ConnectError`'s code (connect-web reports a failed `fetch` as UNKNOWN). */
  readonly code: number | undefined;
  /** The `ConnectError`'s cause: the browser's own `TypeError`. */
  readonly causeName: string | undefined;
  readonly causeMessage: string | undefined;
  readonly name: string;
  readonly isSandboxUnavailableError: boolean;
  readonly message: string;
  readonly grpcCode: number | undefined;
  readonly hasRawMessage: boolean;
  readonly retryable: boolean;
  /** `isRetryable` of the raw thrown value, without the classes. */
  readonly rawIsRetryable: boolean;
  readonly causeIsThrown: boolean;
  /** How many calls `retry(() => call(), { maxAttempts })` made. */
  readonly attempts: number;
  /** Whether `retry` re-threw the last call's own error, unchanged. */
  readonly retryRethrewLast: boolean;
}

/** Calls a server that is not there: connect-web over `protocol`, or a plain `fetch`. */
function stoppedCall(baseUrl: string, road: "connect" | "grpc-web" | "fetch"): () => Promise<unknown> {
  if (road === "fetch") return () => fetch(`${baseUrl}/`, { method: "POST", body: "{}" });
  const transport =
    road === "connect" ? createConnectTransport({ baseUrl }) : createGrpcWebTransport({ baseUrl });
  const client = createClient(SandboxService, transport);
  return () => client.getSandbox({ sandboxId: "sb-page-1" });
}

/**
 * Calls `baseUrl`, where nothing listens, over `road`; maps what the browser threw, and retries the
 * call `maxAttempts` times with `retry` (as `retry(() => rawCall())`, no mapping inside).
 */
export async function callStoppedServer(
  baseUrl: string,
  road: "connect" | "grpc-web" | "fetch",
  maxAttempts: number,
): Promise<PageNetworkFailure> {
  const call = stoppedCall(baseUrl, road);
  let thrown: unknown;
  try {
    await call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`the ${road} call to ${baseUrl} succeeded: something listens there`);
  const mapped = fromGrpcStatus(thrown, { operation: "getSandbox" });
  const cause = thrown instanceof ConnectError ? thrown.cause : undefined;

  let attempts = 0;
  let last: unknown;
  let rethrown: unknown;
  try {
    await retry(
      async () => {
        attempts++;
        try {
          return await call();
        } catch (error) {
          last = error;
          throw error;
        }
      },
      { maxAttempts, baseDelayMs: 1, maxDelayMs: 1 },
    );
  } catch (error) {
    rethrown = error;
  }

  return {
    thrown: thrown instanceof ConnectError ? "ConnectError" : (thrown as Error).constructor.name,
    thrownMessage: (thrown as Error).message,
    code: thrown instanceof ConnectError ? thrown.code : undefined,
    causeName: cause instanceof Error ? cause.name : undefined,
    causeMessage: cause instanceof Error ? cause.message : undefined,
    name: mapped.name,
    isSandboxUnavailableError: mapped instanceof SandboxUnavailableError,
    message: mapped.message,
    grpcCode: mapped.grpcCode,
    hasRawMessage: mapped.rawMessage !== undefined,
    retryable: mapped.retryable,
    rawIsRetryable: isRetryable(thrown),
    causeIsThrown: mapped.cause === thrown,
    attempts,
    retryRethrewLast: rethrown !== undefined && rethrown === last,
  };
}
