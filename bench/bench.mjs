#!/usr/bin/env node
// `npm run bench`: SPEC section 12's quality bars, measured on the built package (dist/).
//
// - The binary road: the cost of turning the reference status into an error, beside the floor (one
//   `new Error`) and google-gax's decoder; the per-byte cost of large blobs beside the reference's
//   (decoding must be linear).
// - The JSON road (section 13): `parseStatusJson(text)` and `fromGrpcStatus(body)` on the reference
//   status as an AIP-193 body, beside `JSON.parse(text)` alone and google-gax's `parseHttpError`;
//   and `parseStatusJson(text)` on REST error bodies (E2B's `{ code, message }`, NestJS's
//   `{ statusCode, error, message }`) beside `JSON.parse` of the same text.
// - Presets (section 17): the Modal preset's `fromGrpcStatus(serviceError)` beside the default
//   preset's, in the binary road's table (ratio to `new Error`).
// - The cold `import` of the main entry, timed inside child processes.
// - Size: the main entry bundled for the browser by esbuild (ESM, minified) and gzipped, for
//   `export *` and for a consumer importing `fromGrpcStatus` alone.
// - Adapter cost (section 15): successful unary calls to a real grpc-js server on loopback, through
//   the raw client and through `withErrorMapping(client)`.
// - Interceptor cost (section 18): successful unary calls to a real connect-node server on loopback
//   (gRPC over HTTP/2), through a raw connect-es transport and through one with `retryInterceptor()`.
//
// ns/op is the median of several timed rounds after a warm-up, each round long enough (≥ 20 ms) for
// the clock's resolution not to matter; the contenders of a comparison take turns round by round, and
// a ratio is the median of the per-round ratios. The clock is the CPU time this process spent
// (`process.cpuUsage()`, user + system; the main thread's alone where `process.threadCpuUsage()`
// exists), not wall time: the bench runs on shared, noisy machines, and wall time counts every moment
// the scheduler gives our core to another process, while CPU time counts only the work we did. Other
// processes can still slow that work (caches, memory bandwidth), which the median of rounds absorbs.
// Process CPU time includes V8's helper threads (parallel GC), a cost that belongs to the operation.
// The adapter's cost is I/O, so it is timed in wall time, the raw and the wrapped client taking turns
// call by call, beside a control (the raw client against itself) that shows the method's noise floor.
//
// The same input is passed again and again, so nothing here may cache across calls (nothing does).
// Rows whose function the built package does not export yet print "not built yet: skipped".
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { bundleSize, CONSUMERS } from "./sizes.mjs";

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL("..", import.meta.url));
const distIndex = `${root}dist/index.js`;
const api = await import(distIndex);
const testing = await import(`${root}dist/testing.js`);
const { fromGrpcStatus, isSandboxSdkError, parseStatusDetails } = api;
const modalPath = `${root}dist/modal.js`;
const modal = existsSync(modalPath) ? await import(modalPath) : undefined;
const { encodeStatus, toServiceError } = testing;
const { GoogleError } = require("google-gax");

// perByteFactor: the "small factor" of the reference's per-byte cost that large blobs may reach
// (a quadratic step would put a 2.5 MB blob thousands of times past it).
const TARGETS = {
  fromGrpcStatusVsError: 2.5,
  gaxVsParse: 80,
  parseJsonVsJsonParse: 2,
  gaxVsParseJson: 100,
  coldImportMs: 30,
  perByteFactor: 5,
  coldImportOverEmptyMs: 8,
};
const NOT_BUILT = "not built yet: skipped";

// ---------------------------------------------------------------------------------------------
// The reference status, in binary and as an AIP-193 JSON body
// ---------------------------------------------------------------------------------------------

const vectors = JSON.parse(readFileSync(`${root}test/fixtures/status-details.json`, "utf8")).vectors;
const reference = vectors.find((v) => v.name === "reference");
const bytes = Buffer.from(reference.hex, "hex");
const metadata = new grpc.Metadata();
metadata.set("grpc-status-details-bin", bytes);
const details = reference.expect.message;
// A grpc-js ServiceError as its client builds one.
const serviceError = Object.assign(new Error(`5 NOT_FOUND: ${details}`), { code: 5, details, metadata });

/**
 * The reference as an AIP-193 body: the JSON vectors' copy (written by the reference Python runtime)
 * when the fixture exists, else the testing kit's `toStatusJson` of the reference's status. When both
 * exist and disagree, a note says so (the bench goes on with the fixture's).
 */
function referenceBody() {
  const fixturePath = `${root}test/fixtures/status-json.json`;
  const fromFixture = existsSync(fixturePath)
    ? JSON.parse(readFileSync(fixturePath, "utf8")).vectors?.find((v) => v.name === "reference")?.aip193
    : undefined;
  let fromKit;
  if (typeof testing.toStatusJson === "function") {
    const { code, message, details } = parseStatusDetails(bytes);
    fromKit = testing.toStatusJson({ code, message, details }, { form: "aip193" });
  }
  const notes = [];
  if (fromFixture !== undefined && fromKit !== undefined) {
    const sorted = (value) =>
      JSON.stringify(value, (_, v) =>
        v !== null && typeof v === "object" && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
          : v,
      );
    if (sorted(fromFixture) !== sorted(fromKit)) {
      notes.push(
        `note: toStatusJson(reference, aip193) differs from the fixture's body: ${JSON.stringify(fromKit)}`,
      );
    }
  }
  if (fromFixture !== undefined)
    return { body: fromFixture, source: "test/fixtures/status-json.json", notes };
  if (fromKit !== undefined) return { body: fromKit, source: "toStatusJson(reference, aip193)", notes };
  return { body: undefined, source: "neither test/fixtures/status-json.json nor toStatusJson exists", notes };
}

const json = referenceBody();
const text = json.body === undefined ? undefined : JSON.stringify(json.body);
// fromGrpcStatus is handed one parsed body again and again (it must not change it: checked below).
const body = text === undefined ? undefined : JSON.parse(text);

// ---------------------------------------------------------------------------------------------
// The clock: CPU time of this process, medians of rounds
// ---------------------------------------------------------------------------------------------

const cpuMicros =
  typeof process.threadCpuUsage === "function"
    ? () => {
        const { user, system } = process.threadCpuUsage();
        return user + system;
      }
    : () => {
        const { user, system } = process.cpuUsage();
        return user + system;
      };
const clockName = typeof process.threadCpuUsage === "function" ? "thread CPU time" : "process CPU time";

let sink;
const median = (list) => list.slice().sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * Iterations per round for `operation`: the warm-up doubles the batch until one batch costs
 * `roundMs` of CPU (which also lets the JIT settle).
 */
function calibrate(operation, roundMs) {
  let iterations = 1;
  for (;;) {
    const started = cpuMicros();
    for (let i = 0; i < iterations; i++) sink = operation();
    if (cpuMicros() - started >= roundMs * 1000) return iterations;
    iterations *= 2;
  }
}

/**
 * ns/op of each `[name, operation]`: the median of `rounds` rounds of CPU time. The contenders take
 * turns round by round, so a stretch of heavy load elsewhere falls on all of them alike; a ratio
 * between two of them is the median of their per-round ratios (see `ratioOf`).
 */
function measureGroup(entries, { rounds = 15, roundMs = 20 } = {}) {
  const plan = entries.map(([name, operation]) => ({
    name,
    operation,
    iterations: calibrate(operation, roundMs),
    samples: [],
  }));
  for (let round = 0; round < rounds; round++) {
    for (const entry of plan) {
      const started = cpuMicros();
      for (let i = 0; i < entry.iterations; i++) sink = entry.operation();
      entry.samples.push(((cpuMicros() - started) * 1000) / entry.iterations);
    }
  }
  return plan.map(({ name, samples }) => ({ name, samples, ns: median(samples) }));
}

/** The median over rounds of `a`'s time per op over `b`'s (rows of one measureGroup). */
const ratioOf = (a, b) => median(a.samples.map((ns, round) => ns / b.samples[round]));

// ---------------------------------------------------------------------------------------------
// Sanity: every contender decodes the same thing
// ---------------------------------------------------------------------------------------------

function check(condition, what) {
  if (!condition) throw new Error(`bench sanity check failed: ${what}`);
}

check(fromGrpcStatus(serviceError).retryDelay === 1500, "fromGrpcStatus lost the RetryInfo");
check(parseStatusDetails(bytes).reason === reference.expect.reason, "parseStatusDetails lost the reason");
check(
  GoogleError.parseGRPCStatusDetails(serviceError).reason === reference.expect.reason,
  "google-gax lost the reason",
);

/** Why the Modal preset's row is skipped, or undefined when it maps the reference as Modal does. */
let modalSkipped;
if (typeof modal?.fromGrpcStatus !== "function") modalSkipped = NOT_BUILT;
else {
  const mapped = modal.fromGrpcStatus(serviceError);
  check(mapped instanceof modal.NotFoundError, "the Modal preset did not map NOT_FOUND to NotFoundError");
  check(mapped.retryDelay === 1500, "the Modal preset lost the RetryInfo");
  check(mapped.reason === reference.expect.reason, "the Modal preset lost the reason");
}

const hasParseStatusJson = typeof api.parseStatusJson === "function";
/** Why fromGrpcStatus(body) is skipped, or undefined when it reads the body. */
let fromBodySkipped;
if (text !== undefined) {
  check(
    GoogleError.parseHttpError(JSON.parse(text)).reason === reference.expect.reason,
    "google-gax parseHttpError lost the reason",
  );
  if (hasParseStatusJson) {
    const parsed = api.parseStatusJson(text);
    check(parsed?.code === 5, "parseStatusJson lost the code");
    check(parsed?.reason === reference.expect.reason, "parseStatusJson lost the reason");
    check(parsed?.retryDelay === 1500, "parseStatusJson lost the RetryInfo");
  }
  const mapped = fromGrpcStatus(body);
  if (mapped.reason === reference.expect.reason && mapped.retryDelay === 1500 && mapped.grpcCode === 5) {
    check(JSON.stringify(body) === text, "fromGrpcStatus changed the body it was given");
  } else {
    fromBodySkipped = hasParseStatusJson
      ? "fromGrpcStatus does not read AIP-193 bodies (reason, retryDelay or code lost): skipped"
      : NOT_BUILT;
  }
}

// ---------------------------------------------------------------------------------------------
// The binary road
// ---------------------------------------------------------------------------------------------

const MODAL_ROW = "modal fromGrpcStatus(serviceError)";
const results = measureGroup([
  ["new Error(message)", () => new Error(details)],
  ["fromGrpcStatus(serviceError)", () => fromGrpcStatus(serviceError)],
  ...(modalSkipped === undefined ? [[MODAL_ROW, () => modal.fromGrpcStatus(serviceError)]] : []),
  ["parseStatusDetails(bytes)", () => parseStatusDetails(bytes)],
  ["google-gax parseGRPCStatusDetails", () => GoogleError.parseGRPCStatusDetails(serviceError)],
]);
const row = Object.fromEntries(results.map((r) => [r.name, r]));

// ---------------------------------------------------------------------------------------------
// The JSON road
// ---------------------------------------------------------------------------------------------

const GAX_JSON = "google-gax parseHttpError(JSON.parse)";
/** The JSON road's rows in the order printed: `[name, operation]`, or `[name, undefined, why skipped]`. */
const jsonPlan =
  text === undefined
    ? []
    : [
        ["JSON.parse(text)", () => JSON.parse(text)],
        hasParseStatusJson
          ? ["parseStatusJson(text)", () => api.parseStatusJson(text)]
          : ["parseStatusJson(text)", undefined, NOT_BUILT],
        fromBodySkipped === undefined
          ? ["fromGrpcStatus(body)", () => fromGrpcStatus(body)]
          : ["fromGrpcStatus(body)", undefined, fromBodySkipped],
        // parseHttpError replaces the body's `details` with decoded messages, so each call gets a
        // fresh body; the JSON.parse this costs is under 1% of gax's time (parseStatusJson parses too).
        [GAX_JSON, () => GoogleError.parseHttpError(JSON.parse(text))],
      ];
const jsonMeasured = measureGroup(jsonPlan.filter(([, operation]) => operation !== undefined));
const jsonRows = jsonPlan.map(
  ([name, operation, skipped]) =>
    (operation === undefined ? undefined : jsonMeasured.find((r) => r.name === name)) ?? { name, skipped },
);
const jsonRow = Object.fromEntries(jsonRows.filter((r) => r.ns !== undefined).map((r) => [r.name, r]));

// ---------------------------------------------------------------------------------------------
// REST error bodies: parseStatusJson beside JSON.parse of the same text
// ---------------------------------------------------------------------------------------------

/** REST error bodies as the sandbox APIs send them (SPEC §13), each with what parseStatusJson must read. */
const REST_BODIES = [
  {
    name: "E2B",
    text: JSON.stringify({ code: 404, message: 'sandbox "i3k9x2tq0yv7" not found' }),
    code: 5,
    message: 'sandbox "i3k9x2tq0yv7" not found',
  },
  {
    name: "NestJS",
    text: JSON.stringify({
      statusCode: 404,
      error: "Not Found",
      message: "Sandbox with ID or name 7f3c2a9e-5b1d-4c8e-9a0f-2d6e8b4c1a3f not found",
    }),
    code: 5,
    message: "Sandbox with ID or name 7f3c2a9e-5b1d-4c8e-9a0f-2d6e8b4c1a3f not found",
  },
];
/** Why the REST rows are skipped (parseStatusJson missing, or it does not read REST bodies yet). */
let restSkipped = hasParseStatusJson ? undefined : NOT_BUILT;
for (const { name, text: restText, code, message } of REST_BODIES) {
  if (restSkipped !== undefined) break;
  const parsed = api.parseStatusJson(restText);
  if (parsed?.code !== code || parsed?.message !== message)
    restSkipped = `parseStatusJson does not read the ${name} body (code ${parsed?.code}, expected ${code}): skipped`;
}
const restMeasured =
  restSkipped === undefined
    ? measureGroup(
        REST_BODIES.flatMap(({ name, text: restText }) => [
          [`JSON.parse(${name} text)`, () => JSON.parse(restText)],
          [`parseStatusJson(${name} text)`, () => api.parseStatusJson(restText)],
        ]),
      )
    : [];
/** Each REST body's two rows and the ratio of parseStatusJson to JSON.parse, round by round. */
const restRows = REST_BODIES.map(({ name, text: restText }) => {
  const parse = restMeasured.find((r) => r.name === `JSON.parse(${name} text)`);
  const read = restMeasured.find((r) => r.name === `parseStatusJson(${name} text)`);
  return {
    name,
    chars: restText.length,
    parse,
    read,
    ratio: parse && read ? ratioOf(read, parse) : undefined,
  };
});

// ---------------------------------------------------------------------------------------------
// Linear cost: large blobs must cost about as much per byte as the small reference does
// ---------------------------------------------------------------------------------------------

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
// The reference's cost per byte is the table's figure above (the same operation on the same bytes).
const referencePerByte = row["parseStatusDetails(bytes)"].ns / bytes.length;
const bigRows = measureGroup(
  bigBlobs.map(([name, blob]) => [name, () => parseStatusDetails(blob)]),
  { rounds: 9 },
);
const linear = bigBlobs.map(([name, blob], i) => ({
  name,
  kib: blob.length / 1024,
  factor: bigRows[i].ns / blob.length / referencePerByte,
}));

// ---------------------------------------------------------------------------------------------
// Cold import, in child processes
// ---------------------------------------------------------------------------------------------

function coldImport(kind, target = kind === "esm" ? distIndex : `${root}dist/index.cjs`) {
  const script =
    kind === "esm"
      ? `const t = performance.now(); await import(${JSON.stringify(target)}); process.stdout.write(String(performance.now() - t));`
      : `const t = performance.now(); require(${JSON.stringify(target)}); process.stdout.write(String(performance.now() - t));`;
  const times = [];
  for (let i = 0; i < 15; i++) {
    const args = kind === "esm" ? ["--input-type=module", "-e", script] : ["-e", script];
    const child = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`cold import failed: ${child.stderr}`);
    times.push(Number(child.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
// An empty ES module beside the entry: the import machinery's own cost, which the entry's is measured over.
const emptyModule = `${root}bench/empty.mjs`;
const coldEmpty = coldImport("esm", emptyModule);
const coldEsm = coldImport("esm");
const coldCjs = coldImport("cjs");
const coldOverEmpty = coldEsm - coldEmpty;

// ---------------------------------------------------------------------------------------------
// Size: bundled for the browser by esbuild, minified, gzipped
// ---------------------------------------------------------------------------------------------

const sizes = [];
for (const consumer of CONSUMERS) sizes.push({ ...consumer, ...(await bundleSize(consumer)) });

// ---------------------------------------------------------------------------------------------
// Adapter cost: successful unary calls over loopback, raw and through withErrorMapping
// ---------------------------------------------------------------------------------------------

const ADAPTER = { calls: 300, rounds: 15 };

async function adapterCost() {
  if (typeof api.withErrorMapping !== "function") return { skipped: NOT_BUILT };
  const proto = fileURLToPath(new URL("../examples/sandbox.proto", import.meta.url));
  const { SandboxService } = grpc.loadPackageDefinition(protoLoader.loadSync(proto, { keepCase: true })).demo
    .sandbox.v1;
  const server = new grpc.Server();
  server.addService(SandboxService.service, {
    GetSandbox({ request }, callback) {
      if (request.sandbox_id === "sb-missing") {
        callback(toServiceError({ code: 5, message: "sandbox sb-missing not found" }));
      } else {
        callback(null, { sandbox_id: request.sandbox_id, state: "RUNNING" });
      }
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const client = new SandboxService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const mapped = api.withErrorMapping(client);
    const call = (target, sandboxId) =>
      new Promise((resolve, reject) =>
        target.GetSandbox({ sandbox_id: sandboxId }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      );
    // Sanity: successes pass through untouched, failures arrive mapped.
    check((await call(mapped, "sb-1")).state === "RUNNING", "withErrorMapping lost a successful response");
    const failure = await call(mapped, "sb-missing").then(
      () => undefined,
      (error) => error,
    );
    check(isSandboxSdkError(failure) && failure.grpcCode === 5, "withErrorMapping did not map a failed call");

    // The control: the raw client again, seen through an object that inherits from it (a Map key of
    // its own), so the noise floor of the method shows beside the adapter's figure.
    const twin = Object.create(client);

    /**
     * One round: the raw client and `other` take turns call by call (`rawFirst` alternates by round),
     * each call timed alone. A round's ratio is the median `other` call over the median raw call (a
     * median shrugs off the calls another process delayed). Wall time: the CPU time of one call is
     * no measure here, as the server's and grpc-js's own work spills from one call into the next.
     */
    const round = async (other, rawFirst) => {
      const wall = new Map([
        [client, []],
        [other, []],
      ]);
      for (let i = 0; i < ADAPTER.calls; i++) {
        const target = (i % 2 === 0) === rawFirst ? client : other;
        const started = process.hrtime.bigint();
        await call(target, "sb-1");
        wall.get(target).push(Number(process.hrtime.bigint() - started));
      }
      return {
        rawNs: median(wall.get(client)),
        wallRatio: median(wall.get(other)) / median(wall.get(client)),
      };
    };
    // Warm-up (the connection, the JIT), then the rounds, the control's and the adapter's in turn.
    await round(mapped, true);
    await round(twin, true);
    const rounds = { mapped: [], control: [] };
    for (let r = 0; r < ADAPTER.rounds; r++) {
      rounds.mapped.push(await round(mapped, r % 2 === 0));
      rounds.control.push(await round(twin, r % 2 === 1));
    }
    const quartiles = (list) => {
      const sorted = list.slice().sort((a, b) => a - b);
      return [sorted[Math.floor(sorted.length / 4)], sorted[Math.floor((3 * sorted.length) / 4)]];
    };
    const summary = (list) => ({
      wallRatio: median(list.map((r) => r.wallRatio)),
      wallQuartiles: quartiles(list.map((r) => r.wallRatio)),
    });
    return {
      rawUs: median([...rounds.mapped, ...rounds.control].map((r) => r.rawNs)) / 1000,
      mapped: summary(rounds.mapped),
      control: summary(rounds.control),
    };
  } finally {
    client.close();
    server.forceShutdown();
  }
}
const adapter = await adapterCost();

// ---------------------------------------------------------------------------------------------
// Interceptor cost: successful unary calls over loopback, raw and through retryInterceptor()
// ---------------------------------------------------------------------------------------------

const INTERCEPTOR = { calls: 300, rounds: 15 };

/**
 * The demo's `SandboxService` for connect-es, from the descriptor its generated code embeds
 * (test/support/transports/gen/sandbox_pb.ts, made by protoc-gen-es from examples/sandbox.proto):
 * the bench runs plain JavaScript, and the descriptor is the whole of what connect-es needs.
 */
async function connectSandboxService() {
  const { fileDesc, serviceDesc } = await import("@bufbuild/protobuf/codegenv2");
  const generated = readFileSync(`${root}test/support/transports/gen/sandbox_pb.ts`, "utf8");
  const embedded = /fileDesc\(\s*"([A-Za-z0-9+/=]+)"/.exec(generated);
  if (embedded === null) throw new Error("no fileDesc(...) in the generated sandbox_pb.ts: regenerate it");
  return serviceDesc(fileDesc(embedded[1]), 0);
}

async function interceptorCost() {
  if (typeof api.retryInterceptor !== "function") return { skipped: NOT_BUILT };
  const http2 = await import("node:http2");
  const { Code, ConnectError, createClient } = await import("@connectrpc/connect");
  const { connectNodeAdapter, createGrpcTransport } = await import("@connectrpc/connect-node");
  const SandboxService = await connectSandboxService();
  let flakyCalls = 0;
  const server = http2.createServer(
    connectNodeAdapter({
      routes(router) {
        router.service(SandboxService, {
          getSandbox(request) {
            // The sanity check's call: UNAVAILABLE once, then an answer.
            if (request.sandboxId === "sb-flaky" && ++flakyCalls === 1) {
              throw new ConnectError("runner busy", Code.Unavailable);
            }
            return { sandboxId: request.sandboxId, state: "RUNNING" };
          },
        });
      },
    }),
  );
  const sessions = new Set();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  // One transport (one HTTP/2 connection) per client, so the control pays what the wrapped pays.
  const clientOf = (interceptors) =>
    createClient(SandboxService, createGrpcTransport({ baseUrl, httpVersion: "2", interceptors }));
  try {
    const raw = clientOf([]);
    const twin = clientOf([]);
    const wrapped = clientOf([api.retryInterceptor()]);
    // Sanity: successes pass through untouched, and a retryable failure is retried.
    check(
      (await wrapped.getSandbox({ sandboxId: "sb-1" })).state === "RUNNING",
      "retryInterceptor lost a response",
    );
    const healing = clientOf([
      api.retryInterceptor({
        catalogue: { fromGrpcStatus: api.fromGrpcStatus },
        baseDelayMs: 1,
        maxDelayMs: 1,
      }),
    ]);
    check(
      (await healing.getSandbox({ sandboxId: "sb-flaky" })).state === "RUNNING",
      "retryInterceptor did not retry",
    );
    check(flakyCalls === 2, `retryInterceptor called the flaky method ${flakyCalls} times, not 2`);

    /**
     * One round: the raw client and `other` take turns call by call (`rawFirst` alternates by
     * round), each call timed alone; the round's ratio is the median `other` call over the median
     * raw call, in wall time (as for the adapter above).
     */
    const round = async (other, rawFirst) => {
      const wall = new Map([
        [raw, []],
        [other, []],
      ]);
      for (let i = 0; i < INTERCEPTOR.calls; i++) {
        const target = (i % 2 === 0) === rawFirst ? raw : other;
        const started = process.hrtime.bigint();
        await target.getSandbox({ sandboxId: "sb-1" });
        wall.get(target).push(Number(process.hrtime.bigint() - started));
      }
      return { rawNs: median(wall.get(raw)), wallRatio: median(wall.get(other)) / median(wall.get(raw)) };
    };
    // Warm-up (the connections, the JIT), then the rounds, the control's and the interceptor's in turn.
    await round(wrapped, true);
    await round(twin, true);
    const rounds = { wrapped: [], control: [] };
    for (let r = 0; r < INTERCEPTOR.rounds; r++) {
      rounds.wrapped.push(await round(wrapped, r % 2 === 0));
      rounds.control.push(await round(twin, r % 2 === 1));
    }
    const quartiles = (list) => {
      const sorted = list.slice().sort((a, b) => a - b);
      return [sorted[Math.floor(sorted.length / 4)], sorted[Math.floor((3 * sorted.length) / 4)]];
    };
    const summary = (list) => ({
      wallRatio: median(list.map((r) => r.wallRatio)),
      wallQuartiles: quartiles(list.map((r) => r.wallRatio)),
    });
    return {
      rawUs: median([...rounds.wrapped, ...rounds.control].map((r) => r.rawNs)) / 1000,
      wrapped: summary(rounds.wrapped),
      control: summary(rounds.control),
    };
  } finally {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}
const interceptor = await interceptorCost();

/**
 * The interceptor's own work on a successful call, without I/O: a unary request through
 * `retryInterceptor()` to a `next` that answers at once, beside the same `next` called directly, in
 * CPU time per call (median of rounds, taking turns). Wall time over loopback drowns this in the
 * transport's noise on a busy machine; CPU time does not.
 */
async function interceptorAlone() {
  if (typeof api.retryInterceptor !== "function") return { skipped: NOT_BUILT };
  const request = {
    stream: false,
    method: { methodKind: "unary" },
    signal: new AbortController().signal,
    header: new Headers({ "content-type": "application/grpc" }),
    message: {},
  };
  const response = { stream: false, message: {} };
  const next = async () => response;
  const wrapped = api.retryInterceptor()(next);
  const CALLS = 20_000;
  const perCall = async (call) => {
    const started = cpuMicros();
    for (let i = 0; i < CALLS; i++) await call(request);
    return ((cpuMicros() - started) * 1000) / CALLS;
  };
  await perCall(wrapped);
  await perCall(next);
  const samples = { wrapped: [], direct: [] };
  for (let r = 0; r < 15; r++) {
    samples.wrapped.push(await perCall(wrapped));
    samples.direct.push(await perCall(next));
  }
  return { wrappedNs: median(samples.wrapped), directNs: median(samples.direct) };
}
const alone = await interceptorAlone();

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const floorRow = row["new Error(message)"];
console.log(
  `sandbox-sdk-errors bench — node ${process.version}, reference status (${bytes.length} bytes), ns/op in ${clockName}\n`,
);
console.log("operation                              ns/op     × new Error");
for (const result of results) {
  const times = ratioOf(result, floorRow);
  console.log(
    `${result.name.padEnd(36)} ${result.ns.toFixed(0).padStart(9)} ${times.toFixed(2).padStart(10)}`,
  );
}

if (modalSkipped !== undefined) console.log(`${MODAL_ROW.padEnd(36)} ${modalSkipped}`);
else {
  const vsDefault = ratioOf(row[MODAL_ROW], row["fromGrpcStatus(serviceError)"]);
  console.log(`  (the Modal preset's fromGrpcStatus is ${vsDefault.toFixed(2)}× the default preset's)`);
}

console.log(`\nJSON road: the reference as an AIP-193 body (${json.source})`);
for (const note of json.notes) console.log(`  ${note}`);
if (text === undefined) {
  console.log(`  ${NOT_BUILT}`);
} else {
  console.log(`  ${text.length} chars of JSON`);
  const jsonFloor = jsonRow["JSON.parse(text)"];
  console.log("operation                              ns/op  × JSON.parse");
  for (const result of jsonRows) {
    if (result.ns === undefined) console.log(`${result.name.padEnd(36)} ${result.skipped}`);
    else
      console.log(
        `${result.name.padEnd(36)} ${result.ns.toFixed(0).padStart(9)} ${ratioOf(result, jsonFloor).toFixed(2).padStart(12)}`,
      );
  }
}

console.log("\nREST error bodies: parseStatusJson(text) beside JSON.parse of the same text");
if (restSkipped !== undefined) console.log(`  ${restSkipped}`);
else {
  console.log("operation                              ns/op  × JSON.parse");
  for (const { name, chars, parse, read, ratio } of restRows) {
    console.log(`  ${name} body, ${chars} chars`);
    console.log(`${parse.name.padEnd(36)} ${parse.ns.toFixed(0).padStart(9)} ${(1).toFixed(2).padStart(12)}`);
    console.log(`${read.name.padEnd(36)} ${read.ns.toFixed(0).padStart(9)} ${ratio.toFixed(2).padStart(12)}`);
  }
}

console.log(`\nparseStatusDetails per byte: reference ${referencePerByte.toFixed(2)} ns/byte`);
for (const { name, kib, factor } of linear) {
  console.log(`  ${name} (${kib.toFixed(0)} KiB): ${factor.toFixed(2)}× the reference's cost per byte`);
}
console.log(
  `\ncold import (median of 15 child processes): ESM ${coldEsm.toFixed(1)} ms, CJS ${coldCjs.toFixed(1)} ms; ` +
    `an empty ES module ${coldEmpty.toFixed(1)} ms, so the entry costs ${coldOverEmpty.toFixed(1)} ms over it`,
);

console.log("\nsize per use: a consumer bundled by esbuild (ESM, minified, platform browser), gzip level 9");
for (const { name, minKb, gzipKb, error, budgetKb } of sizes) {
  if (error !== undefined) console.log(`  ${name}: the browser build failed: ${error}`);
  else {
    const budget = budgetKb === undefined ? "" : ` (budget ${budgetKb} KB)`;
    console.log(`  ${name}: ${minKb.toFixed(1)} KB minified, ${gzipKb.toFixed(2)} KB gzipped${budget}`);
  }
}

console.log(
  `\nadapter cost: successful unary calls to a grpc-js server on 127.0.0.1, ${ADAPTER.rounds} rounds of ` +
    `${ADAPTER.calls} sequential calls taking turns (wall time, median call)`,
);
if (adapter.skipped !== undefined) console.log(`  withErrorMapping: ${adapter.skipped}`);
else {
  const range = ([low, high]) => `${low.toFixed(3)}–${high.toFixed(3)}×`;
  console.log(`  raw client: ${adapter.rawUs.toFixed(1)} µs/call (median)`);
  for (const [name, figures] of [
    ["withErrorMapping / raw", adapter.mapped],
    ["control: raw / raw (the noise floor)", adapter.control],
  ]) {
    console.log(
      `  ${name.padEnd(38)} ${figures.wallRatio.toFixed(3)}× (median; middle half of rounds ${range(figures.wallQuartiles)})`,
    );
  }
}

console.log(
  `\ninterceptor cost: successful unary calls to a connect-node server on 127.0.0.1 (gRPC, HTTP/2), ` +
    `${INTERCEPTOR.rounds} rounds of ${INTERCEPTOR.calls} sequential calls taking turns (wall time, median call)`,
);
if (interceptor.skipped !== undefined) console.log(`  retryInterceptor: ${interceptor.skipped}`);
else {
  const range = ([low, high]) => `${low.toFixed(3)}–${high.toFixed(3)}×`;
  console.log(`  raw transport: ${interceptor.rawUs.toFixed(1)} µs/call (median)`);
  for (const [name, figures] of [
    ["retryInterceptor() / raw", interceptor.wrapped],
    ["control: raw / raw (the noise floor)", interceptor.control],
  ]) {
    console.log(
      `  ${name.padEnd(38)} ${figures.wallRatio.toFixed(3)}× (median; middle half of rounds ${range(figures.wallQuartiles)})`,
    );
  }
}
if (alone.skipped === undefined) {
  const extraUs = (alone.wrappedNs - alone.directNs) / 1000;
  console.log(
    `  the interceptor alone (no I/O, ${clockName}): ${extraUs.toFixed(1)} µs/call over a bare next()` +
      (interceptor.skipped === undefined
        ? `, ${((100 * extraUs) / interceptor.rawUs).toFixed(2)}% of a raw call`
        : ""),
  );
}

const gaxRow = row["google-gax parseGRPCStatusDetails"];
const ratio = ratioOf(row["fromGrpcStatus(serviceError)"], floorRow);
const gaxParse = ratioOf(gaxRow, row["parseStatusDetails(bytes)"]);
const gaxMap = ratioOf(gaxRow, row["fromGrpcStatus(serviceError)"]);
const worstLinear = Math.max(...linear.map(({ factor }) => factor));
const checks = [
  [
    `fromGrpcStatus / new Error = ${ratio.toFixed(3)}×`,
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
];
const parseJson = jsonRow["parseStatusJson(text)"];
if (parseJson === undefined) {
  checks.push([
    `parseStatusJson / JSON.parse: ${NOT_BUILT}`,
    `≤ ${TARGETS.parseJsonVsJsonParse}×`,
    undefined,
  ]);
  checks.push([`google-gax / parseStatusJson: ${NOT_BUILT}`, `≥ ${TARGETS.gaxVsParseJson}×`, undefined]);
} else {
  const vsParse = ratioOf(parseJson, jsonRow["JSON.parse(text)"]);
  const gaxJson = ratioOf(jsonRow[GAX_JSON], parseJson);
  checks.push([
    `parseStatusJson / JSON.parse = ${vsParse.toFixed(3)}×`,
    `≤ ${TARGETS.parseJsonVsJsonParse}×`,
    vsParse <= TARGETS.parseJsonVsJsonParse,
  ]);
  checks.push([
    `google-gax parseHttpError / parseStatusJson = ${gaxJson.toFixed(0)}×`,
    `≥ ${TARGETS.gaxVsParseJson}×`,
    gaxJson >= TARGETS.gaxVsParseJson,
  ]);
}
checks.push(
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
);
checks.push([
  `cold import over an empty ES module = ${coldOverEmpty.toFixed(1)} ms`,
  `≤ ${TARGETS.coldImportOverEmptyMs} ms`,
  coldOverEmpty <= TARGETS.coldImportOverEmptyMs,
]);
for (const { name, gzipKb, error, budgetKb } of sizes) {
  if (budgetKb === undefined) continue;
  checks.push(
    error === undefined
      ? [`size, ${name} = ${gzipKb.toFixed(2)} KB`, `≤ ${budgetKb} KB`, gzipKb <= budgetKb]
      : [`size, ${name}: the browser build failed`, `≤ ${budgetKb} KB`, false],
  );
}
console.log("\ntargets:");
for (const [what, target, ok] of checks)
  console.log(`  ${ok === undefined ? "skip" : ok ? "met " : "MISS"}  ${what}  (target ${target})`);
void sink;
