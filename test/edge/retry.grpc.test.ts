/**
 * retry() against a real grpc-js server on loopback: the RetryInfo hint travels in the
 * `grpc-status-details-bin` trailer, the client maps each failure with fromGrpcStatus, and the
 * server's clock shows that the client waited as long as it was asked to. attemptTimeoutMs cancels
 * a call the server never answers, and a throttle shared by two retry calls stops both.
 */
import { fileURLToPath } from "node:url";
import {
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceClientConstructor,
  type ServiceError,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createRetryThrottle,
  fromGrpcStatus,
  GrpcCode,
  type RetryEvent,
  retry,
  SandboxNotRunningError,
  SandboxRequestTimeoutError,
  SandboxUnavailableError,
  SandboxValidationError,
  STATUS_DETAILS_KEY,
} from "../../src/index.js";
import { badRequest, encodeStatusBlob, retryInfo } from "../support/encoder.js";

interface PingRequest {
  scenario: string;
}
interface PingReply {
  attempts: number;
}
interface FlakyClient extends Client {
  Ping(
    request: PingRequest,
    metadata: Metadata,
    options: CallOptions,
    callback: (error: ServiceError | null, reply?: PingReply) => void,
  ): ClientUnaryCall;
}

/** The server's RetryInfo hint, in milliseconds. */
const HINT_MS = 300;
/** libuv's clock, which times setTimeout, counts whole milliseconds. */
const CLOCK_RESOLUTION_MS = 1;

const definition = loadSync(fileURLToPath(new URL("../fixtures/flaky.proto", import.meta.url)));
const loaded = loadPackageDefinition(definition);
const Flaky = ((loaded.sandboxsdkerrors as GrpcObject).test as GrpcObject).Flaky as ServiceClientConstructor;

/** When each call of each scenario reached the server (performance.now()). */
const arrivals = new Map<string, number[]>();
let hangCancelled = false;
/** The deadline grpc-js told the server for each "hang-deadline" call (`Infinity` when none). */
const serverDeadlines: number[] = [];
/** Which calls of "hang-once" the server saw cancelled, by their arrival number. */
const hangOnceCancelled: number[] = [];

function trailer(blob: Uint8Array): Metadata {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(blob));
  return metadata;
}

function ping(call: ServerUnaryCall<PingRequest, PingReply>, callback: sendUnaryData<PingReply>): void {
  const { scenario } = call.request;
  const seen = arrivals.get(scenario) ?? [];
  seen.push(performance.now());
  arrivals.set(scenario, seen);
  const hint = retryInfo(0, HINT_MS * 1_000_000);
  switch (scenario) {
    case "unavailable-twice":
      if (seen.length <= 2) {
        const blob = encodeStatusBlob(status.UNAVAILABLE, "runner busy", [hint]);
        callback({ code: status.UNAVAILABLE, details: "runner busy", metadata: trailer(blob) });
      } else {
        callback(null, { attempts: seen.length });
      }
      return;
    case "invalid-argument": {
      // A hint on a non-retryable status must not make it retryable.
      const violation = badRequest({ field: "scenario", description: "must be known" });
      const blob = encodeStatusBlob(status.INVALID_ARGUMENT, "bad request", [violation, hint]);
      callback({ code: status.INVALID_ARGUMENT, details: "bad request", metadata: trailer(blob) });
      return;
    }
    case "hang":
      // Never answers: the client must cancel.
      call.on("cancelled", () => {
        hangCancelled = true;
      });
      return;
    case "hang-deadline": {
      // Never answers; notes the deadline the client sent (grpc-timeout), as the server reads it.
      const deadline = call.getDeadline();
      serverDeadlines.push(deadline instanceof Date ? deadline.getTime() : deadline);
      return;
    }
    case "hang-once": {
      // The first call never answers; every later one answers at once.
      const arrival = seen.length;
      if (arrival === 1) {
        call.on("cancelled", () => hangOnceCancelled.push(arrival));
        return;
      }
      callback(null, { attempts: arrival });
      return;
    }
    case "ok":
      callback(null, { attempts: seen.length });
      return;
    case "unavailable-always": {
      const short = retryInfo(0, 10 * 1_000_000);
      const blob = encodeStatusBlob(status.UNAVAILABLE, "runner busy", [short]);
      callback({ code: status.UNAVAILABLE, details: "runner busy", metadata: trailer(blob) });
      return;
    }
    default:
      callback({ code: status.UNIMPLEMENTED, details: `unknown scenario ${scenario}` });
  }
}

let server: Server;
let client: FlakyClient;

beforeAll(async () => {
  server = new Server();
  server.addService(Flaky.service, { Ping: ping });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new Flaky(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as FlakyClient;
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

/**
 * One call, mapped the way SDK code maps every failure; the signal cancels the RPC, and `timeoutMs`
 * (retry's time left for the attempt) becomes grpc-js's deadline.
 */
function callPing(scenario: string, signal: AbortSignal, timeoutMs?: number): Promise<PingReply> {
  return new Promise((resolve, reject) => {
    const onAbort = () => call.cancel();
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    const call = client.Ping({ scenario }, new Metadata(), { deadline }, (error, reply) => {
      signal.removeEventListener("abort", onAbort);
      if (error) reject(fromGrpcStatus(error, { operation: "ping" }));
      else resolve(reply as PingReply);
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Backoff this short cannot pass for the hint: only honouring RetryInfo makes the gaps long. */
const SHORT_BACKOFF = { baseDelayMs: 10, maxDelayMs: 20 } as const;

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

describe("retry over a real grpc-js connection", () => {
  it("waits the server's RetryInfo delay between UNAVAILABLE answers, then succeeds", async () => {
    const events: RetryEvent[] = [];
    const reply = await retry(({ signal }) => callPing("unavailable-twice", signal), {
      ...SHORT_BACKOFF,
      onRetry: (event) => events.push(event),
    });
    expect(reply).toEqual({ attempts: 3 });

    const seen = arrivals.get("unavailable-twice") ?? [];
    expect(seen).toHaveLength(3);
    for (const gap of gaps(seen)) {
      expect(gap).toBeGreaterThanOrEqual(HINT_MS - CLOCK_RESOLUTION_MS);
      expect(gap).toBeLessThan(HINT_MS + 10_000); // a wide margin: the machine is shared
    }

    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, HINT_MS],
      [2, HINT_MS],
    ]);
    for (const { error } of events) {
      expect(error).toBeInstanceOf(SandboxUnavailableError);
      expect(error).toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE, retryDelay: HINT_MS });
    }
  });

  it("calls a non-retryable status once, even when it carries a RetryInfo hint", async () => {
    const result = retry(({ signal }) => callPing("invalid-argument", signal), SHORT_BACKOFF);
    const error = await result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxValidationError);
    expect(error).toMatchObject({
      grpcCode: GrpcCode.INVALID_ARGUMENT,
      retryDelay: HINT_MS,
      fieldViolations: [{ field: "scenario", description: "must be known" }],
    });
    expect(arrivals.get("invalid-argument")).toHaveLength(1);
  });

  it("cancels the RPC in flight when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    const result = retry(({ signal }) => callPing("hang", signal), { signal: controller.signal });
    await vi.waitFor(() => expect(arrivals.get("hang")).toHaveLength(1), { timeout: 10_000 });
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    await vi.waitFor(() => expect(hangCancelled).toBe(true), { timeout: 10_000 });
    expect(arrivals.get("hang")).toHaveLength(1);
  });

  it("cancels a call that runs past attemptTimeoutMs and retries it, though CANCELLED is not retryable", async () => {
    const events: RetryEvent[] = [];
    const reply = await retry(({ signal }) => callPing("hang-once", signal), {
      ...SHORT_BACKOFF,
      // Long enough for a loopback answer on a busy machine; the hung call needs it to fire.
      attemptTimeoutMs: 1_000,
      onRetry: (event) => events.push(event),
    });
    // A second call answered (a later one, had the machine stalled past the timeout again).
    expect(reply.attempts).toBeGreaterThanOrEqual(2);
    expect(reply.attempts).toBe(arrivals.get("hang-once")?.length);
    const first = events[0]!.error as SandboxRequestTimeoutError;
    expect(first).toBeInstanceOf(SandboxRequestTimeoutError);
    // The signal's abort cancelled the RPC: grpc-js reported CANCELLED "Cancelled on client", which is
    // the client's own abort, not the server's CANCELLED: the scope's base class, with no code.
    expect(first.cause).not.toBeInstanceOf(SandboxNotRunningError);
    expect(first.cause).toMatchObject({ name: "SandboxError", grpcCode: undefined });
    await vi.waitFor(() => expect(hangOnceCancelled).toEqual([1]), { timeout: 10_000 });
  });

  it("hands timeoutMs to grpc-js as the call's deadline: the server learns retry's deadline, and the call ends there", async () => {
    const deadline = Date.now() + 800;
    const started = Date.now();
    const error = await retry(({ signal, timeoutMs }) => callPing("hang-deadline", signal, timeoutMs), {
      deadline,
    }).catch((caught: unknown) => caught);
    // grpc-js's DEADLINE_EXCEEDED, mapped, or retry's own timeout of the attempt: the same class.
    expect(error).toBeInstanceOf(SandboxRequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(800 + 5_000); // a wide margin: the machine is shared
    expect(serverDeadlines).toHaveLength(1);
    // grpc-timeout is relative and whole milliseconds: the server's deadline is the client's, give
    // or take the time on the wire.
    expect(Math.abs((serverDeadlines[0] as number) - deadline)).toBeLessThan(500);
  });

  it("shares a throttle between retry calls: once drained, a second call is not retried", async () => {
    const throttle = createRetryThrottle({ maxTokens: 4, tokenRatio: 0.5 });
    const call = () =>
      retry(({ signal }) => callPing("unavailable-always", signal), { ...SHORT_BACKOFF, throttle });
    // 3 tokens left after the first failure (more than 2): one retry; 2 after the second: refused.
    const first = await call().catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(SandboxUnavailableError);
    expect(arrivals.get("unavailable-always")).toHaveLength(2);
    // 1 token left: refused at once.
    const second = await call().catch((caught: unknown) => caught);
    expect(second).toBeInstanceOf(SandboxUnavailableError);
    expect(second).toMatchObject({ grpcCode: GrpcCode.UNAVAILABLE, retryDelay: 10 });
    expect(arrivals.get("unavailable-always")).toHaveLength(3);
    expect(throttle.tokens).toBe(1);
    // A success gives half a token back.
    await retry(({ signal }) => callPing("ok", signal), { throttle });
    expect(throttle.tokens).toBe(1.5);
  });
});
