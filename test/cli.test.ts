/**
 * The built CLI (`dist/cli.js`, the package's bin), run as a child process the way a support
 * engineer runs it. `npm test` builds before testing; a missing or stale build fails loudly here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromGrpcStatus, parseStatusDetails, STATUS_DETAILS_KEY } from "sandbox-sdk-errors";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeStatusBlob, errorInfo } from "./support/encoder.js";
import { referenceBlob, vectors } from "./support/vectors.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SOURCES = fileURLToPath(new URL("../src/", import.meta.url));

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error("dist/cli.js is missing: run `npx tsup` (npm test builds before testing)");
  const built = statSync(CLI).mtimeMs;
  const newer = readdirSync(SOURCES).filter((file) => statSync(SOURCES + file).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(`dist/ is older than src/${newer[0]}: run \`npx tsup\` (npm test builds before testing)`);
  }
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string | Uint8Array): Run {
  const result = spawnSync(process.execPath, [CLI, ...args], { input: stdin ?? "", encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A failure: exit 2, nothing on stdout, and one line on stderr that matches `message`. */
function expectRefusal(result: Run, message: RegExp): void {
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^sandbox-sdk-errors: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
}

const reference = referenceBlob();
const REFERENCE_TEXT = `Status (215 bytes, hex)
  code     5 NOT_FOUND
  message  "sandbox sb-123 not found"
  details  2

Detail 1 of 2: ErrorInfo
  reason    "CWSANDBOX_SANDBOX_NOT_FOUND"
  domain    "cwsandbox.com"
  metadata  region     "us-east"
            sandboxId  "sb-123"

Detail 2 of 2: RetryInfo
  retryDelay  1500 ms

fromGrpcStatus (the status's code 5 NOT_FOUND taken as the transport's code; default context)
  class       SandboxNotFoundError
  message     "sandbox sb-123 not found"
  retryable   false
  reason      "CWSANDBOX_SANDBOX_NOT_FOUND"
  domain      "cwsandbox.com"
  retryDelay  1500 ms
`;

/** What `--json` must say for a blob: the decoder's view, bytes as base64, absent fields as null. */
function expectedJson(blob: Uint8Array) {
  const status = parseStatusDetails(blob)!;
  const error = fromGrpcStatus({
    code: status.code,
    details: status.message,
    metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [blob] : []) },
  });
  const plain = JSON.parse(
    JSON.stringify(status.details, (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
    ),
  );
  return {
    status: {
      code: status.code,
      message: status.message,
      details: plain,
      reason: status.reason ?? null,
      domain: status.domain ?? null,
      metadata: { ...status.metadata },
      retryDelay: status.retryDelay ?? null,
      fieldViolations: status.fieldViolations,
      requestId: status.requestId ?? null,
    },
    fromGrpcStatus: { class: error.name, message: error.message, retryable: error.retryable },
  };
}

describe("sandbox-sdk-errors decode", () => {
  it("prints the reference status from hex: every field, aligned, and the class", () => {
    const result = run(["decode", reference.toString("hex")]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(REFERENCE_TEXT);
    expect(result.status).toBe(0);
  });

  it("reads standard base64, URL-safe base64 without padding, and values wrapped over lines", () => {
    const standard = reference.toString("base64");
    const urlSafe = reference.toString("base64url");
    expect(standard).toMatch(/[+/=]/); // the two spellings really differ
    const wrapped = `${standard.slice(0, 40)}\n  ${standard.slice(40)}\n`;
    for (const input of [standard, urlSafe, wrapped, `grpc-status-details-bin: ${standard}`]) {
      const result = run(["decode", input]);
      expect(result.status, input).toBe(0);
      expect(result.stdout, input).toBe(REFERENCE_TEXT.replace("bytes, hex", "bytes, base64"));
    }
  });

  it("reads the value from stdin with -: hex or base64 text, or the raw bytes", () => {
    expect(run(["decode", "-"], `${reference.toString("hex")}\n`).stdout).toBe(REFERENCE_TEXT);
    const fromBase64 = run(["decode", "-"], reference.toString("base64"));
    expect(fromBase64.stdout).toBe(REFERENCE_TEXT.replace("bytes, hex", "bytes, base64"));
    const raw = run(["decode", "-"], reference);
    expect(raw.status).toBe(0);
    expect(raw.stdout).toBe(REFERENCE_TEXT.replace("bytes, hex", "bytes, raw"));
  });

  it("prints JSON with --json: the decoder's view, bytes as base64, absent fields as null", () => {
    const result = run(["decode", "--json", reference.toString("base64")]);
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      input: { encoding: "base64", bytes: 215 },
      status: {
        code: 5,
        codeName: "NOT_FOUND",
        message: "sandbox sb-123 not found",
        reason: "CWSANDBOX_SANDBOX_NOT_FOUND",
        metadata: { region: "us-east", sandboxId: "sb-123" },
        retryDelay: 1500,
        requestId: null,
      },
      fromGrpcStatus: { class: "SandboxNotFoundError", retryable: false, grpcCode: 5 },
    });
    expect(document.status.details).toEqual([
      {
        type: "ErrorInfo",
        reason: "CWSANDBOX_SANDBOX_NOT_FOUND",
        domain: "cwsandbox.com",
        metadata: { region: "us-east", sandboxId: "sb-123" },
      },
      { type: "RetryInfo", retryDelay: 1500 },
    ]);
    expect(document.fromGrpcStatus.note).toMatch(/code taken as the transport's code/);
  });

  it("prints the bytes of an Unknown detail as hex, and as base64 in JSON", () => {
    const vector = vectors.find((v) => v.name === "unknown-type")!;
    const unknown = parseStatusDetails(Buffer.from(vector.hex, "hex"))!.details[0]!;
    if (unknown.type !== "Unknown") throw new Error("the unknown-type vector changed");
    const text = run(["decode", vector.hex]).stdout;
    expect(text).toContain(`typeUrl  ${JSON.stringify(unknown.typeUrl)}`);
    expect(text).toContain(`${unknown.value.length} bytes, hex:`);
    expect(text).toContain(Buffer.from(unknown.value).toString("hex").slice(0, 64));
    const json = JSON.parse(run(["decode", "--json", vector.hex]).stdout);
    expect(json.status.details[0].value).toBe(Buffer.from(unknown.value).toString("base64"));
  });

  it("lists the fields a detail leaves out when they were not sent", () => {
    const absent = vectors.find((v) => v.name === "retry-absent-field")!;
    expect(run(["decode", absent.hex]).stdout).toMatch(
      /retryDelay {2}absent \(not sent, or not a valid Duration\)/,
    );
    const all = run(["decode", vectors.find((v) => v.name === "all-detail-types")!.hex]).stdout;
    expect(all).toMatch(/futureQuotaValue {2}20\n/);
    expect(all).toMatch(/localizedMessage {2}absent \(not sent\)/);
  });

  it("shows the file path a SandboxFileError takes from metadata.filepath", () => {
    const blob = encodeStatusBlob(5, "missing", [
      errorInfo("CWSANDBOX_FILE_NOT_FOUND", "cwsandbox.com", { filepath: "/data/x" }),
    ]);
    const text = run(["decode", Buffer.from(blob).toString("hex")]).stdout;
    expect(text).toMatch(/\n {2}class +SandboxFileError\n/);
    expect(text).toMatch(/\n {2}filepath +"\/data\/x"\n/);
  });

  it("prints usage with --help or -h and exits 0", () => {
    for (const flag of ["--help", "-h"]) {
      const result = run([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: sandbox-sdk-errors decode \[--json\] <base64 \| hex \| ->\n/);
      expect(result.stderr).toBe("");
    }
    expect(run(["decode", "--help", "zzzz"]).status).toBe(0);
  });

  it("refuses input that is neither hex nor base64, or not a status, with exit 2", () => {
    expectRefusal(run(["decode", "not a status!"]), /input is neither hex \(even length\) nor base64/);
    expectRefusal(run(["decode", "abcde"]), /neither hex/); // odd-length hex is read as base64: 5 chars is not
    expectRefusal(run(["decode", "ffff"]), /not a google\.rpc\.Status: 2 bytes \(ffff\)/);
    expectRefusal(run(["decode", "SGVsbG8sIHdvcmxkIQ"]), /not a google\.rpc\.Status/);
    // Valid base64 whose bytes are well-formed protobuf, but of fields a Status does not have.
    expectRefusal(
      run(["decode", "hello world"]),
      /not a google\.rpc\.Status: 7 bytes .* only unknown fields/,
    );
    expectRefusal(run(["decode", "--", "-_-_"]), /not a google\.rpc\.Status/);
  });

  it("refuses an empty input with exit 2: there is no status in it", () => {
    expectRefusal(run(["decode", ""]), /empty input/);
    expectRefusal(run(["decode", "  \n"]), /empty input/);
    expectRefusal(run(["decode", "-"], ""), /empty input/);
  });

  it("refuses bad usage with exit 2 and one line", () => {
    expectRefusal(run([]), /missing command/);
    expectRefusal(run(["encode", "00"]), /unknown command 'encode'/);
    expectRefusal(run(["decode"]), /decode needs an input/);
    expectRefusal(run(["decode", "0805", "0805"]), /decode takes one input, got 2/);
    expectRefusal(run(["decode", "--yaml", "0805"]), /unknown option '--yaml'/);
  });
});

describe("every golden vector through the CLI", () => {
  it.each(vectors.map((v) => [v.name, v] as const))("%s", (_name, vector) => {
    if (!vector.expect.ok) {
      const result = run(["decode", vector.hex]);
      expectRefusal(result, vector.hex === "" ? /empty input/ : /not a google\.rpc\.Status/);
      return;
    }
    const text = run(["decode", vector.hex]);
    expect(text.status).toBe(0);
    const types = vector.expect.detailTypes as string[];
    types.forEach((type, index) => {
      expect(text.stdout).toContain(`Detail ${index + 1} of ${types.length}: ${type}`);
    });
    const json = run(["decode", "--json", vector.hex]);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject(expectedJson(Buffer.from(vector.hex, "hex")));
    expect(text.stdout).toMatch(/\n {2}class +\w+\n/);
  });
});
