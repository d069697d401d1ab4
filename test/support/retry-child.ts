/**
 * Runs one retry() scenario in a fresh process, for test/retry.test.ts: a test worker has timers of
 * its own that come and go, a bare process has none. It prints how the run ended and how many
 * timers were left, then returns; a leaked timer would also keep this process alive for ten
 * minutes, which the test sees as a timeout.
 */

import { retry, SandboxNotFoundError, SandboxUnavailableError } from "../../src/index.js";

const TEN_MINUTES = 600_000;
/**
 * How far ahead the deadline scenarios set their deadline: far enough that the first attempt starts
 * before it even in a cold process on a loaded machine (where 5 ms was not: the deadline had passed
 * before the first call, which `retry` rightly refuses at once), near enough to keep the test short.
 */
const DEADLINE_AHEAD_MS = 300;
const scenario = process.argv[2];

async function run(): Promise<string> {
  const controller = new AbortController();
  switch (scenario) {
    case "success": {
      let calls = 0;
      return retry(
        async () => {
          calls++;
          if (calls < 3)
            throw new SandboxUnavailableError("busy", { retryDelay: calls === 1 ? 5 : undefined });
          return "resolved";
        },
        { baseDelayMs: 1, maxDelayMs: 5 },
      );
    }
    case "abort-during-sleep":
      return retry(
        async () => {
          throw new SandboxUnavailableError("busy", { retryDelay: TEN_MINUTES });
        },
        {
          signal: controller.signal,
          maxHintedDelayMs: TEN_MINUTES,
          budgetMs: TEN_MINUTES,
          // Abort once the sleep has started.
          onRetry: () => setImmediate(() => controller.abort(new Error("aborted"))),
        },
      );
    case "abort-during-call":
      setImmediate(() => controller.abort(new Error("aborted")));
      return retry(() => new Promise<string>(() => {}), { signal: controller.signal });
    case "attempt-timeouts":
      // Every attempt runs past its timeout and ends when its signal aborts, as a transport does.
      return retry(
        ({ signal }) =>
          new Promise<string>((_resolve, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason));
          }),
        { attemptTimeoutMs: 5, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      ).catch((error: Error) => {
        throw new Error(`${error.name} caused by ${(error.cause as Error).name}`);
      });
    case "attempts-within-timeout": {
      // Each attempt ends well before its ten-minute timeout: every such timer must be cleared.
      let calls = 0;
      return retry(
        async () => {
          calls++;
          if (calls === 1) throw new SandboxUnavailableError("busy", { retryDelay: 1 });
          if (calls === 2) return "resolved";
          throw new SandboxNotFoundError("unreachable");
        },
        { attemptTimeoutMs: TEN_MINUTES },
      );
    }
    case "abort-during-timed-call":
      setImmediate(() => controller.abort(new Error("aborted")));
      return retry(() => new Promise<string>(() => {}), {
        signal: controller.signal,
        attemptTimeoutMs: TEN_MINUTES,
      });
    case "non-retryable-within-timeout":
      return retry(
        async () => {
          throw new SandboxNotFoundError("gone");
        },
        { attemptTimeoutMs: TEN_MINUTES },
      );
    case "deadline-cut":
      // The only attempt runs into the deadline and ends when its signal aborts.
      return retry(
        ({ signal }) =>
          new Promise<string>((_resolve, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason));
          }),
        { deadline: Date.now() + DEADLINE_AHEAD_MS },
      ).catch((error: Error) => {
        throw new Error(`${error.name} caused by ${(error.cause as Error).name}`);
      });
    case "deadline-during-sleep":
      // A hint longer than the time to the deadline: the sleep is cut to it, and nothing follows.
      return retry(
        async () => {
          throw new SandboxUnavailableError("busy", { retryDelay: TEN_MINUTES });
        },
        { deadline: Date.now() + DEADLINE_AHEAD_MS, maxHintedDelayMs: TEN_MINUTES, budgetMs: TEN_MINUTES },
      ).catch((error: Error) => {
        throw new Error(error.name);
      });
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

const outcome = await run().catch((error: unknown) => (error instanceof Error ? error.message : "?"));
const timers = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
process.stdout.write(JSON.stringify({ outcome, timers }));
