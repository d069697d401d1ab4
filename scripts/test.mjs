#!/usr/bin/env node
// The whole suite, as `npm test` runs it: types, lint, build, the packed tarball's audits (publint
// --strict, Are the Types Wrong), the API reference (TypeDoc, failing on any undocumented export),
// then every test. It ends with one plain line, `tests: N passed, M failed`, so that a run in which
// no test ran is visible to anyone reading the log.
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
  } else {
    failedStep = "tests (no report was written)";
  }
} else {
  console.log(`\n${failedStep} failed: no tests were run.`);
}

const ok = failedStep === undefined && vitestStatus === 0 && failed === 0 && passed > 0;
if (passed === 0 && failedStep === undefined) console.log("No test ran: that is a failure.");
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
