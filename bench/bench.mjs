#!/usr/bin/env node
// `npm run bench`: the cost of turning the reference status into an error, beside the floor (one
// `new Error`) and google-gax's decoder; the per-byte cost of large blobs beside the reference's
// (decoding must be linear); and the cold import of the main entry. One process, the built
// package, ns/op as the median of several timed rounds after a warm-up. The same input is passed
// again and again, so nothing here may cache across calls (nothing does).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Metadata } from "@grpc/grpc-js";

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("..", import.meta.url));
const { fromGrpcStatus, parseStatusDetails } = await import(`${root}dist/index.js`);
const { encodeStatus } = await import(`${root}dist/testing.js`);
const { GoogleError } = require("google-gax");

// perByteFactor: the "small factor" of the reference's per-byte cost that large blobs may reach
// (a quadratic step would put a 2.5 MB blob thousands of times past it).
const TARGETS = { fromGrpcStatusVsError: 2.5, gaxVsParse: 80, coldImportMs: 30, perByteFactor: 5 };

const vectors = JSON.parse(readFileSync(`${root}test/fixtures/status-details.json`, "utf8")).vectors;
const reference = vectors.find((v) => v.name === "reference");
const bytes = Buffer.from(reference.hex, "hex");
const metadata = new Metadata();
metadata.set("grpc-status-details-bin", bytes);
const details = reference.expect.message;
// A grpc-js ServiceError as its client builds one.
const serviceError = Object.assign(new Error(`5 NOT_FOUND: ${details}`), { code: 5, details, metadata });

let sink;
function measure(name, operation, { iterations = 50_000, rounds = 15 } = {}) {
  for (let i = 0; i < iterations; i++) sink = operation();
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = operation();
    samples.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  samples.sort((a, b) => a - b);
  return { name, ns: samples[Math.floor(rounds / 2)] };
}

// Sanity: every contender decodes the same thing.
if (fromGrpcStatus(serviceError).retryDelay !== 1500) throw new Error("fromGrpcStatus lost the RetryInfo");
if (parseStatusDetails(bytes).reason !== reference.expect.reason) throw new Error("parse lost the reason");
if (GoogleError.parseGRPCStatusDetails(serviceError).reason !== reference.expect.reason) {
  throw new Error("google-gax lost the reason");
}

const results = [
  measure("new Error(message)", () => new Error(details)),
  measure("fromGrpcStatus(serviceError)", () => fromGrpcStatus(serviceError)),
  measure("parseStatusDetails(bytes)", () => parseStatusDetails(bytes)),
  measure("google-gax parseGRPCStatusDetails", () => GoogleError.parseGRPCStatusDetails(serviceError), {
    iterations: 200,
    rounds: 7,
  }),
];
const byName = Object.fromEntries(results.map((r) => [r.name, r.ns]));

// Linear cost: large blobs must cost about as much per byte as the small reference does.
const manyEntries = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key-${i}`, `value-${i}`]));
const bigBlobs = [
  [
    "100,000 metadata entries",
    encodeStatus({
      code: 5,
      details: [{ type: "ErrorInfo", reason: "R", domain: "cwsandbox.com", metadata: manyEntries }],
    }),
  ],
  [
    "1 MiB of details",
    encodeStatus({
      code: 13,
      details: Array.from({ length: 4096 }, (_, i) => ({
        type: "DebugInfo",
        stackEntries: [`frame ${i} `.padEnd(200, "x")],
        detail: "d".repeat(40),
      })),
    }),
  ],
];
const perByte = (blob, iterations) =>
  measure("", () => parseStatusDetails(blob), { iterations, rounds: 5 }).ns / blob.length;
const referencePerByte = perByte(bytes, 50_000);
const linear = bigBlobs.map(([name, blob]) => ({
  name,
  kib: blob.length / 1024,
  factor: perByte(blob, 3) / referencePerByte,
}));

function coldImport(kind) {
  const script =
    kind === "esm"
      ? `const t = performance.now(); await import(${JSON.stringify(`${root}dist/index.js`)}); process.stdout.write(String(performance.now() - t));`
      : `const t = performance.now(); require(${JSON.stringify(`${root}dist/index.cjs`)}); process.stdout.write(String(performance.now() - t));`;
  const times = [];
  for (let i = 0; i < 9; i++) {
    const args = kind === "esm" ? ["--input-type=module", "-e", script] : ["-e", script];
    const child = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`cold import failed: ${child.stderr}`);
    times.push(Number(child.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const coldEsm = coldImport("esm");
const coldCjs = coldImport("cjs");

const floor = byName["new Error(message)"];
console.log(`sandbox-sdk-errors bench — node ${process.version}, reference status (${bytes.length} bytes)\n`);
console.log("operation                              ns/op     × new Error");
for (const { name, ns } of results) {
  console.log(`${name.padEnd(36)} ${ns.toFixed(0).padStart(9)} ${(ns / floor).toFixed(2).padStart(10)}`);
}
console.log(`\nparseStatusDetails per byte: reference ${referencePerByte.toFixed(2)} ns/byte`);
for (const { name, kib, factor } of linear) {
  console.log(`  ${name} (${kib.toFixed(0)} KiB): ${factor.toFixed(2)}× the reference's cost per byte`);
}
console.log(
  `\ncold import (median of 9 child processes): ESM ${coldEsm.toFixed(1)} ms, CJS ${coldCjs.toFixed(1)} ms`,
);

const ratio = byName["fromGrpcStatus(serviceError)"] / floor;
const gaxParse = byName["google-gax parseGRPCStatusDetails"] / byName["parseStatusDetails(bytes)"];
const gaxMap = byName["google-gax parseGRPCStatusDetails"] / byName["fromGrpcStatus(serviceError)"];
const worstLinear = Math.max(...linear.map(({ factor }) => factor));
const checks = [
  [
    `fromGrpcStatus / new Error = ${ratio.toFixed(2)}×`,
    `≤ ${TARGETS.fromGrpcStatusVsError}×`,
    ratio <= TARGETS.fromGrpcStatusVsError,
  ],
  [
    `google-gax / parseStatusDetails = ${gaxParse.toFixed(0)}×`,
    `≥ ${TARGETS.gaxVsParse}×`,
    gaxParse >= TARGETS.gaxVsParse,
  ],
  [
    `google-gax / fromGrpcStatus = ${gaxMap.toFixed(0)}×`,
    `≥ ${TARGETS.gaxVsParse}×`,
    gaxMap >= TARGETS.gaxVsParse,
  ],
  [
    `big blobs per byte ≤ ${worstLinear.toFixed(2)}× the reference`,
    `≤ ${TARGETS.perByteFactor}×`,
    worstLinear <= TARGETS.perByteFactor,
  ],
  [
    `cold import ESM ${coldEsm.toFixed(1)} ms, CJS ${coldCjs.toFixed(1)} ms`,
    `≤ ${TARGETS.coldImportMs} ms`,
    Math.max(coldEsm, coldCjs) <= TARGETS.coldImportMs,
  ],
];
console.log("\ntargets:");
for (const [what, target, ok] of checks)
  console.log(`  ${ok ? "met " : "MISS"}  ${what}  (target ${target})`);
void sink;
