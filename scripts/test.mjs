#!/usr/bin/env node
// The whole suite, as `npm test` runs it: types, lint, build, the packed tarball's audits (publint
// --strict, Are the Types Wrong), the API reference (TypeDoc, failing on any undocumented export),
// then every test. It ends with one plain line, `tests: N passed, M failed`, so that a run in which
// no test ran is visible to anyone reading the log. Just above it, a banner says so when the browser
// checks (test/runtimes/chromium.test.ts, which skips itself without a Chromium) did not run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const report = ".vitest-report.json";
const packDir = mkdtempSync(join(tmpdir(), "sandbox-sdk-errors-pack-"));
const tarball = () => join(packDir, JSON.parse(readFileSync(join(packDir, "pack.json"), "utf8"))[0].filename);

const steps = [
  ["types", "npx", ["tsc", "--noEmit", "-p", "."]],
  ["lint", "npx", ["biome", "check", "."]],
  ["build", "npm", ["run", "build", "--silent"]],
  ["pack", "sh", ["-c", `npm pack --json --pack-destination '${packDir}' > '${join(packDir, "pack.json")}'`]],
  ["publint", "npx", ["publint", "run", "--strict", tarball]],
  ["attw", "npx", ["attw", tarball]],
  ["docs", "npx", ["typedoc", "--logLevel", "Warn"]],
];

let failedStep;
for (const [name, command, args] of steps) {
  const resolved = args.map((arg) => (typeof arg === "function" ? arg() : arg));
  console.log(`\n> ${name}: ${command} ${resolved.join(" ")}`);
  const { status } = spawnSync(command, resolved, { stdio: "inherit" });
  if (status !== 0) {
    failedStep = name;
    break;
  }
}
rmSync(packDir, { recursive: true, force: true });

let passed = 0;
let failed = 0;
let vitestStatus = 0;
/** The browser checks' tests that ran (passed or failed); `undefined` when there is no report. */
let browserTestsRun;
const BROWSER_TESTS = "test/runtimes/chromium.test.ts";
if (failedStep === undefined) {
  rmSync(report, { force: true });
  console.log("\n> tests: npx vitest run");
  ({ status: vitestStatus } = spawnSync(
    "npx",
    ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    { stdio: "inherit" },
  ));
  if (existsSync(report)) {
    const results = JSON.parse(readFileSync(report, "utf8"));
    passed = results.numPassedTests;
    failed = results.numFailedTests;
    const browserFile = results.testResults.find((file) =>
      file.name.replaceAll("\\", "/").endsWith(BROWSER_TESTS),
    );
    browserTestsRun = (browserFile?.assertionResults ?? []).filter(
      (test) => test.status === "passed" || test.status === "failed",
    ).length;
  } else {
    failedStep = "tests (no report was written)";
  }
} else {
  console.log(`\n${failedStep} failed: no tests were run.`);
}

/**
 * Why the browser checks did not run, or `undefined` when they did (or when no test ran at all, which
 * the lines above already say). The Chromium it looks for is the one chromium.test.ts looks for.
 */
function browserChecksMissing() {
  const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(chromium)) return `no Chromium at ${chromium} (CHROMIUM_PATH, else /usr/bin/chromium)`;
  if (failedStep !== undefined || browserTestsRun === undefined) return undefined;
  if (browserTestsRun === 0) return `${BROWSER_TESTS} ran no test (skipped, or not collected)`;
  return undefined;
}

const browserMissing = browserChecksMissing();
if (browserMissing !== undefined) {
  const rule = "!".repeat(78);
  console.log(
    [
      "",
      rule,
      "!!  THE BROWSER CHECKS DID NOT RUN.",
      `!!  Why: ${browserMissing}.`,
      "!!  This run does NOT prove the library in a browser engine (SPEC section 14):",
      "!!  the golden vectors, mapping, JSON round trips and the Connect / gRPC-web calls",
      "!!  from a page were not exercised in headless Chromium.",
      "!!  To run them: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH,",
      "!!  then: npm run test:browser",
      rule,
      "",
    ].join("\n"),
  );
}

const ok = failedStep === undefined && vitestStatus === 0 && failed === 0 && passed > 0;
if (passed === 0 && failedStep === undefined) console.log("No test ran: that is a failure.");
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
