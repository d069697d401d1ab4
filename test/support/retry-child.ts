/**
 * Runs one retry() scenario in a fresh process, for test/retry.test.ts: a test worker has timers of
 * its own that come and go, a bare process has none. It prints how the run ended and how many
 * timers were left, then returns; a leaked timer would also keep this process alive for ten
 * minutes, which the test sees as a timeout.
 */
import { SandboxUnavailableError } from "../../src/errors.js";
import { retry } from "../../src/retry.js";

const TEN_MINUTES = 600_000;
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
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

const outcome = await run().catch((error: unknown) => (error instanceof Error ? error.message : "?"));
const timers = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
process.stdout.write(JSON.stringify({ outcome, timers }));
