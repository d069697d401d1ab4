#!/usr/bin/env node
// The whole suite, as `npm test` runs it: types, lint, build (the packaging tests load dist/), then
// every test. It ends with one plain line, `tests: N passed, M failed`, so that a run in which no
// test ran is visible to anyone reading the log.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const report = ".vitest-report.json";
const steps = [
  ["types", "npx", ["tsc", "--noEmit", "-p", "."]],
  ["lint", "npx", ["biome", "check", "."]],
  ["build", "npx", ["tsup"]],
];

let failedStep;
for (const [name, command, args] of steps) {
  console.log(`\n> ${name}: ${command} ${args.join(" ")}`);
  const { status } = spawnSync(command, args, { stdio: "inherit" });
  if (status !== 0) {
    failedStep = name;
    break;
  }
}

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
