#!/usr/bin/env node
// `npm run demo`: a real grpc-js server on 127.0.0.1 fails the way a sandbox service does, and a
// client maps every failure with fromGrpcStatus. One failure is then seen through both presets side
// by side (the default preset's classes and Modal's), and one flaky call is retried with retry(),
// which waits as long as the server's RetryInfo asks. Runs against the built package, as an
// application would import it.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  GrpcCode,
  otelAttributes,
  parseStatusDetails,
  Reason,
  retry,
  withErrorMapping,
} from "sandbox-sdk-errors";
import * as modal from "sandbox-sdk-errors/modal";
import { encodeStatus, toServiceError } from "sandbox-sdk-errors/testing";

const PROTO = fileURLToPath(new URL("./sandbox.proto", import.meta.url));
const { SandboxService } = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: true })).demo
  .sandbox.v1;

const DOMAIN = "cwsandbox.com";
const errorInfo = (reason, metadata = {}) => ({ type: "ErrorInfo", reason, domain: DOMAIN, metadata });

/** A status for a handler's callback, the details packed into the grpc-status-details-bin trailer. */
const fail = (code, message, details = []) => toServiceError({ code, message, details });

let flakyAttempts = 0;
const handlers = {
  GetSandbox({ request }, callback) {
    if (request.sandbox_id === "sb-flaky" && ++flakyAttempts <= 2) {
      callback(
        fail(GrpcCode.UNAVAILABLE, "runner is restarting", [
          errorInfo(Reason.RUNNER_UNAVAILABLE),
          { type: "RetryInfo", retryDelay: 300 },
        ]),
      );
    } else if (request.sandbox_id === "sb-flaky") {
      callback(null, { sandbox_id: request.sandbox_id, state: "RUNNING" });
    } else {
      callback(
        fail(GrpcCode.NOT_FOUND, `sandbox ${request.sandbox_id} not found`, [
          errorInfo(Reason.SANDBOX_NOT_FOUND),
          { type: "RequestInfo", requestId: "req-8f2c", servingData: "" },
        ]),
      );
    }
  },
  ReadFile({ request }, callback) {
    callback(
      fail(GrpcCode.PERMISSION_DENIED, `open ${request.path}: permission denied`, [
        errorInfo(Reason.FILE_PERMISSION_DENIED, { filepath: request.path }),
      ]),
    );
  },
  StartSandbox({ request, metadata }, callback) {
    if (metadata.get("authorization").length === 0) {
      callback(fail(GrpcCode.UNAUTHENTICATED, "missing bearer token"));
    } else if (request.image === "") {
      callback(
        fail(GrpcCode.INVALID_ARGUMENT, "invalid StartSandbox request", [
          {
            type: "BadRequest",
            fieldViolations: [
              { field: "image", description: "must not be empty", reason: "" },
              {
                field: "tags[0]",
                description: "tags may contain letters, numbers, '.', '_' or '-'",
                reason: "",
              },
            ],
          },
        ]),
      );
    } else if (request.image === "gpu-large") {
      callback(
        fail(GrpcCode.UNAVAILABLE, "backend at capacity", [
          errorInfo(Reason.BACKEND_UNAVAILABLE),
          { type: "RetryInfo", retryDelay: 1500 },
        ]),
      );
    } else {
      // A trailer that is not a google.rpc.Status at all: the status code still maps.
      const trailers = new grpc.Metadata();
      trailers.set("grpc-status-details-bin", Buffer.from("not a protobuf status"));
      callback({ code: GrpcCode.INTERNAL, details: "scheduler panicked", metadata: trailers });
    }
  },
  Exec(call) {
    call.write({ stdout: Buffer.from("compiling...\n") });
    const blob = encodeStatus({
      code: GrpcCode.DEADLINE_EXCEEDED,
      message: "timeout",
      details: [errorInfo(Reason.COMMAND_TIMEOUT)],
    });
    const trailers = new grpc.Metadata();
    trailers.set("grpc-status-details-bin", Buffer.from(blob));
    call.emit("error", {
      code: GrpcCode.DEADLINE_EXCEEDED,
      details: "command ran past 30s",
      metadata: trailers,
    });
  },
};

const server = new grpc.Server();
server.addService(SandboxService.service, handlers);
const port = await new Promise((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
    error ? reject(error) : resolve(bound),
  ),
);
const rawClient = new SandboxService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
// Wrapped once: every method's failures arrive already mapped by fromGrpcStatus, with the method's
// name as the operation and the sandbox id read from the request.
const contextOf = (method, request) => ({ operation: method, sandboxId: request?.sandbox_id || undefined });
const client = withErrorMapping(rawClient, contextOf);
// The same raw client, wrapped with Modal's preset: Modal's classes, from the status code alone.
const modalClient = modal.withErrorMapping(rawClient, contextOf);

const authorized = new grpc.Metadata();
authorized.set("authorization", "Bearer demo");

/** Calls a unary method; resolves with the response or rejects with the (mapped) error. */
const unary = (method, request, metadata = authorized, through = client) =>
  new Promise((resolve, reject) =>
    through[method](request, metadata, (error, response) => (error ? reject(error) : resolve(response))),
  );

/** Reads a server stream to its end or its (mapped) error. */
const stream = (method, request) =>
  new Promise((resolve, reject) => {
    const call = client[method](request, authorized);
    call.on("data", () => {});
    call.on("end", resolve);
    call.on("error", reject);
  });

const scenarios = [
  ["GetSandbox sb-404", () => unary("GetSandbox", { sandbox_id: "sb-404" })],
  ["ReadFile /etc/shadow", () => unary("ReadFile", { sandbox_id: "sb-1", path: "/etc/shadow" })],
  ["StartSandbox gpu-large", () => unary("StartSandbox", { image: "gpu-large" })],
  ["StartSandbox (bad fields)", () => unary("StartSandbox", { image: "", tags: ["bad tag!"] })],
  ["StartSandbox (no token)", () => unary("StartSandbox", { image: "ubuntu" }, new grpc.Metadata())],
  ["StartSandbox (bad trailer)", () => unary("StartSandbox", { image: "ubuntu" })],
  ["Exec make (stream)", () => stream("Exec", { sandbox_id: "sb-1", command: ["make"] })],
];

/** What to say when the server sent a trailer that is not a google.rpc.Status. */
function trailerNote(error) {
  const trailer = error.cause?.metadata?.get?.("grpc-status-details-bin") ?? [];
  if (trailer.length === 0 || parseStatusDetails(error.cause.metadata) !== undefined) return "";
  return " [trailer did not decode: mapped from the status code alone]";
}

const rows = [];
let notFound;
for (const [call, run] of scenarios) {
  try {
    await run();
    rows.push({ cells: [call, "(succeeded)", "", "", ""], message: "" });
  } catch (error) {
    notFound ??= error.name === "SandboxNotFoundError" ? error : undefined;
    rows.push({
      cells: [
        call,
        error.name,
        error.reason ?? "-",
        error.retryDelay === undefined ? "-" : `${error.retryDelay} ms`,
        error.retryable ? "yes" : "no",
      ],
      message: error.message + trailerNote(error),
    });
  }
}

/** The demo fits a terminal this wide: each failure's message goes on its own lines, under its row. */
const WIDTH = 120;
const MESSAGE_INDENT = "    ";

/** `text` cut at spaces into lines of at most `width` characters (a longer word keeps a line of its own). */
function wrap(text, width) {
  const lines = [""];
  for (const word of text.split(" ")) {
    const last = lines[lines.length - 1];
    if (last === "") lines[lines.length - 1] = word;
    else if (`${last} ${word}`.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

const header = ["call", "class", "reason", "retryDelay", "retryable"];
const widths = header.map((title, i) =>
  rows.reduce((width, row) => Math.max(width, row.cells[i].length), title.length),
);
const line = (cells) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(
  `sandbox service on 127.0.0.1:${port}: every failure, mapped at the client's edge by withErrorMapping\n`,
);
console.log(line(header));
console.log(`${MESSAGE_INDENT}message`);
console.log(line(widths.map((width) => "-".repeat(width))));
for (const row of rows) {
  console.log(line(row.cells));
  if (row.message === "") continue;
  for (const text of wrap(row.message, WIDTH - MESSAGE_INDENT.length))
    console.log(`${MESSAGE_INDENT}${text}`);
}

// One failure through both presets: the default preset reads the trusted ErrorInfo reason and gives
// a SandboxFileError; Modal's maps by code alone (PERMISSION_DENIED), and still keeps the reason.
const PRESETS = [
  ["sandbox-sdk-errors", client],
  ["sandbox-sdk-errors/modal", modalClient],
];
const bothRows = [];
for (const [preset, through] of PRESETS) {
  const error = await unary(
    "ReadFile",
    { sandbox_id: "sb-1", path: "/etc/shadow" },
    authorized,
    through,
  ).then(
    () => undefined,
    (failure) => failure,
  );
  bothRows.push({
    cells: [preset, error.name, error.reason ?? "-", error.retryable ? "yes" : "no"],
    message: error.message,
  });
}
const bothHeader = ["preset", "class", "reason", "retryable"];
const bothWidths = bothHeader.map((title, i) =>
  bothRows.reduce((width, row) => Math.max(width, row.cells[i].length), title.length),
);
const bothLine = (cells) =>
  cells
    .map((cell, i) => cell.padEnd(bothWidths[i]))
    .join("  ")
    .trimEnd();
console.log(
  "\nThe same failure through both presets: ReadFile /etc/shadow, PERMISSION_DENIED with an ErrorInfo",
);
console.log(bothLine(bothHeader));
console.log(`${MESSAGE_INDENT}message`);
console.log(bothLine(bothWidths.map((width) => "-".repeat(width))));
for (const row of bothRows) {
  console.log(bothLine(row.cells));
  for (const text of wrap(row.message, WIDTH - MESSAGE_INDENT.length))
    console.log(`${MESSAGE_INDENT}${text}`);
}

console.log("\nOpenTelemetry attributes of the GetSandbox failure (recordError(span, error) sets them):");
for (const [key, value] of Object.entries(otelAttributes(notFound)))
  console.log(`  ${key} = ${JSON.stringify(value)}`);

console.log("\nretry(): GetSandbox sb-flaky fails twice with UNAVAILABLE and a RetryInfo of 300 ms");
const started = Date.now();
const sandbox = await retry(
  async ({ attempt }) => {
    try {
      return await unary("GetSandbox", { sandbox_id: "sb-flaky" });
    } catch (error) {
      console.log(
        `  attempt ${attempt}: ${error.name} (${error.reason}), server asks to wait ${error.retryDelay} ms`,
      );
      throw error;
    }
  },
  { onRetry: ({ attempt, delayMs }) => console.log(`  waiting ${delayMs} ms before attempt ${attempt + 1}`) },
);
console.log(
  `  attempt ${flakyAttempts}: ${sandbox.sandbox_id} is ${sandbox.state} after ${Date.now() - started} ms`,
);

rawClient.close();
await new Promise((resolve) => server.tryShutdown(resolve));
