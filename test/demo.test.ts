// `npm run demo` (examples/demo.mjs) against the built package: it fits a 120-column terminal and
// still shows what it is for — each failure's class, reason, retry delay, retryability and message,
// one failure through both presets, one failure's OpenTelemetry attributes, and a call that retry()
// carries through.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../scripts/fresh-dist.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let lines: string[];

beforeAll(() => {
  ensureBuilt(root);
  const run = spawnSync(process.execPath, ["examples/demo.mjs"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  lines = run.stdout.split("\n");
}, 300_000);

/** The message printed under the row of `call`, its wrapped lines joined again. */
function messageOf(call: string): string {
  const row = lines.findIndex((line) => line.startsWith(`${call}  `));
  const message: string[] = [];
  for (let i = row + 1; i < lines.length && /^ {4}\S/.test(lines[i] ?? ""); i++) {
    message.push((lines[i] ?? "").trim());
  }
  return message.join(" ");
}

describe("npm run demo", () => {
  it("fits a 120-column terminal", () => {
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((line) => [...line].length > 120)).toEqual([]);
  });

  it("shows each failure's class, reason, retry delay and retryability on one row", () => {
    const row = (...cells: string[]) => new RegExp(`^${cells.join("\\s+")}$`, "m");
    const output = lines.join("\n");
    expect(output).toMatch(row("call", "class", "reason", "retryDelay", "retryable"));
    expect(output).toMatch(
      row("GetSandbox sb-404", "SandboxNotFoundError", "CWSANDBOX_SANDBOX_NOT_FOUND", "-", "no"),
    );
    expect(output).toMatch(
      row(
        "StartSandbox gpu-large",
        "SandboxUnavailableError",
        "CWSANDBOX_BACKEND_UNAVAILABLE",
        "1500 ms",
        "yes",
      ),
    );
    expect(output).toMatch(
      row("Exec make \\(stream\\)", "SandboxCommandTimeoutError", "CWSANDBOX_COMMAND_TIMEOUT", "-", "no"),
    );
  });

  it("prints each message whole under its row, wrapped at spaces", () => {
    expect(messageOf("GetSandbox sb-404")).toBe("Sandbox 'sb-404' not found");
    // The longest: both field violations the server sent, every word kept.
    const violations = messageOf("StartSandbox (bad fields)");
    expect(violations).toContain("invalid StartSandbox request");
    expect(violations).toContain(
      "image: must not be empty; tags[0]: tags may contain letters, numbers, '.', '_' or '-'",
    );
    expect(messageOf("StartSandbox (bad trailer)")).toContain("[trailer did not decode");
  });

  it("shows one failure through both presets side by side: the default preset's class and Modal's", () => {
    const row = (...cells: string[]) => new RegExp(`^${cells.join("\\s+")}$`, "m");
    const output = lines.join("\n");
    expect(output).toMatch(row("preset", "class", "reason", "retryable"));
    // The default preset trusts the ErrorInfo reason; Modal's maps by code alone and keeps the reason.
    expect(output).toMatch(
      row("sandbox-sdk-errors", "SandboxFileError", "CWSANDBOX_FILE_PERMISSION_DENIED", "no"),
    );
    expect(output).toMatch(
      row("sandbox-sdk-errors/modal", "PermissionDeniedError", "CWSANDBOX_FILE_PERMISSION_DENIED", "no"),
    );
    expect(messageOf("sandbox-sdk-errors")).toContain("open /etc/shadow: permission denied");
    expect(messageOf("sandbox-sdk-errors/modal")).toBe("open /etc/shadow: permission denied");
  });

  it("shows one failure's OpenTelemetry attributes and a call retried as the server asked", () => {
    expect(lines).toContain('  sandbox.error.class = "SandboxNotFoundError"');
    expect(lines).toContain('  sandbox.request_id = "req-8f2c"');
    expect(lines).toContain("  waiting 300 ms before attempt 2");
    expect(lines.some((line) => /^ {2}attempt 3: sb-flaky is RUNNING after \d+ ms$/.test(line))).toBe(true);
  });
});
