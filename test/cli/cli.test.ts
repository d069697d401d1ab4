/**
 * The CLI, two ways: `runCli` in process (the behaviour, fast enough for property tests and large
 * statuses), and the built bin (`dist/cli.js`) as a child process, the way a support engineer runs
 * it. The shared suite runs both ways; `npm test` builds before testing, and a missing or stale
 * build fails the child-process half loudly.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { fromGrpcStatus, parseStatusDetails, parseStatusJson, STATUS_DETAILS_KEY } from "sandbox-sdk-errors";
import { beforeAll, describe, expect, it } from "vitest";
import { PRESETS, runCli } from "../../src/cli/cli.js";
import {
  badRequest,
  type EncodedDetail,
  encodeStatusBlob,
  errorInfo,
  requestInfo,
} from "../support/encoder.js";
import { referenceBlob, vectors } from "../support/vectors.js";

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const SOURCES = fileURLToPath(new URL("../../src/", import.meta.url));
const VERSION: string = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;

/** Fails loudly when dist/cli.js is missing or older than any source file (the CLI bundles src/cli and src/wire). */
function checkBuild(): void {
  if (!existsSync(CLI))
    throw new Error("dist/cli.js is missing: run `npx tsup` (npm test builds before testing)");
  const built = statSync(CLI).mtimeMs;
  const newer = readdirSync(SOURCES, { recursive: true, encoding: "utf8" }).filter(
    (file) => statSync(join(SOURCES, file)).mtimeMs > built,
  );
  if (newer.length > 0) {
    throw new Error(`dist/ is older than src/${newer[0]}: run \`npx tsup\` (npm test builds before testing)`);
  }
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

type Runner = (args: string[], stdin?: string | Uint8Array) => Promise<Run>;

async function runInProcess(args: string[], stdin?: string | Uint8Array): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const input = typeof stdin === "string" ? new TextEncoder().encode(stdin) : (stdin ?? new Uint8Array(0));
  const status = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => input,
  });
  return { status, stdout, stderr };
}

async function runBuilt(args: string[], stdin?: string | Uint8Array): Promise<Run> {
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
const REFERENCE_BASE64 = reference.toString("base64");
const REFERENCE_TEXT = `Status (215 bytes, hex)
  code     5 NOT_FOUND
  message  "sandbox sb-123 not found"
  details  2

Detail 1 of 2: ErrorInfo
  reason    "CWSANDBOX_SANDBOX_NOT_FOUND"
  domain    "cwsandbox.com"
  metadata  region: "us-east"
            sandboxId: "sb-123"

Detail 2 of 2: RetryInfo
  retryDelay  1500 ms

fromGrpcStatus (preset cwsandbox: CoreWeave sandbox; scope sandbox; the status's own code taken as the transport's code)
  class       SandboxNotFoundError
  message     "sandbox sb-123 not found"
  retryable   false
  grpcCode    5 NOT_FOUND
  reason      "CWSANDBOX_SANDBOX_NOT_FOUND"
  domain      "cwsandbox.com"
  retryDelay  1500 ms
  rawMessage  (the status's message, above)
`;
const REFERENCE_TEXT_BASE64 = REFERENCE_TEXT.replace("bytes, hex", "bytes, base64");

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
  const own = error as unknown as { filepath?: string; fieldViolations?: unknown };
  return {
    cutShort: null,
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
    fromGrpcStatus: {
      class: error.name,
      message: error.message,
      retryable: error.retryable,
      grpcCode: error.grpcCode ?? null,
      reason: error.reason ?? null,
      domain: error.domain ?? null,
      retryDelay: error.retryDelay ?? null,
      requestId: error.requestId ?? null,
      filepath: own.filepath ?? null,
      fieldViolations:
        own.fieldViolations === undefined ? null : JSON.parse(JSON.stringify(own.fieldViolations)),
    },
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** What follows the label `name` on its line in a section of the text output, or undefined. */
function fieldText(section: string, name: string): string | undefined {
  const line = section.split("\n").find((candidate) => candidate.startsWith(`  ${name} `));
  return line?.slice(2 + name.length).trim();
}

describe.each<[string, Runner, boolean]>([
  ["runCli, in process", runInProcess, false],
  ["the built bin, as a child process", runBuilt, true],
])("sandbox-sdk-errors decode (%s)", (_way, run, needsBuild) => {
  if (needsBuild) beforeAll(checkBuild);

  it("prints the reference status from hex: every field, aligned, and the class with every field it sets", async () => {
    const result = await run(["decode", reference.toString("hex")]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(REFERENCE_TEXT);
    expect(result.status).toBe(0);
  });

  it("prints a long message twice in text (the status's, the error's), the rawMessage as a pointer", async () => {
    const long = "m".repeat(20_000);
    const result = await run(["decode", "-"], Buffer.from(encodeStatusBlob(5, long)));
    expect(result.status).toBe(0);
    expect(result.stdout.split(long)).toHaveLength(3);
    expect(fieldText(result.stdout, "rawMessage")).toBe("(the status's message, above)");
    // --json gives the field itself, for a program that reads it alone.
    const json = JSON.parse(
      (await run(["decode", "--json", "-"], Buffer.from(encodeStatusBlob(5, long)))).stdout,
    );
    expect(json.fromGrpcStatus.rawMessage).toBe(long);
  });

  it("reads standard base64, URL-safe base64 without padding, and values wrapped over lines", async () => {
    const urlSafe = reference.toString("base64url");
    expect(REFERENCE_BASE64).toMatch(/[+/=]/); // the two spellings really differ
    const wrapped = `${REFERENCE_BASE64.slice(0, 40)}\n  ${REFERENCE_BASE64.slice(40)}\n`;
    for (const input of [
      REFERENCE_BASE64,
      urlSafe,
      wrapped,
      `grpc-status-details-bin: ${REFERENCE_BASE64}`,
    ]) {
      const result = await run(["decode", input]);
      expect(result.status, input).toBe(0);
      expect(result.stdout, input).toBe(REFERENCE_TEXT_BASE64);
    }
  });

  it("reads the value from stdin with -: hex or base64 text, a log line, or the raw bytes", async () => {
    expect((await run(["decode", "-"], `${reference.toString("hex")}\n`)).stdout).toBe(REFERENCE_TEXT);
    expect((await run(["decode", "-"], REFERENCE_BASE64)).stdout).toBe(REFERENCE_TEXT_BASE64);
    // Non-ASCII text around the value: still text, not raw bytes.
    const logLine = `2024-05-01 échec grpc-status-details-bin=${REFERENCE_BASE64} durée=3ms\n`;
    expect((await run(["decode", "-"], logLine)).stdout).toBe(REFERENCE_TEXT_BASE64);
    const raw = await run(["decode", "-"], reference);
    expect(raw.status).toBe(0);
    expect(raw.stdout).toBe(REFERENCE_TEXT.replace("bytes, hex", "bytes, raw"));
  });

  it("prints JSON with --json: the decoder's view, the mapped error's fields, absent fields as null", async () => {
    const result = await run(["decode", "--json", REFERENCE_BASE64]);
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      input: { encoding: "base64", bytes: 215 },
      cutShort: null,
      status: {
        code: 5,
        codeName: "NOT_FOUND",
        message: "sandbox sb-123 not found",
        reason: "CWSANDBOX_SANDBOX_NOT_FOUND",
        metadata: { region: "us-east", sandboxId: "sb-123" },
        retryDelay: 1500,
        requestId: null,
      },
      fromGrpcStatus: {
        class: "SandboxNotFoundError",
        message: "sandbox sb-123 not found",
        retryable: false,
        grpcCode: 5,
        reason: "CWSANDBOX_SANDBOX_NOT_FOUND",
        domain: "cwsandbox.com",
        retryDelay: 1500,
        requestId: null,
        filepath: null,
        fieldViolations: null,
      },
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

  it("prints the bytes of an Unknown detail as hex, and as base64 in JSON", async () => {
    const vector = vectors.find((v) => v.name === "unknown-type")!;
    const unknown = parseStatusDetails(Buffer.from(vector.hex, "hex"))!.details[0]!;
    if (unknown.type !== "Unknown") throw new Error("the unknown-type vector changed");
    const text = (await run(["decode", vector.hex])).stdout;
    expect(text).toContain(`typeUrl  ${JSON.stringify(unknown.typeUrl)}`);
    expect(text).toContain(`${unknown.value.length} bytes, hex:`);
    expect(text).toContain(Buffer.from(unknown.value).toString("hex").slice(0, 64));
    const json = JSON.parse((await run(["decode", "--json", vector.hex])).stdout);
    expect(json.status.details[0].value).toBe(Buffer.from(unknown.value).toString("base64"));
  });

  it("lists the fields a detail leaves out when they were not sent", async () => {
    const absent = vectors.find((v) => v.name === "retry-absent-field")!;
    expect((await run(["decode", absent.hex])).stdout).toMatch(
      /retryDelay {2}absent \(not sent, or not a valid Duration\)/,
    );
    const all = (await run(["decode", vectors.find((v) => v.name === "all-detail-types")!.hex])).stdout;
    expect(all).toMatch(/futureQuotaValue {2}20\n/);
    expect(all).toMatch(/localizedMessage {2}absent \(not sent\)/);
  });

  it("shows the file path a SandboxFileError takes from metadata.filepath, in text and JSON", async () => {
    const blob = encodeStatusBlob(5, "missing", [
      errorInfo("CWSANDBOX_FILE_NOT_FOUND", "cwsandbox.com", { filepath: "/data/x" }),
    ]);
    const text = (await run(["decode", hex(blob)])).stdout;
    expect(text).toMatch(/\n {2}class +SandboxFileError\n/);
    expect(text).toMatch(/\n {2}filepath +"\/data\/x"\n/);
    const json = JSON.parse((await run(["decode", "--json", hex(blob)])).stdout);
    expect(json.fromGrpcStatus).toMatchObject({ class: "SandboxFileError", filepath: "/data/x" });
  });

  it("prints the version in package.json with --version", async () => {
    const result = await run(["--version"]);
    expect(result).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("prints usage with --help or -h and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await run([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(
        /^Usage: sandbox-sdk-errors decode \[--json\] \[--preset <name>\] \[--scope <scope>\] <base64 \| hex \| json \| ->\n/,
      );
      expect(result.stderr).toBe("");
    }
    expect((await run(["decode", "--help", "zzzz"])).status).toBe(0);
  });

  it("refuses input that is neither hex nor base64, or not a status, with exit 2", async () => {
    expectRefusal(await run(["decode", "not a status!"]), /input is neither hex \(even length\) nor base64/);
    expectRefusal(await run(["decode", "abcde"]), /neither hex/); // odd-length hex is read as base64: 5 chars is not
    expectRefusal(await run(["decode", "ffff"]), /not a google\.rpc\.Status: 2 bytes \(ffff\)/);
    expectRefusal(await run(["decode", "SGVsbG8sIHdvcmxkIQ"]), /not a google\.rpc\.Status/);
    // Valid base64 whose bytes are well-formed protobuf, but of fields a Status does not have.
    expectRefusal(
      await run(["decode", "hello world"]),
      /not a google\.rpc\.Status: 7 bytes .* only unknown fields/,
    );
    expectRefusal(await run(["decode", "--", "-_-_"]), /not a google\.rpc\.Status/);
  });

  it("refuses an empty input with exit 2: there is no status in it", async () => {
    expectRefusal(await run(["decode", ""]), /empty input/);
    expectRefusal(await run(["decode", "  \n"]), /empty input/);
    expectRefusal(await run(["decode", "-"], ""), /empty input/);
  });

  it("refuses bad usage with exit 2 and one line", async () => {
    expectRefusal(await run([]), /missing command/);
    expectRefusal(await run(["encode", "00"]), /unknown command 'encode'/);
    expectRefusal(await run(["decode"]), /decode needs an input/);
    expectRefusal(await run(["decode", "0805", "0805"]), /decode takes one input, got 2/);
    expectRefusal(await run(["decode", "--yaml", "0805"]), /unknown option '--yaml'/);
  });

  it("reports a value cut short, with what it read before the cut, and exits 2", async () => {
    const result = await run(["decode", reference.subarray(0, 15).toString("base64")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "sandbox-sdk-errors: the value was cut short: it ends inside the message of the Status, after 15 bytes (what could be read is on standard output)\n",
    );
    expect(result.stdout).toMatch(
      /^Status cut short \(15 bytes, base64\): the value ends inside the message\n/,
    );
    expect(result.stdout).toContain('\n  message  "sandbox sb-" … (cut short)\n');
  });

  it("reads a log line with ANSI colours from stdin, as it reads it as an argument", async () => {
    const line = `\u001b[31mERR\u001b[0m grpc-status-details-bin: ${REFERENCE_BASE64}\n`;
    expect(await run(["decode", line])).toEqual({ status: 0, stdout: REFERENCE_TEXT_BASE64, stderr: "" });
    expect(await run(["decode", "-"], line)).toEqual({
      status: 0,
      stdout: REFERENCE_TEXT_BASE64,
      stderr: "",
    });
  });

  it("reads a JSON body holding a raw DEL from stdin as JSON, not as protobuf", async () => {
    const result = await run(["decode", "--json", "-"], '{"code":5,"message":"a\u007fb"}\n');
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      input: { encoding: "json" },
      status: { code: 5, message: "a\u007fb" },
    });
  });

  it("prints a detail kept as sent nested 20 000 levels deep, in text and JSON", async () => {
    const depth = 20_000;
    const body = `{"code":5,"message":"deep","details":[{"@type":"type.example.com/acme.Deep","a":${"[".repeat(depth)}1${"]".repeat(depth)}}]}`;
    // What the decoder keeps of it: a bounded plain-data copy, which the CLI prints as it is.
    const kept = (parseStatusJson(body)!.details[0] as { json: { a: unknown } }).json;
    const text = await run(["decode", "-"], body);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(
      `\n  json     @type: "type.example.com/acme.Deep"\n           a: ${JSON.stringify(kept.a)}\n`,
    );
    const json = await run(["decode", "--json", "-"], body);
    expect(json.stderr).toBe("");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).status.details[0].json).toEqual(kept);
  });

  it("maps with the scope --scope names, and says which preset and scope it used", async () => {
    const gone = hex(encodeStatusBlob(5, "gone"));
    for (const scope of ["sandbox", "discovery", "general"] as const) {
      const expected = fromGrpcStatus(
        { code: 5, details: "gone", metadata: { get: () => [] } },
        { scope },
      ).name;
      const text = await run(["decode", "--scope", scope, gone]);
      expect(text.status).toBe(0);
      expect(text.stdout).toContain(
        `\nfromGrpcStatus (preset cwsandbox: CoreWeave sandbox; scope ${scope}; `,
      );
      expect(fieldText(text.stdout.slice(text.stdout.indexOf("\nfromGrpcStatus (")), "class")).toBe(expected);
      const json = JSON.parse((await run(["decode", "--json", `--scope=${scope}`, gone])).stdout);
      expect(json.fromGrpcStatus).toMatchObject({ preset: "cwsandbox", scope, class: expected });
    }
  });

  it("refuses a --scope or --preset it does not know, or without a value, with exit 2", async () => {
    expectRefusal(
      await run(["decode", "--scope", "global", "0805"]),
      /unknown scope 'global' \(--scope takes sandbox, discovery or general\)/,
    );
    expectRefusal(await run(["decode", "--scope=", "0805"]), /unknown scope ''/);
    expectRefusal(await run(["decode", "0805", "--scope"]), /--scope needs a scope/);
    expectRefusal(
      await run(["decode", "--preset", "nope", "0805"]),
      /unknown preset 'nope' \(--preset takes cwsandbox/,
    );
    expectRefusal(await run(["decode", "0805", "--preset"]), /--preset needs a name/);
  });
});

describe("every golden vector through the CLI", () => {
  it.each(vectors.map((v) => [v.name, v] as const))("%s", async (_name, vector) => {
    if (!vector.expect.ok) {
      const result = await runInProcess(["decode", vector.hex]);
      if (vector.name === "malformed-truncated") {
        // A real Status cut in its first detail: said so, with the code and message before the cut.
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(/the value was cut short: it ends inside detail 1 of the Status/);
        expect(result.stdout).toMatch(/\n {2}code +5 NOT_FOUND\n {2}message +"sandbox sb-123 not found"\n/);
        return;
      }
      expectRefusal(result, vector.hex === "" ? /empty input/ : /not a google\.rpc\.Status/);
      return;
    }
    const text = await runInProcess(["decode", vector.hex]);
    expect(text.status).toBe(0);
    const types = vector.expect.detailTypes as string[];
    types.forEach((type, index) => {
      expect(text.stdout).toContain(`Detail ${index + 1} of ${types.length}: ${type}`);
    });
    const json = await runInProcess(["decode", "--json", vector.hex]);
    expect(json.status).toBe(0);
    const expected = expectedJson(Buffer.from(vector.hex, "hex"));
    expect(JSON.parse(json.stdout)).toMatchObject(expected);
    // The text shows the same fields of the mapped error as the JSON, each that is set.
    const mapped = expected.fromGrpcStatus;
    const section = text.stdout.slice(text.stdout.indexOf("\nfromGrpcStatus ("));
    expect(fieldText(section, "class")).toBe(mapped.class);
    expect(fieldText(section, "retryable")).toBe(String(mapped.retryable));
    expect(fieldText(section, "grpcCode")).toMatch(new RegExp(`^${mapped.grpcCode} `));
    expect(fieldText(section, "retryDelay")).toBe(
      mapped.retryDelay === null ? undefined : `${mapped.retryDelay} ms`,
    );
    for (const name of ["message", "reason", "domain", "requestId", "filepath"] as const) {
      const value = mapped[name];
      expect(fieldText(section, name), name).toBe(value === null ? undefined : JSON.stringify(value));
    }
  });
});

describe("the mapped error's fields", () => {
  /** What toJSON holds that the CLI shows in the status's part (metadata, details) or not at all. */
  const ELSEWHERE = new Set(["name", "stack", "cause", "metadata", "details"]);
  const decodable = vectors.filter(
    (v) => v.expect.ok && parseStatusDetails(Buffer.from(v.hex, "hex")) !== undefined,
  );

  it.each(["sandbox", "discovery", "general"] as const)(
    "shows every field toJSON() holds, in text and JSON, in scope %s",
    async (scope) => {
      for (const vector of decodable) {
        const blob = Buffer.from(vector.hex, "hex");
        const status = parseStatusDetails(blob)!;
        if (status.code === 0 && status.message === "" && status.details.length === 0) continue;
        const error = fromGrpcStatus(
          {
            code: status.code,
            details: status.message,
            metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [blob] : []) },
          },
          { scope },
        );
        const serialised = error.toJSON() as unknown as Record<string, unknown>;
        const json = JSON.parse(
          (await runInProcess(["decode", "--json", "--scope", scope, vector.hex])).stdout,
        );
        const text = (await runInProcess(["decode", "--scope", scope, vector.hex])).stdout;
        const section = text.slice(text.indexOf("\nfromGrpcStatus ("));
        for (const key of Object.keys(serialised).filter((k) => !ELSEWHERE.has(k))) {
          expect(json.fromGrpcStatus[key], `${vector.name}: ${key}`).toEqual(serialised[key]);
          const empty = Array.isArray(serialised[key]) && (serialised[key] as unknown[]).length === 0;
          if (!empty) expect(fieldText(section, key), `${vector.name}: ${key}`).toBeDefined();
        }
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------------------------

/** The bidirectional marks, embeddings, overrides and isolates. */
const BIDI = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];

/** True for what must never reach a terminal raw: C0 and C1 controls, DEL, and the bidi controls. */
function isUnsafe(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || BIDI.includes(code);
}

/** The first unsafe character of `output` other than a line feed, as `U+XXXX at N`, or undefined. */
function rawUnsafe(output: string): string | undefined {
  for (let i = 0; i < output.length; i++) {
    const code = output.charCodeAt(i);
    if (code !== 0x0a && isUnsafe(code)) return `U+${code.toString(16).padStart(4, "0")} at ${i}`;
  }
  return undefined;
}

const lineCount = (text: string) => text.split("\n").length;

/**
 * Two statuses that put `x` everywhere a status carries text: the message, an ErrorInfo's reason,
 * domain and metadata keys and values, an Unknown detail's type URL, BadRequest violations, a
 * request id, and (through the file class) the mapped error's filepath and its message.
 */
function statusesHolding(x: string): Uint8Array[] {
  const unknown: EncodedDetail = {
    type: "Raw",
    typeUrl: `type.example.com/acme.${x}.Thing`,
    fields: { bytes: Uint8Array.of(1, 2) },
  };
  return [
    encodeStatusBlob(3, `message ${x} end`, [
      errorInfo(`REASON_${x}`, `domain.${x}`, { [`key${x}`]: `value${x}`, [x]: x }),
      unknown,
      badRequest({ field: `field${x}`, description: `description ${x}` }),
      requestInfo(`request-${x}`),
    ]),
    encodeStatusBlob(5, `${x}`, [
      errorInfo("CWSANDBOX_FILE_NOT_FOUND", "cwsandbox.com", { filepath: `/tmp/${x}` }),
    ]),
  ];
}

/** Runs `blob` as text and as JSON; checks nothing unsafe is raw and the lines are the CLI's own. */
async function expectSafe(blob: Uint8Array, baseline: Uint8Array, x: string): Promise<void> {
  for (const json of [false, true]) {
    const args = json ? ["decode", "--json", hex(blob)] : ["decode", hex(blob)];
    const result = await runInProcess(args);
    const expected = await runInProcess(
      json ? ["decode", "--json", hex(baseline)] : ["decode", hex(baseline)],
    );
    expect(result.status, result.stderr).toBe(0);
    expect(rawUnsafe(result.stdout), JSON.stringify(x)).toBeUndefined();
    expect(rawUnsafe(result.stderr)).toBeUndefined();
    // The same status with a harmless character in place of each unsafe one: the same lines, so
    // every line break in the output is one the CLI wrote, none came from the status.
    expect(lineCount(result.stdout)).toBe(lineCount(expected.stdout));
    if (json) {
      // Escaped, not lost: the JSON parses back to what the status held.
      const { message, reason, domain, metadata, requestId } = parseStatusDetails(blob)!;
      const document = JSON.parse(result.stdout);
      expect(document.status).toMatchObject({ message, reason, domain, metadata: { ...metadata } });
      expect(document.status.requestId).toBe(requestId ?? null);
    }
  }
}

const harmless = (x: string) => [...x].map((char) => (isUnsafe(char.charCodeAt(0)) ? "x" : char)).join("");

describe("nothing from the status reaches the terminal raw", () => {
  it("escapes each of U+0000 to U+009F and each bidi control, everywhere a status holds text, in text and JSON", async () => {
    const codes = [...Array.from({ length: 0xa0 }, (_, i) => i), ...BIDI];
    for (const code of codes) {
      const x = String.fromCharCode(code);
      const statuses = statusesHolding(x);
      const baselines = statusesHolding(harmless(x));
      for (let i = 0; i < statuses.length; i++) {
        await expectSafe(statuses[i] as Uint8Array, baselines[i] as Uint8Array, x);
      }
    }
  });

  it("shows an unsafe character as its \\u escape, as JSON writes it", async () => {
    const blob = encodeStatusBlob(5, "a\u009b2Jb\u202ec\u001b]0;title\u0007d\u0085e");
    const text = (await runInProcess(["decode", hex(blob)])).stdout;
    expect(text).toContain('\n  message  "a\\u009b2Jb\\u202ec\\u001b]0;title\\u0007d\\u0085e"\n');
    const json = (await runInProcess(["decode", "--json", hex(blob)])).stdout;
    expect(json).toContain('"message": "a\\u009b2Jb\\u202ec\\u001b]0;title\\u0007d\\u0085e"');
  });

  it("keeps any mix of unsafe characters out of the output, in any field", async () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0x9f }).map((code) => String.fromCharCode(code)),
      fc.constantFrom(...BIDI.map((code) => String.fromCharCode(code))),
      fc.constantFrom("a", " ", "\\", '"', "é", "\u2028"),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, minLength: 1, maxLength: 12 }), async (x) => {
        const statuses = statusesHolding(x);
        const baselines = statusesHolding(harmless(x));
        for (let i = 0; i < statuses.length; i++) {
          await expectSafe(statuses[i] as Uint8Array, baselines[i] as Uint8Array, x);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("escapes them in a value cut short and in the messages on standard error", async () => {
    const x = "\u009b\u001b\u202e\n";
    const blob = encodeStatusBlob(5, `cut ${x} here and more text after it`);
    // The tag, code and length take 4 bytes; "cut " and x in UTF-8 take 11 more.
    const cut = await runInProcess(["decode", hex(blob.subarray(0, 15))]);
    expect(cut.status).toBe(2);
    expect(cut.stdout).toContain('"cut \\u009b\\u001b\\u202e\\n" … (cut short)');
    expect(rawUnsafe(cut.stdout)).toBeUndefined();
    const cutJson = await runInProcess(["decode", "--json", hex(blob.subarray(0, 15))]);
    expect(JSON.parse(cutJson.stdout).status.message).toBe(`cut ${x}`);
    expect(rawUnsafe(cutJson.stdout)).toBeUndefined();
    for (const args of [
      ["decode", `--bad${x}`],
      [`dec${x}ode`, "00"],
      ["decode", `zz${x}`],
    ]) {
      const result = await runInProcess(args);
      expect(result.status).toBe(2);
      expect(rawUnsafe(result.stderr)).toBeUndefined();
      expect(result.stderr).toMatch(/^sandbox-sdk-errors: [^\n]+\n$/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Large statuses
// ---------------------------------------------------------------------------------------------

describe("large statuses", () => {
  const COUNT = 200_000;

  it(`prints a status with ${COUNT} metadata entries, in text and JSON`, async () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < COUNT; i++) metadata[`k${i}`] = `v${i}`;
    const blob = hex(encodeStatusBlob(5, "many", [errorInfo("R", "example.com", metadata)]));
    const text = await runInProcess(["decode", blob]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    // One entry a line, in the value column.
    expect(text.stdout).toContain(`\n  metadata  k0: "v0"\n`);
    expect(text.stdout).toContain(`\n            k199999: "v199999"\n`);
    const json = await runInProcess(["decode", "--json", blob]);
    expect(json.status).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout).status.metadata)).toHaveLength(COUNT);
  });

  it(`prints a status with ${COUNT} field violations, in text and JSON`, async () => {
    const violations = Array.from({ length: COUNT }, (_, i) => ({ field: `f${i}`, description: `d${i}` }));
    // Built as one detail directly: spreading 200 000 violations into a call would overflow the stack.
    const blob = hex(
      encodeStatusBlob(3, "invalid", [{ type: "BadRequest", fields: { field_violations: violations } }]),
    );
    const text = await runInProcess(["decode", blob]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/\n {2}fieldViolations\[199999\]\n {4}field +"f199999"\n/);
    expect(text.stdout).toMatch(/\n {2}class +SandboxValidationError\n/);
    // The mapped error's violations, one a line, under the label "fieldViolations".
    expect(text.stdout).toMatch(/\n {2}fieldViolations {2}"f0": "d0"\n/);
    expect(text.stdout).toMatch(/\n {19}"f199999": "d199999"\n/);
    const json = await runInProcess(["decode", "--json", blob]);
    expect(json.status).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.status.fieldViolations).toHaveLength(COUNT);
    expect(document.fromGrpcStatus.fieldViolations).toHaveLength(COUNT);
  });
});

// ---------------------------------------------------------------------------------------------
// Inputs out of logs
// ---------------------------------------------------------------------------------------------

describe("values cut out of log lines", () => {
  const urlSafe = reference.toString("base64url");
  const hexValue = reference.toString("hex");

  it.each([
    ["key: value at the end", `grpc-status-details-bin: ${REFERENCE_BASE64}`],
    ["key=value at the start", `grpc-status-details-bin=${REFERENCE_BASE64} rest of the line`],
    ["in the middle, ended by a space", `ERROR rpc=Get grpc-status-details-bin=${REFERENCE_BASE64} took=3ms`],
    ["ended by a comma", `code=5, grpc-status-details-bin=${REFERENCE_BASE64}, peer=10.0.0.1`],
    ["ended by a tab", `grpc-status-details-bin:${REFERENCE_BASE64}\tnext`],
    ["in a JSON log", `{"level":"error","grpc-status-details-bin":"${REFERENCE_BASE64}","took":3}`],
    ["in a JSON log with spaces", `{ "grpc-status-details-bin" : "${REFERENCE_BASE64}" }`],
    [
      "inside a JSON-escaped message",
      `{"msg":"trailers: grpc-status-details-bin: ${REFERENCE_BASE64}\\nnext"}`,
    ],
    ["quoted with single quotes", `metadata={'grpc-status-details-bin': '${REFERENCE_BASE64}'}`],
    ["a header in another case", `Grpc-Status-Details-Bin: ${REFERENCE_BASE64}`],
    ["after a key that has no value", `grpc-status-details-bin grpc-status-details-bin=${REFERENCE_BASE64}`],
    ["URL-safe, unpadded", `grpc-status-details-bin=${urlSafe}`],
  ])("finds the value %s", async (_label, line) => {
    const result = await runInProcess(["decode", line]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(REFERENCE_TEXT_BASE64);
  });

  it("reads a hex value cut out of a log line as hex", async () => {
    const result = await runInProcess(["decode", `x grpc-status-details-bin=${hexValue} y`]);
    expect(result.stdout).toBe(REFERENCE_TEXT);
  });

  it("refuses a line that names the key with no value after it", async () => {
    for (const line of [
      "grpc-status-details-bin: ",
      "grpc-status-details-bin",
      'x "grpc-status-details-bin": "" y',
    ]) {
      expectRefusal(await runInProcess(["decode", line]), /names grpc-status-details-bin but holds no value/);
    }
  });

  it("reads a JSON-quoted value, escapes included", async () => {
    expect((await runInProcess(["decode", `"${REFERENCE_BASE64}"`])).stdout).toBe(REFERENCE_TEXT_BASE64);
    expect((await runInProcess(["decode", ` "${hexValue}"\n`])).stdout).toBe(REFERENCE_TEXT);
    // Some JSON writers escape every slash. "???" makes the base64 hold one: ...Pz8/.
    const slashed = Buffer.from(encodeStatusBlob(5, "???")).toString("base64");
    const escaped = JSON.stringify(slashed).replaceAll("/", "\\/");
    expect(escaped).toContain("\\/");
    expect((await runInProcess(["decode", escaped])).stdout).toContain('\n  message  "???"\n');
    expect((await runInProcess(["decode", "-"], `${JSON.stringify(REFERENCE_BASE64)}\n`)).stdout).toBe(
      REFERENCE_TEXT_BASE64,
    );
    expect((await runInProcess(["decode", '"CAgSBGJvb20="'])).stdout).toMatch(
      /^Status \(8 bytes, base64\)\n {2}code {5}8 /,
    );
  });

  it("refuses a quoted input that is not a JSON string", async () => {
    expectRefusal(await runInProcess(["decode", '"abc\\q"']), /not a JSON string/);
  });
});

describe("values cut short", () => {
  it("reports every cut of the reference inside a field as cut short, and never as not a status", async () => {
    for (let length = 1; length < reference.length; length++) {
      const prefix = reference.subarray(0, length);
      const result = await runInProcess(["decode", prefix.toString("hex")]);
      if (parseStatusDetails(prefix) !== undefined) {
        // Cut between two fields: what is left is a whole (smaller) Status.
        expect(result.status).toBe(0);
        continue;
      }
      expect(result.status, `cut at ${length}`).toBe(2);
      expect(result.stderr, `cut at ${length}`).toMatch(/^sandbox-sdk-errors: the value was cut short: /);
      expect(result.stdout).toMatch(/^Status cut short /);
    }
  });

  it("shows the code, the message and the whole details before a cut in a later detail", async () => {
    const blob = encodeStatusBlob(14, "try later", [
      errorInfo("CWSANDBOX_RUNNER_UNAVAILABLE", "cwsandbox.com", { runner: "r-1" }),
      requestInfo("req-42"),
    ]);
    const cut = blob.subarray(0, blob.length - 3);
    const result = await runInProcess(["decode", Buffer.from(cut).toString("base64")]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe(`Status cut short (${cut.length} bytes, base64): the value ends inside detail 2
What could be read before the cut:
  code     14 UNAVAILABLE
  message  "try later"
  details  1 whole, then one cut short

Detail 1 of 1: ErrorInfo
  reason    "CWSANDBOX_RUNNER_UNAVAILABLE"
  domain    "cwsandbox.com"
  metadata  runner: "r-1"

No class: the part after the cut could change it.
`);
    expect(result.stderr).toMatch(/it ends inside detail 2 of the Status, after \d+ bytes/);
    const json = await runInProcess(["decode", "--json", hex(cut)]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      input: { encoding: "hex", bytes: cut.length },
      cutShort: { field: "details", index: 1 },
      status: {
        code: 14,
        codeName: "UNAVAILABLE",
        message: "try later",
        messageComplete: true,
        details: [
          {
            type: "ErrorInfo",
            reason: "CWSANDBOX_RUNNER_UNAVAILABLE",
            domain: "cwsandbox.com",
            metadata: { runner: "r-1" },
          },
        ],
      },
    });
  });

  it("shows what arrived of a message cut short, and says the code was cut", async () => {
    const blob = encodeStatusBlob(5, "sandbox sb-123 not found");
    const inMessage = await runInProcess(["decode", "--json", hex(blob.subarray(0, 12))]);
    expect(JSON.parse(inMessage.stdout)).toMatchObject({
      cutShort: { field: "message", index: null },
      // The tag, code, tag and length take 4 bytes: 8 of the message arrived.
      status: { code: 5, message: "sandbox ", messageComplete: false, details: [] },
    });
    // 0x08 is the code's tag; its value never arrived.
    const inCode = await runInProcess(["decode", "--json", "08"]);
    expect(inCode.status).toBe(2);
    expect(JSON.parse(inCode.stdout)).toMatchObject({ cutShort: { field: "code" }, status: { code: null } });
    expect((await runInProcess(["decode", "08"])).stdout).toContain("\n  code     (cut short)\n");
  });

  it("does not call bytes cut short when they are not a Status before the cut", async () => {
    // A tag cut in two (no Status tag takes two bytes), a field Status does not have, a bad wire
    // type, a length no peer would send, and a whole first field that is not valid.
    for (const bytes of ["ffff", "2a0561", "0a0561", "12ffffffff0f616263", "1a020801" + "1a05"]) {
      expectRefusal(await runInProcess(["decode", bytes]), /not a google\.rpc\.Status/);
    }
  });
});

describe("JSON error bodies", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        stdout: (text: string) => out.push(text),
        stderr: (text: string) => err.push(text),
        readStdin: async () => new Uint8Array(0),
      },
    };
  };
  const body = JSON.stringify({
    error: {
      code: 503,
      message: "runner draining",
      status: "UNAVAILABLE",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "CWSANDBOX_RUNNER_UNAVAILABLE",
          domain: "cwsandbox.com",
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "1.500s" },
      ],
    },
  });

  it("decodes an AIP-193 body and maps it as fromGrpcStatus maps the parsed body", async () => {
    const { out, io: cliIo } = io();
    expect(await runCli(["decode", "--json", body], cliIo)).toBe(0);
    const printed = JSON.parse(out.join(""));
    expect(printed.input.encoding).toBe("json");
    expect(printed.status.code).toBe(14);
    expect(printed.fromGrpcStatus).toMatchObject({
      class: "SandboxUnavailableError",
      reason: "CWSANDBOX_RUNNER_UNAVAILABLE",
      retryDelay: 1500,
      retryable: true,
    });
  });

  it("decodes a Connect body in text mode, with the class and its fields", async () => {
    const { out, io: cliIo } = io();
    const connect = JSON.stringify({ code: "not_found", message: "gone" });
    expect(await runCli(["decode", connect], cliIo)).toBe(0);
    const text = out.join("");
    expect(text).toContain("5 NOT_FOUND");
    expect(text).toContain("SandboxNotFoundError");
  });

  it("refuses JSON that is not an error body, and text that only starts like JSON", async () => {
    for (const input of ['{"hello": "world"}', "{not json"]) {
      const { err, io: cliIo } = io();
      expect(await runCli(["decode", input], cliIo)).toBe(2);
      expect(err.join("")).toMatch(/JSON/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Presets: one row per preset in PRESETS; a preset SPEC §17 names but the table lacks is refused
// ---------------------------------------------------------------------------------------------

describe("--preset", () => {
  /** Every preset SPEC §11 names: those in the table map, the others are refused until their row lands. */
  const NAMED = ["cwsandbox", "modal"];
  const statuses = [
    referenceBlob(),
    encodeStatusBlob(5, "gone"),
    encodeStatusBlob(14, "draining", [errorInfo("CWSANDBOX_RUNNER_UNAVAILABLE", "cwsandbox.com")]),
    encodeStatusBlob(3, "bad", [badRequest({ field: "f", description: "d" })]),
  ];

  it.each(Object.entries(PRESETS))(
    "--preset %s maps with that preset's fromGrpcStatus and names it, in text and JSON",
    async (name, preset) => {
      for (const blob of statuses) {
        const status = parseStatusDetails(blob)!;
        const expected = preset.fromGrpcStatus(
          {
            code: status.code,
            details: status.message,
            metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [blob] : []) },
          },
          { scope: "discovery" },
        );
        const text = (await runInProcess(["decode", "--preset", name, "--scope", "discovery", hex(blob)]))
          .stdout;
        expect(text).toContain(`\nfromGrpcStatus (preset ${name}: ${preset.title}; scope discovery; `);
        const section = text.slice(text.indexOf("\nfromGrpcStatus ("));
        expect(fieldText(section, "class")).toBe(expected.name);
        expect(fieldText(section, "message")).toBe(JSON.stringify(expected.message));
        const json = JSON.parse(
          (await runInProcess(["decode", "--json", `--preset=${name}`, hex(blob)])).stdout,
        );
        expect(json.fromGrpcStatus.preset).toBe(name);
      }
    },
  );

  it("maps with the first preset of the table, cwsandbox, when --preset is not given", async () => {
    expect(Object.keys(PRESETS)[0]).toBe("cwsandbox");
    const blob = hex(referenceBlob());
    const [chosen, defaulted] = await Promise.all([
      runInProcess(["decode", "--preset", "cwsandbox", blob]),
      runInProcess(["decode", blob]),
    ]);
    expect(defaulted).toEqual(chosen);
  });

  it.each(NAMED.filter((name) => !Object.hasOwn(PRESETS, name)))(
    "refuses --preset %s, which SPEC names but the table has no row for yet, as an unknown preset",
    async (name) => {
      expectRefusal(await runInProcess(["decode", "--preset", name, "0805"]), /unknown preset/);
    },
  );

  it("lists every preset of the table and every scope in --help", async () => {
    const help = (await runInProcess(["--help"])).stdout;
    for (const name of Object.keys(PRESETS)) expect(help).toContain(name);
    expect(help).toMatch(/--preset <name> +the preset whose fromGrpcStatus maps the status: /);
    expect(help).toMatch(
      /--scope <scope> +the mapping context's scope: sandbox, discovery or general \(default sandbox\)/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Output bounded by the input
// ---------------------------------------------------------------------------------------------

describe("output bounded by the input", () => {
  it("prints one line per metadata entry, unpadded, beside a 100 000-character key", async () => {
    const metadata: Record<string, string> = { ["K".repeat(100_000)]: "v" };
    for (let i = 0; i < 10_000; i++) metadata[`k${i}`] = "v";
    const blob = Buffer.from(encodeStatusBlob(5, "wide", [errorInfo("R", "example.com", metadata)]));
    const input = blob.toString("base64");
    const text = await runInProcess(["decode", input]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`\n  metadata  ${"K".repeat(100_000)}: "v"\n            k0: "v"\n`);
    expect(text.stdout).toContain('\n            k9999: "v"\n');
    // Every byte of input costs at most 2 of output here (a short entry is ~6 bytes in, ~20 out).
    expect(text.stdout.length).toBeLessThan(2 * input.length);
    const json = await runInProcess(["decode", "--json", input]);
    expect(json.status).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout).status.metadata)).toHaveLength(10_001);
  });

  it("prints the members of a detail kept as sent unpadded, one a line, beside a long key", async () => {
    const detail: Record<string, unknown> = {
      "@type": "type.example.com/acme.Wide",
      ["K".repeat(50_000)]: 1,
    };
    for (let i = 0; i < 1000; i++) detail[`k${i}`] = i;
    const input = JSON.stringify({ code: 5, message: "wide", details: [detail] });
    const text = await runInProcess(["decode", input]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`\n           ${"K".repeat(50_000)}: 1\n           k0: 0\n`);
    // A member is ~8 bytes in and ~20 out: padded to the long key, each would be 50 000.
    expect(text.stdout.length).toBeLessThan(3 * input.length);
  });

  it("prints a long string in a mixed array as one value, not one line per character", async () => {
    const long = "x".repeat(2 * 1024 * 1024);
    const input = JSON.stringify({
      code: 5,
      message: "long",
      details: [{ "@type": "type.example.com/acme.Long", list: [1, long, true] }],
    });
    const text = await runInProcess(["decode", input]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`\n           list: [1,"${long}",true]\n`);
    expect(text.stdout.length).toBeLessThan(input.length + 2048);
    const json = await runInProcess(["decode", "--json", input]);
    expect(json.status).toBe(0);
    expect(json.stdout.length).toBeLessThan(input.length + 4096);
    expect(JSON.parse(json.stdout).status.details[0].json.list).toEqual([1, long, true]);
  });

  it("indents JSON output only so deep: a wide array 20 levels down prints one line, not one per element", async () => {
    const wide = `${"[".repeat(20)}${Array(5_000).fill(0).join(",")}${"]".repeat(20)}`;
    const input = `{"code":5,"message":"m","details":[{"@type":"type.example.com/acme.X","a":${wide}}]}`;
    const json = await runInProcess(["decode", "--json", input]);
    expect(json.status).toBe(0);
    // Indented every level, each of the 5 000 elements would take a line of 40-odd spaces.
    expect(json.stdout.length).toBeLessThan(2 * input.length);
    expect(JSON.parse(json.stdout).status.details[0].json.a.flat(20)).toHaveLength(5_000);
  });

  it("keeps text and JSON output within 128 bytes per input byte, plus a constant, on hostile shapes", async () => {
    // The worst case by design: an empty QuotaFailure violation is 2 bytes and prints 8 fields.
    const keys = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constant("K".repeat(5000)),
      fc.constant("__proto__"),
    );
    const shape = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom(null, 0, true, "", "x".repeat(3000), "\u009b\u202e"),
        fc.array(tie("value"), { maxLength: 5 }),
        fc.dictionary(keys, tie("value"), { maxKeys: 5 }),
      ),
    })).value;
    await fc.assert(
      fc.asyncProperty(
        fc.array(shape, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (details, asJson) => {
          const input = JSON.stringify({ code: 5, message: "m", details });
          const result = await runInProcess(asJson ? ["decode", "--json", input] : ["decode", input]);
          expect(result.status, result.stderr).toBe(0);
          expect(result.stdout.length).toBeLessThanOrEqual(128 * input.length + 16 * 1024);
          if (asJson) JSON.parse(result.stdout);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Details kept as sent (JSON that fits no detail type)
// ---------------------------------------------------------------------------------------------

describe("details kept as sent in a JSON body", () => {
  it.each([
    ["an array holding null", "[[null]]", ["  json     [null]"]],
    [
      "a member that is an array with null",
      '[{"@type":"type.example.com/acme.X","a":[1,null]}]',
      ['  json     @type: "type.example.com/acme.X"', "           a: [1,null]"],
    ],
    [
      "metadata that is null",
      '[{"@type":"type.example.com/acme.X","metadata":null}]',
      ['  json     @type: "type.example.com/acme.X"', "           metadata: null"],
    ],
    [
      "an ErrorInfo whose metadata is null (it does not fit, so it is kept as sent)",
      '[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"R","metadata":{"k":null}}]',
      ['           metadata: {"k":null}'],
    ],
    [
      "null, a number and a string as details",
      '[null, 5, "s", {}]',
      ["  json     null", "  json     5", '  json     "s"', "  json     {}"],
    ],
  ])("prints %s, in text and JSON", async (_label, details, lines) => {
    const input = `{"code":5,"message":"m","details":${details}}`;
    const text = await runInProcess(["decode", input]);
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    for (const line of lines) expect(text.stdout).toContain(`\n${line}\n`);
    const json = await runInProcess(["decode", "--json", input]);
    expect(json.status).toBe(0);
    const kept = JSON.parse(json.stdout).status.details.map((detail: { json: unknown }) => detail.json);
    expect(kept).toEqual(JSON.parse(details));
  });

  it("prints deep objects as well as deep arrays, in text and JSON", async () => {
    const depth = 20_000;
    const input = `{"code":5,"message":"m","details":[${'{"a":'.repeat(depth)}1${"}".repeat(depth)}]}`;
    const kept = (parseStatusJson(input)!.details[0] as { json: { a: unknown } }).json;
    const text = await runInProcess(["decode", input]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`\n  json     a: ${JSON.stringify(kept.a)}\n`);
    const json = await runInProcess(["decode", "--json", input]);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).status.details[0].json).toEqual(kept);
  });
});

// ---------------------------------------------------------------------------------------------
// Standard input: text unless it does not read as text
// ---------------------------------------------------------------------------------------------

describe("standard input", () => {
  it("reads text with control characters as text: colours around the key and the value, a DEL, a bell", async () => {
    for (const line of [
      `\u001b[1;31mERROR\u001b[0m\u0007 grpc-status-details-bin=\u001b[32m${REFERENCE_BASE64}\u001b[0m took=3ms`,
      `\u001b]0;title\u0007grpc-status-details-bin: ${REFERENCE_BASE64}\u007f`,
    ]) {
      const result = await runInProcess(["decode", "-"], line);
      expect(result.stderr, JSON.stringify(line)).toBe("");
      expect(result.stdout).toBe(REFERENCE_TEXT_BASE64);
    }
  });

  it("reads a log line in Latin-1 (not UTF-8) as text", async () => {
    const line = Buffer.concat([
      Buffer.from([0xe9, 0x63, 0x68, 0x65, 0x63, 0x20]), // "échec " in Latin-1
      Buffer.from(`grpc-status-details-bin=${REFERENCE_BASE64}\n`),
    ]);
    expect((await runInProcess(["decode", "-"], line)).stdout).toBe(REFERENCE_TEXT_BASE64);
  });

  it("reads raw bytes as raw, even when the status's message quotes a log line with a value", async () => {
    const quoted = encodeStatusBlob(13, `upstream failed: grpc-status-details-bin=${REFERENCE_BASE64}`);
    const result = await runInProcess(["decode", "-"], quoted);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Status \(\d+ bytes, raw\)\n {2}code {5}13 INTERNAL\n/);
  });

  it("refuses text that is no input form with the text's reason, and binary with the bytes'", async () => {
    expectRefusal(await runInProcess(["decode", "-"], "\u001b[31mnot a status!\u001b[0m\n"), /neither hex/);
    expectRefusal(
      await runInProcess(["decode", "-"], Uint8Array.of(0x00, 0x01, 0xff)),
      /not a google\.rpc\.Status: 3 bytes \(0001ff\)/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Log lines and --help
// ---------------------------------------------------------------------------------------------

describe("log lines holding the value in a JSON array", () => {
  it.each([
    ["a JSON log of a metadata map", `{"grpc-status-details-bin":["${REFERENCE_BASE64}"]}`],
    ["with spaces", `{"level":"error","trailers":{ "grpc-status-details-bin" : [ "${REFERENCE_BASE64}" ] }}`],
    ["two values: the first is read", `x grpc-status-details-bin=["${REFERENCE_BASE64}","CAE="] y`],
    [
      "Go's fmt of a metadata.MD",
      `trailers=map[content-type:[application/grpc] grpc-status-details-bin:[${REFERENCE_BASE64}]]`,
    ],
  ])("reads %s", async (_label, line) => {
    const result = await runInProcess(["decode", line]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(REFERENCE_TEXT_BASE64);
  });
});

describe("--help", () => {
  it("lists every input form, JSON bodies included", async () => {
    const help = (await runInProcess(["--help"])).stdout;
    for (const form of ["<hex>", "<base64>", '"<value>"', "<log line>", "<json>", "-"]) {
      expect(help).toMatch(new RegExp(`\\n {2}${form.replace(/[$()*+.?[\\\]^{|}]/g, "\\$&")} +\\S`));
    }
    for (const shape of [
      "AIP-193",
      "google.rpc.Status in proto3 JSON",
      "Connect",
      "end-stream",
      "JSON array",
      "colours",
    ]) {
      expect(help).toContain(shape);
    }
  });
});
