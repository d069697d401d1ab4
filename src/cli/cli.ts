#!/usr/bin/env node
/**
 * The `sandbox-sdk-errors` command, for support engineers reading statuses out of logs:
 * `sandbox-sdk-errors decode <base64 | hex | json | ->` prints the decoded `google.rpc.Status`, every
 * detail with every field, and the class a preset's `fromGrpcStatus` would choose for it, with every
 * field it sets. It takes a `grpc-status-details-bin` value bare, JSON-quoted, or inside a whole log
 * line (colours and all), a JSON error body (AIP-193, a proto3-JSON Status, Connect), or the raw
 * bytes on standard input; a value that was cut short is reported as such, with what could be read
 * before the cut. The whole contract is SPEC §11; docs/cli.md is the reference for users.
 *
 * Everything it prints that came from the status is escaped: a status is attacker-controlled text,
 * and a terminal obeys the control characters in what it is given. And everything it prints is
 * bounded by the input (see render.ts).
 *
 * The logic is {@link runCli}, a function of its arguments and I/O; the process wiring at the bottom
 * runs only when this file is the program. Node only (the package's main entry is not).
 *
 * @packageDocumentation
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  fromGrpcStatus,
  type MappingScope,
  parseStatusDetails,
  parseStatusJson,
  STATUS_DETAILS_KEY,
} from "sandbox-sdk-errors";
import { fromGrpcStatus as modalFromGrpcStatus } from "sandbox-sdk-errors/modal";
import { readBeforeCut } from "./cut-short.js";
import { type Input, readStdin, readText, UsageError } from "./input.js";
import {
  byteCount,
  escapeForTerminal,
  hexOf,
  insideText,
  type Mapping,
  renderCutShortJson,
  renderCutShortText,
  renderJson,
  renderText,
} from "./render.js";

const PROGRAM = "sandbox-sdk-errors";

/** Exit status: decoded, or help or the version shown. */
const EXIT_OK = 0;
/** Exit status: bad usage, input that is not a status, or a value that was cut short. */
const EXIT_USAGE = 2;

// ---------------------------------------------------------------------------------------------
// Presets and scopes
// ---------------------------------------------------------------------------------------------

/** A mapping `--preset` can choose: a preset's `fromGrpcStatus`, and what the output calls it. */
export interface CliPreset {
  /** The preset's name in the output, beside its `--preset` name. */
  readonly title: string;
  /** The preset's mapping; every preset's has the signature of the default one. */
  readonly fromGrpcStatus: typeof fromGrpcStatus;
}

/**
 * Every preset `--preset` names, the default first: one row per preset, and nothing else in the CLI
 * knows which presets exist. (Modal's row comes with `sandbox-sdk-errors/modal`, SPEC §17.)
 */
export const PRESETS: Readonly<Record<string, CliPreset>> = {
  cwsandbox: { title: "CoreWeave sandbox", fromGrpcStatus },
  modal: { title: "Modal", fromGrpcStatus: modalFromGrpcStatus },
};

const DEFAULT_PRESET = Object.keys(PRESETS)[0] as string;

/** Every mapping scope, the default first (through `satisfies`: a scope missing or unknown does not compile). */
const SCOPES = Object.keys({ sandbox: 0, discovery: 0, general: 0 } satisfies Record<MappingScope, 0>) as [
  MappingScope,
  ...MappingScope[],
];

/** `a, b or c`. */
function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

// ---------------------------------------------------------------------------------------------
// Usage and options
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage: ${PROGRAM} decode [--json] [--preset <name>] [--scope <scope>] <base64 | hex | json | ->
       ${PROGRAM} --version

Decodes a google.rpc.Status (AIP-193) as it travels in the ${STATUS_DETAILS_KEY}
trailer, or a JSON error body: prints the status code, message and every detail
with every field, then the error class that fromGrpcStatus() would choose for it
and every field that class sets.

Input:
  <hex>        hex digits only, of even length (white space is ignored)
  <base64>     anything else: standard or URL-safe alphabet, padding optional
  "<value>"    either of those as a JSON string, quotes included
  <log line>   a line holding ${STATUS_DETAILS_KEY}: <value> or ${STATUS_DETAILS_KEY}=<value>,
               anywhere in it (the key in any case, quoted or not; the value quoted or not,
               or the first of a JSON array): the value is cut out, and ends at white space,
               a quote, a comma, a backslash (JSON logs: \\n, \\") or the end of the line;
               colours (terminal escape sequences) are ignored
  <json>       a JSON error body: AIP-193 {"error": {"code", "status", "message", "details"}},
               a google.rpc.Status in proto3 JSON {"code", "message", "details"}, or a Connect
               error {"code": "not_found", "message", "details"} (alone or as the "error" of
               an end-stream message); mapped as fromGrpcStatus maps the parsed body
  -            read the input from stdin: any of the above, or the raw bytes of a Status
               (stdin is read as bytes only when it does not read as text)
               An input that starts with "-" goes after "--".

Options:
  --json              print JSON instead of text (bytes as base64, absent fields as null)
  --preset <name>     the preset whose fromGrpcStatus maps the status: ${listed(Object.keys(PRESETS))}
                      (default ${DEFAULT_PRESET})
  --scope <scope>     the mapping context's scope: ${listed(SCOPES)} (default ${SCOPES[0]})
  --version           print the version
  -h, --help          print this help

Control characters and bidirectional overrides from the status are printed as
\\u escapes (\\u001b, \\u009b, \\u202e), never raw.

Exit status: 0 when the input decodes; 2 on bad usage, when the input is not a
status, and when the value was cut short (what could be read before the cut is
printed all the same).
`;

/** What the CLI is given to write to, so that tests run {@link runCli} without a process. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads all of standard input (for the input `-`). */
  readStdin(): Promise<Uint8Array>;
}

interface Options {
  json: boolean;
  help: boolean;
  version: boolean;
  preset: string;
  scope: MappingScope;
  command: string | undefined;
  inputs: string[];
}

/** An argument in single quotes, escaped as in JSON so that a message stays one line. */
function quoteArgument(argument: string): string {
  return `'${JSON.stringify(argument).slice(1, -1)}'`;
}

/** The options that take a value: `--name value` or `--name=value`. */
const VALUED = ["--preset", "--scope"] as const;

function parseArguments(argv: readonly string[]): Options {
  const options: Options = {
    json: false,
    help: false,
    version: false,
    preset: DEFAULT_PRESET,
    scope: SCOPES[0],
    command: undefined,
    inputs: [],
  };
  let endOfOptions = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const name = argument.split("=", 1)[0] as string;
    if (endOfOptions || argument === "-" || !argument.startsWith("-")) {
      if (options.command === undefined) options.command = argument;
      else options.inputs.push(argument);
    } else if (argument === "--") endOfOptions = true;
    else if (argument === "--json") options.json = true;
    else if (argument === "--help" || argument === "-h") options.help = true;
    else if (argument === "--version") options.version = true;
    else if ((VALUED as readonly string[]).includes(name)) {
      const value = argument.length > name.length ? argument.slice(name.length + 1) : argv[++index];
      if (name === "--preset") options.preset = presetOption(value);
      else options.scope = scopeOption(value);
    } else {
      throw new UsageError(
        `unknown option ${quoteArgument(argument)} (an input that starts with "-" goes after "--"; see --help)`,
      );
    }
  }
  return options;
}

function presetOption(value: string | undefined): string {
  const known = Object.keys(PRESETS);
  if (value === undefined) throw new UsageError(`--preset needs a name: ${listed(known)}`);
  if (!Object.hasOwn(PRESETS, value)) {
    throw new UsageError(`unknown preset ${quoteArgument(value)} (--preset takes ${listed(known)})`);
  }
  return value;
}

function scopeOption(value: string | undefined): MappingScope {
  if (value === undefined) throw new UsageError(`--scope needs a scope: ${listed(SCOPES)}`);
  const scope = SCOPES.find((candidate) => candidate === value);
  if (scope === undefined) {
    throw new UsageError(`unknown scope ${quoteArgument(value)} (--scope takes ${listed(SCOPES)})`);
  }
  return scope;
}

/**
 * The version in the package's package.json: `dist/cli.js` sits one below it, `src/cli/cli.ts` (run
 * from source) two.
 */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    } catch {
      continue;
    }
    const { name, version } = (manifest ?? {}) as { name?: unknown; version?: unknown };
    if (name === "sandbox-sdk-errors" && typeof version === "string") return version;
  }
  throw new Error("the package's package.json has no version");
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

/** Where a decoder writes: standard output, and the one-line failure (which returns the exit status). */
interface Output {
  stdout(text: string): void;
  fail(message: string): number;
}

/** Calls the chosen preset's mapping with the chosen scope, for the last block of the output. */
function mapWith(options: Options, error: unknown, handedAs: string): Mapping {
  const preset = PRESETS[options.preset] as CliPreset;
  return {
    error: preset.fromGrpcStatus(error, { scope: options.scope }),
    preset: options.preset,
    presetTitle: preset.title,
    scope: options.scope,
    handedAs,
  };
}

/** Decodes a trailer value's bytes, prints the status and its mapping, and returns the exit status. */
function decodeBytes(input: Input, options: Options, { stdout, fail }: Output): number {
  const status = parseStatusDetails(input.bytes);
  if (status === undefined) {
    const cut = readBeforeCut(input.bytes);
    if (cut !== undefined) {
      stdout(options.json ? renderCutShortJson(input, cut) : renderCutShortText(input, cut));
      return fail(
        `the value was cut short: it ends inside ${insideText(cut)} of the Status, after ${byteCount(input.bytes.length)} (what could be read is on standard output)`,
      );
    }
    return fail(
      `not a google.rpc.Status: ${input.bytes.length} bytes (${hexOf(input.bytes, 16)}) that do not decode`,
    );
  }
  // An all-default Status encodes to zero bytes, so non-empty input that decodes to one held only
  // fields a Status does not have: text that happens to be valid base64, not a trailer value.
  if (status.code === 0 && status.message === "" && status.details.length === 0) {
    return fail(
      `not a google.rpc.Status: ${input.bytes.length} bytes (${hexOf(input.bytes, 16)}) with no code, message or details, only unknown fields`,
    );
  }
  // Mapped as a grpc-js client would see it: the status's code and message as the transport's.
  const transport = {
    code: status.code,
    details: status.message,
    metadata: { get: (key: string) => (key === STATUS_DETAILS_KEY ? [input.bytes] : []) },
  };
  const mapping = mapWith(options, transport, "the status's own code taken as the transport's code");
  stdout(options.json ? renderJson(input, status, mapping) : renderText(input, status, mapping));
  return EXIT_OK;
}

/** Decodes a JSON error body, prints the status and its mapping, and returns the exit status. */
function decodeJson(input: Input & { kind: "json" }, options: Options, { stdout }: Output): number {
  // readText made this input only for a body parseStatusJson reads.
  const status = parseStatusJson(input.body);
  if (status === undefined) throw new Error("a JSON input that parseStatusJson does not read");
  // The body itself is what a fetch-based SDK hands to fromGrpcStatus.
  const mapping = mapWith(options, input.body, "the JSON body as parsed");
  stdout(options.json ? renderJson(input, status, mapping) : renderText(input, status, mapping));
  return EXIT_OK;
}

/**
 * Runs the command line `argv` (the arguments after the program name) and returns the exit status:
 * 0 when the input decoded (or help or the version was asked for), 2 on bad usage, on an input that
 * is not a `google.rpc.Status`, and on a value that was cut short, with a one-line message on
 * standard error. For a value cut short, what could be read before the cut still goes to standard
 * output. Nothing written carries a control character or a bidirectional override raw, and what is
 * written is bounded by the input.
 *
 * @example
 * ```ts
 * const status = await runCli(["decode", "--json", "--scope", "discovery", hex], { stdout, stderr, readStdin });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // The one place output leaves: every string is made safe here, whatever path built it.
  const stdout = (text: string) => io.stdout(escapeForTerminal(text));
  const fail = (message: string): number => {
    io.stderr(escapeForTerminal(`${PROGRAM}: ${message}\n`));
    return EXIT_USAGE;
  };
  try {
    const options = parseArguments(argv);
    if (options.help) {
      stdout(USAGE);
      return EXIT_OK;
    }
    if (options.version) {
      stdout(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (options.command === undefined)
      return fail("missing command (try 'decode <base64 | hex | json | ->' or --help)");
    if (options.command !== "decode") {
      return fail(
        `unknown command ${quoteArgument(options.command)} (the only command is 'decode'; see --help)`,
      );
    }
    const [argument, ...extra] = options.inputs;
    if (argument === undefined)
      return fail("decode needs an input: base64, hex, JSON, a log line, or - for stdin (see --help)");
    if (extra.length > 0) return fail(`decode takes one input, got ${options.inputs.length} (see --help)`);

    const input = argument === "-" ? readStdin(await io.readStdin()) : readText(argument);
    switch (input.kind) {
      case "bytes":
        return decodeBytes(input, options, { stdout, fail });
      case "json":
        return decodeJson(input, options, { stdout, fail });
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Process wiring: only when this file is the program (not when a test or the fuzzer imports it)
// ---------------------------------------------------------------------------------------------

function isProgram(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    // npm links the bin from node_modules/.bin: compare real paths.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

if (isProgram()) {
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
  }).then(
    (status) => {
      // exitCode, not exit(): a pipe still gets everything written.
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(
        `${PROGRAM}: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
